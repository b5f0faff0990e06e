// SqlToTurn on snapshots as the catalog query writes them. The round trip
// through a real server (does the SQL make the schema?) is DriftCorrectionTest.
#include "daemon/engine/drift_sql.h"

#include <gtest/gtest.h>

#include "daemon/engine/drift.h"

namespace lockstep {
namespace {

std::string Joined(const DriftSql& sql) {
  std::string out;
  for (const std::string& s : sql.statements) out += s + "\n";
  return out;
}

const SchemaSnapshot kUsers = {
    {"lockstep format", "2"},
    {"table public.users", "table"},
    {"columns public.users", "id, email"},
    {"column public.users.id", "integer NOT NULL DEFAULT nextval('users_id_seq'::regclass)"},
    {"column public.users.email", "text NOT NULL"},
    {"sequence public.users_id_seq", "integer start 1 increment 1"},
    {"constraint public.users.users_pkey", "PRIMARY KEY (id)"},
    {"index public.users_pkey", "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)"},
};

TEST(DriftSqlTest, NothingToDoForEqualSnapshots) {
  DriftSql sql = SqlToTurn(kUsers, kUsers);
  EXPECT_TRUE(sql.statements.empty());
  EXPECT_TRUE(sql.inexpressible.empty());
}

TEST(DriftSqlTest, AnAddedColumnAndItsInverse) {
  SchemaSnapshot live = kUsers;
  live["columns public.users"] = "id, email, phone";
  live["column public.users.phone"] = "character varying(20) DEFAULT ''::character varying";
  EXPECT_EQ(Joined(SqlToTurn(kUsers, live)),
            "ALTER TABLE public.users ADD COLUMN phone character varying(20) DEFAULT "
            "''::character varying;\n");
  DriftSql back = SqlToTurn(live, kUsers);
  EXPECT_EQ(Joined(back), "ALTER TABLE public.users DROP COLUMN phone;\n");
  ASSERT_EQ(back.losses.size(), 1u);
  EXPECT_NE(back.losses[0].find("public.users.phone"), std::string::npos);
}

TEST(DriftSqlTest, ANewTableKeepsItsColumnOrderAndItsSerialSequence) {
  SchemaSnapshot empty = {{"lockstep format", "2"}};
  EXPECT_EQ(Joined(SqlToTurn(empty, kUsers)),
            "CREATE SEQUENCE public.users_id_seq AS integer START WITH 1 INCREMENT BY 1;\n"
            "CREATE TABLE public.users (\n"
            "    id integer DEFAULT nextval('users_id_seq'::regclass) NOT NULL,\n"
            "    email text NOT NULL\n"
            ");\n"
            "ALTER TABLE public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n"
            "ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;\n");
  // Backwards: the table goes with its constraint, index and columns.
  EXPECT_EQ(Joined(SqlToTurn(kUsers, empty)),
            "DROP TABLE public.users;\nDROP SEQUENCE IF EXISTS public.users_id_seq;\n");
}

TEST(DriftSqlTest, ColumnChangesAlterInPlace) {
  SchemaSnapshot live = kUsers;
  live["column public.users.email"] = "character varying(200) DEFAULT 'x'::character varying";
  EXPECT_EQ(Joined(SqlToTurn(kUsers, live)),
            "ALTER TABLE public.users ALTER COLUMN email TYPE character varying(200);\n"
            "ALTER TABLE public.users ALTER COLUMN email SET DEFAULT 'x'::character varying;\n"
            "ALTER TABLE public.users ALTER COLUMN email DROP NOT NULL;\n");
  EXPECT_EQ(SqlToTurn(kUsers, live).losses.size(), 1u);
}

TEST(DriftSqlTest, IndexesConstraintsAndForeignKeysInAnOrderThatRuns) {
  SchemaSnapshot live = kUsers;
  live["table public.orders"] = "table";
  live["columns public.orders"] = "id, user_id";
  live["column public.orders.id"] = "bigint NOT NULL";
  live["column public.orders.user_id"] = "integer";
  live["constraint public.orders.orders_pkey"] = "PRIMARY KEY (id)";
  live["index public.orders_pkey"] =
      "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)";
  live["constraint public.orders.orders_user_id_fkey"] =
      "FOREIGN KEY (user_id) REFERENCES public.users(id)";
  live["index public.orders_user_id_idx"] =
      "CREATE INDEX orders_user_id_idx ON public.orders USING btree (user_id)";
  std::string up = Joined(SqlToTurn(kUsers, live));
  EXPECT_LT(up.find("CREATE TABLE public.orders"), up.find("ADD CONSTRAINT orders_pkey"));
  EXPECT_LT(up.find("ADD CONSTRAINT orders_pkey"), up.find("ADD CONSTRAINT orders_user_id_fkey"));
  EXPECT_NE(up.find("CREATE INDEX orders_user_id_idx"), std::string::npos);
  EXPECT_EQ(up.find("CREATE UNIQUE INDEX orders_pkey"), std::string::npos)
      << "the primary key makes its own index:\n"
      << up;
  std::string down = Joined(SqlToTurn(live, kUsers));
  EXPECT_EQ(down, "DROP INDEX public.orders_user_id_idx;\nDROP TABLE public.orders;\n");
}

TEST(DriftSqlTest, EnumValuesAreAddedInPlaceAndRemovalsAreSaidToBeBeyondIt) {
  SchemaSnapshot a = {{"type public.mood", "enum ('sad', 'happy')"}};
  SchemaSnapshot b = {{"type public.mood", "enum ('neutral', 'sad', 'it''s ok', 'happy')"}};
  EXPECT_EQ(Joined(SqlToTurn(a, b)),
            "ALTER TYPE public.mood ADD VALUE 'neutral' BEFORE 'sad';\n"
            "ALTER TYPE public.mood ADD VALUE 'it''s ok' AFTER 'sad';\n");
  DriftSql back = SqlToTurn(b, a);
  EXPECT_TRUE(back.statements.empty());
  ASSERT_EQ(back.inexpressible.size(), 1u);
  EXPECT_NE(back.inexpressible[0].find("type public.mood"), std::string::npos);
}

TEST(DriftSqlTest, ViewsFunctionsTriggersAndComments) {
  SchemaSnapshot a = kUsers;
  SchemaSnapshot b = kUsers;
  b["view public.active"] = " SELECT users.id\n   FROM users;";
  b["columns public.active"] = "id";
  b["column public.active.id"] = "integer";
  b["view public.active2"] = " SELECT active.id\n   FROM active;";
  b["function public.touch()"] =
      "CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS "
      "$function$ BEGIN RETURN NEW; END $function$\n";
  b["trigger public.users.users_touch"] =
      "CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION "
      "public.touch()";
  b["comment table public.users"] = "People; who sign in";
  b["comment column public.users.email"] = "unique by lower()";
  std::string up = Joined(SqlToTurn(a, b));
  EXPECT_LT(up.find("CREATE VIEW public.active AS"), up.find("CREATE VIEW public.active2 AS"));
  EXPECT_LT(up.find("CREATE OR REPLACE FUNCTION public.touch()"),
            up.find("CREATE TRIGGER users_touch"));
  EXPECT_NE(up.find("COMMENT ON TABLE public.users IS 'People; who sign in';"), std::string::npos);
  EXPECT_NE(up.find("COMMENT ON COLUMN public.users.email IS 'unique by lower()';"),
            std::string::npos);
  std::string down = Joined(SqlToTurn(b, a));
  EXPECT_LT(down.find("DROP TRIGGER users_touch ON public.users;"),
            down.find("DROP FUNCTION public.touch();"));
  EXPECT_NE(down.find("COMMENT ON TABLE public.users IS NULL;"), std::string::npos);
  EXPECT_NE(down.find("DROP VIEW public.active;"), std::string::npos);
}

TEST(DriftSqlTest, ViewsAreDroppedDependentsFirstAndCreatedDependenciesFirst) {
  SchemaSnapshot views = {{"view public.b", " SELECT a.x\n   FROM a;"},
                          {"view public.a", " SELECT t.x\n   FROM t;"},
                          {"view public.ab", " SELECT 1 AS x;"}};
  EXPECT_EQ(Joined(SqlToTurn(views, {})),
            "DROP VIEW public.b;\nDROP VIEW public.ab;\nDROP VIEW public.a;\n");
  std::string up = Joined(SqlToTurn({}, views));
  EXPECT_LT(up.find("CREATE VIEW public.a AS"), up.find("CREATE VIEW public.b AS")) << up;
}

TEST(DriftSqlTest, AnIndexNamedLikeACheckConstraintIsStillAnIndex) {
  SchemaSnapshot a = {{"table public.t", "table"},
                      {"constraint public.t.positive", "CHECK ((x > 0))"}};
  SchemaSnapshot b = a;
  b["index public.positive"] = "CREATE INDEX positive ON public.t USING btree (x)";
  EXPECT_EQ(Joined(SqlToTurn(a, b)), "CREATE INDEX positive ON public.t USING btree (x);\n");
}

TEST(DriftSqlTest, OnlyTheKindsAsked) {
  SchemaSnapshot live = kUsers;
  live["columns public.users"] = "id, email, phone";
  live["column public.users.phone"] = "text";
  live["index public.users_email"] = "CREATE INDEX users_email ON public.users USING btree (email)";
  DriftSql sql = SqlToTurn(live, kUsers, [](const std::string& kind) { return kind == "index"; });
  EXPECT_EQ(Joined(sql), "DROP INDEX public.users_email;\n");
}

TEST(DriftSqlTest, NamesAreQuotedWhereTheyMustBe) {
  EXPECT_EQ(QuoteIdent("users"), "users");
  EXPECT_EQ(QuoteIdent("user"), "\"user\"");
  EXPECT_EQ(QuoteIdent("Users"), "\"Users\"");
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdent("1st"), "\"1st\"");
  SchemaSnapshot a = {{"table public.order", "table"}};
  SchemaSnapshot b = a;
  b["column public.order.Total"] = "numeric";
  EXPECT_EQ(Joined(SqlToTurn(a, b)),
            "ALTER TABLE public.\"order\" ADD COLUMN \"Total\" numeric;\n");
}

TEST(DriftSqlTest, PartitionedTablesAreSaidToBeBeyondTheSnapshot) {
  SchemaSnapshot a;
  SchemaSnapshot b = {{"table public.events", "partitioned table"}};
  DriftSql sql = SqlToTurn(a, b);
  EXPECT_TRUE(sql.statements.empty());
  ASSERT_EQ(sql.inexpressible.size(), 1u);
  EXPECT_NE(sql.inexpressible[0].find("public.events"), std::string::npos);
}

TEST(DriftTest, ASnapshotStoredBeforeCommentsComparesNoComments) {
  SchemaSnapshot old_format = {{"table public.t", "table"}};
  SchemaSnapshot live = {{"lockstep format", "2"},
                         {"table public.t", "table"},
                         {"columns public.t", ""},
                         {"comment table public.t", "hello"}};
  EXPECT_TRUE(Diff(old_format, live).empty());
  SchemaSnapshot stored = live;
  stored.erase("comment table public.t");
  ASSERT_EQ(Diff(stored, live).size(), 1u);
  EXPECT_EQ(Diff(stored, live)[0].object, "comment table public.t");
}

}  // namespace
}  // namespace lockstep
