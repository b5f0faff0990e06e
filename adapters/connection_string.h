// Connection strings, read by libpq itself: checked before lockstep
// connects, their secrets kept out of every message.
#ifndef LOCKSTEP_ADAPTERS_CONNECTION_STRING_H_
#define LOCKSTEP_ADAPTERS_CONNECTION_STRING_H_

#include <string>
#include <utility>
#include <vector>

namespace lockstep {

// Checks a connection string with libpq's own parser (PQconninfoParse)
// without connecting. Returns "" when libpq accepts it; otherwise why not, in
// words that never repeat any part of it (libpq's own message quotes the
// offending text, which may be the password). Fills *secrets, when given,
// with the password as written and as decoded, for scrubbing messages.
std::string ConnectionStringProblem(const std::string& url,
                                    std::vector<std::string>* secrets = nullptr);

// `url` (which libpq must accept) as a key=value connection string with
// `keyword` set to `value` (application_name, dbname, ...): every other
// setting kept.
std::string WithSetting(const std::string& url, const std::string& keyword,
                        const std::string& value);

// WithSetting(url, "dbname", dbname).
std::string WithDatabaseName(const std::string& url, const std::string& dbname);

// The settings of `url` (which libpq must accept) as libpq's environment
// variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ...:
// each keyword's own variable, from libpq's table of options): what a
// command such as pg_dump needs to reach the same database with no password
// on its command line.
std::vector<std::pair<std::string, std::string>> LibpqEnvironment(const std::string& url);

// `text` with every one of `secrets` (of 3 characters or more) replaced by
// "***". Every message of the PostgreSQL adapter goes through it, with the
// secrets ConnectionStringProblem found in its connection string.
std::string Scrub(std::string text, const std::vector<std::string>& secrets);

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_CONNECTION_STRING_H_
