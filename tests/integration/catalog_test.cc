// The catalog query behind schema snapshots and drift (adapters/
// catalog_query.h) reads from kFirstUserOid on, through the catalogs' id
// indexes: it must see every object a user can make, of every kind it
// reports, exactly as it did reading every row.
#include <string>

#include "adapters/catalog_query.h"
#include "adapters/postgres.h"
#include "integration/fixture.h"

namespace lockstep {
namespace {

// One object of every kind the query reports, each with a comment where
// PostgreSQL allows one, in `public` and in a schema of its own.
const char* kEveryKind = R"SQL(
CREATE EXTENSION citext;
COMMENT ON EXTENSION citext IS 'an extension';
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'a schema';
CREATE TYPE app.mood AS ENUM ('sad', 'ok');
COMMENT ON TYPE app.mood IS 'an enum';
CREATE SEQUENCE app.tickets START 5 INCREMENT 2;
COMMENT ON SEQUENCE app.tickets IS 'a sequence';
CREATE TABLE app.accounts (
  id bigserial PRIMARY KEY,
  email citext UNIQUE NOT NULL,
  mood app.mood DEFAULT 'ok',
  total numeric(10, 2),
  doubled numeric GENERATED ALWAYS AS (total * 2) STORED,
  CONSTRAINT positive CHECK (total >= 0));
COMMENT ON TABLE app.accounts IS 'a table';
COMMENT ON COLUMN app.accounts.email IS 'a column';
COMMENT ON CONSTRAINT positive ON app.accounts IS 'a constraint';
CREATE TABLE orders (id int PRIMARY KEY, account bigint REFERENCES app.accounts (id));
CREATE INDEX orders_account ON orders (account);
COMMENT ON INDEX orders_account IS 'an index';
CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE FOREIGN DATA WRAPPER nowhere;
CREATE SERVER far FOREIGN DATA WRAPPER nowhere;
CREATE FOREIGN TABLE app.remote (a int) SERVER far;
CREATE VIEW app.emails AS SELECT id, email FROM app.accounts;
COMMENT ON VIEW app.emails IS 'a view';
CREATE MATERIALIZED VIEW app.totals AS SELECT count(*) AS n FROM app.accounts;
COMMENT ON MATERIALIZED VIEW app.totals IS 'a materialized view';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
COMMENT ON FUNCTION app.touch() IS 'a function';
CREATE PROCEDURE app.settle(a int) LANGUAGE sql AS $$SELECT 1$$;
CREATE TRIGGER touch BEFORE UPDATE ON app.accounts FOR EACH ROW EXECUTE FUNCTION app.touch();
COMMENT ON TRIGGER touch ON app.accounts IS 'a trigger';
)SQL";

class CatalogTest : public IntegrationTest {
 protected:
  // The query's rows read from object id `floor` on, run by psql: their
  // number and a digest of every (key, definition), in key order.
  std::string Digest(const std::string& db, const std::string& floor) {
    std::string sql = kCatalogQuery;
    Substitute(&sql, "$1", "'lockstep'");
    Substitute(&sql, "$2", "''");
    Substitute(&sql, "$3", "'" + floor + "'");
    return Count(db,
                 "SELECT count(*) || ' ' || md5(string_agg(k || '=' || v, E'\\n' ORDER BY k)) "
                 "FROM (" +
                     sql + ") AS q(k, v)");
  }
  static void Substitute(std::string* sql, const std::string& from, const std::string& to) {
    for (size_t at = sql->find(from); at != std::string::npos; at = sql->find(from, at + to.size()))
      sql->replace(at, from.size(), to);
  }
};

TEST_F(CatalogTest, ReadingFromTheFirstUserIdLeavesNothingOut) {
  pg_.CreateDatabase("main");
  ASSERT_EQ(Count("main", kEveryKind), "");
  std::string everything = Digest("main", "0");
  EXPECT_EQ(Digest("main", kFirstUserOid), everything);
  // What lockstep stores: the same rows, through the adapter.
  PostgresOptions o;
  o.url = pg_.Url("main");
  o.database = "main";
  std::unique_ptr<Database> db = NewPostgresDatabase(o);
  ASSERT_TRUE(db->Open().ok());
  SchemaSnapshot snapshot;
  ASSERT_TRUE(db->CaptureSchema(&snapshot).ok());
  EXPECT_EQ(std::to_string(snapshot.size()), everything.substr(0, everything.find(' ')));
  // Not a comparison of two empty sets: every kind is in it.
  for (const char* key : {"extension citext",
                          "schema app",
                          "type app.mood",
                          "sequence app.tickets",
                          "table app.accounts",
                          "column app.accounts.doubled",
                          "constraint app.accounts.positive",
                          "index public.orders_account",
                          "constraint public.orders.orders_account_fkey",
                          "table public.events",
                          "table public.events_2026",
                          "table app.remote",
                          "view app.emails",
                          "view app.totals",
                          "function app.touch()",
                          "function app.settle(IN a integer)",
                          "trigger app.accounts.touch",
                          "columns app.accounts",
                          "comment extension citext",
                          "comment schema app",
                          "comment type app.mood",
                          "comment sequence app.tickets",
                          "comment table app.accounts",
                          "comment column app.accounts.email",
                          "comment constraint app.accounts.positive",
                          "comment index public.orders_account",
                          "comment view app.emails",
                          "comment view app.totals",
                          "comment function app.touch()",
                          "comment trigger app.accounts.touch"}) {
    EXPECT_EQ(snapshot.count(key), 1u) << key;
  }
  // Nothing of the extension's own (CREATE EXTENSION made them, with ids
  // above the floor too): the extension stands for them.
  for (const auto& [key, definition] : snapshot) {
    EXPECT_EQ(key.find("citext("), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace lockstep
