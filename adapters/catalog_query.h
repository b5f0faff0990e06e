// The catalog query behind Database::CaptureSchema: what lockstep compares
// for drift. Internal to adapters/.
#ifndef LOCKSTEP_ADAPTERS_CATALOG_QUERY_H_
#define LOCKSTEP_ADAPTERS_CATALOG_QUERY_H_

namespace lockstep {

// Every object a user makes has an id at or above this one (PostgreSQL's
// FirstNormalObjectId, also where the id counter starts again after a
// wraparound); initdb's own (pg_catalog's thousands of functions and
// comments) are below it. Reading from it on lets the catalog query use the
// catalogs' id indexes instead of scanning every built-in row: its execution
// took 7-11 ms for a 20-table database, under 4 ms from here (bench/README.md).
inline constexpr const char* kFirstUserOid = "16384";

// Every object of the user's schemas as (key, definition); $1 is lockstep's
// schema, left out; $2 the schemas to read, comma-separated, or '' for every
// one (a member of a database set that is a schema reads only its own); $3
// the lowest object id read, kFirstUserOid.
// Objects that belong to extensions are left out too: the extension itself
// stands for them. Format 2 (the 'lockstep format' row) adds each relation's
// column order ('columns ...') and comments ('comment <object>'); a snapshot
// stored before it has neither, and drift then compares neither.
inline constexpr const char* kCatalogQuery = R"SQL(
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname <> $1
    AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
    AND ($2 = '' OR nspname = ANY (string_to_array($2, ',')))
), rel AS (
  SELECT c.oid, c.relname, c.relkind, ns.nspname FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.oid >= $3 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT 'schema ' || nspname, 'schema' FROM ns WHERE nspname <> 'public'
UNION ALL
SELECT 'table ' || nspname || '.' || relname,
       CASE relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
                    WHEN 'f' THEN 'foreign table' END
  FROM rel WHERE relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'column ' || rel.nspname || '.' || rel.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
               ELSE coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') END
  FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE rel.relkind IN ('r', 'p', 'f', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'index ' || rel.nspname || '.' || rel.relname, pg_get_indexdef(rel.oid)
  FROM rel WHERE rel.relkind IN ('i', 'I')
UNION ALL
SELECT 'constraint ' || rel.nspname || '.' || rel.relname || '.' || con.conname,
       pg_get_constraintdef(con.oid)
  FROM pg_constraint con JOIN rel ON rel.oid = con.conrelid
UNION ALL
SELECT 'view ' || nspname || '.' || relname,
       CASE relkind WHEN 'm' THEN 'materialized ' ELSE '' END || pg_get_viewdef(oid)
  FROM rel WHERE relkind IN ('v', 'm')
UNION ALL
SELECT 'sequence ' || rel.nspname || '.' || rel.relname,
       format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
  FROM pg_sequence s JOIN rel ON rel.oid = s.seqrelid
UNION ALL
SELECT 'trigger ' || rel.nspname || '.' || rel.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid WHERE NOT t.tgisinternal
UNION ALL
SELECT 'function ' || ns.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
  WHERE p.oid >= $3 AND p.prokind IN ('f', 'p')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                    AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'type ' || ns.nspname || '.' || t.typname,
       'enum (' || string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) || ')'
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
  WHERE t.oid >= $3
  GROUP BY ns.nspname, t.typname
UNION ALL
SELECT 'extension ' || extname, 'version ' || extversion FROM pg_extension WHERE extname <> 'plpgsql'
UNION ALL
SELECT 'lockstep format', '2'
UNION ALL
SELECT 'columns ' || rel.nspname || '.' || rel.relname,
       string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
  FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
  WHERE rel.relkind IN ('r', 'p', 'f', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
  GROUP BY rel.nspname, rel.relname
UNION ALL
SELECT 'comment ' || CASE WHEN d.objsubid > 0
                          THEN 'column ' || rel.nspname || '.' || rel.relname || '.' || a.attname
                          ELSE CASE WHEN rel.relkind IN ('r', 'p', 'f') THEN 'table '
                                    WHEN rel.relkind IN ('v', 'm') THEN 'view '
                                    WHEN rel.relkind IN ('i', 'I') THEN 'index '
                                    ELSE 'sequence ' END || rel.nspname || '.' || rel.relname END,
       d.description
  FROM pg_description d JOIN rel ON d.objoid >= $3 AND d.classoid = 'pg_class'::regclass AND d.objoid = rel.oid
  LEFT JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum = d.objsubid
  WHERE rel.relkind IN ('r', 'p', 'f', 'v', 'm', 'i', 'I', 'S') AND (d.objsubid = 0 OR a.attnum > 0)
UNION ALL
SELECT 'comment constraint ' || rel.nspname || '.' || rel.relname || '.' || con.conname, d.description
  FROM pg_description d JOIN pg_constraint con ON d.objoid >= $3 AND d.classoid = 'pg_constraint'::regclass AND d.objoid = con.oid
  JOIN rel ON rel.oid = con.conrelid
UNION ALL
SELECT 'comment trigger ' || rel.nspname || '.' || rel.relname || '.' || t.tgname, d.description
  FROM pg_description d JOIN pg_trigger t ON d.objoid >= $3 AND d.classoid = 'pg_trigger'::regclass AND d.objoid = t.oid
  JOIN rel ON rel.oid = t.tgrelid
UNION ALL
SELECT 'comment function ' || ns.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       d.description
  FROM pg_description d JOIN pg_proc p ON d.objoid >= $3 AND d.classoid = 'pg_proc'::regclass AND d.objoid = p.oid
  JOIN ns ON ns.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p')
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                    AND e.objid = p.oid AND e.deptype = 'e')
UNION ALL
SELECT 'comment type ' || ns.nspname || '.' || t.typname, d.description
  FROM pg_description d JOIN pg_type t ON d.objoid >= $3 AND d.classoid = 'pg_type'::regclass AND d.objoid = t.oid
  JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype = 'e'
UNION ALL
SELECT 'comment schema ' || ns.nspname, d.description
  FROM pg_description d JOIN ns ON d.objoid >= $3 AND d.classoid = 'pg_namespace'::regclass AND d.objoid = ns.oid
  WHERE ns.nspname <> 'public'
UNION ALL
SELECT 'comment extension ' || x.extname, d.description
  FROM pg_description d JOIN pg_extension x ON d.objoid >= $3 AND d.classoid = 'pg_extension'::regclass AND d.objoid = x.oid
  WHERE x.extname <> 'plpgsql'
)SQL";

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_CATALOG_QUERY_H_
