// The PostgreSQL implementation of Database, on libpqxx. libpqxx stays inside
// adapters/: its exceptions are turned into Status values here.
#ifndef LOCKSTEP_ADAPTERS_POSTGRES_H_
#define LOCKSTEP_ADAPTERS_POSTGRES_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/database.h"

namespace lockstep {

struct PostgresOptions {
  std::string url;             // connection string; never printed
  std::string database;        // logical name, for messages
  std::string history_schema = "lockstep";
  std::string run_id;          // application_name becomes lockstep/<run_id>
  std::chrono::milliseconds statement_timeout{0};
  std::string applied_by;      // recorded in history rows
  std::string lockstep_version;
};

// The advisory lock key: the bytes of "lockstep" as a bigint, the same for
// every lockstep and every history schema.
inline constexpr int64_t kAdvisoryLockKey = 0x6c6f636b73746570;

std::unique_ptr<Database> NewPostgresDatabase(PostgresOptions options);

// Checks a connection string with libpq's own parser (PQconninfoParse)
// without connecting. Returns "" when libpq accepts it; otherwise why not, in
// words that never repeat any part of it (libpq's own message quotes the
// offending text, which may be the password). Fills *secrets, when given,
// with the password as written and as decoded, for scrubbing messages.
std::string ConnectionStringProblem(const std::string& url,
                                    std::vector<std::string>* secrets = nullptr);

// `url` (which libpq must accept) as a key=value connection string for
// database `dbname` instead: every other setting kept.
std::string WithDatabaseName(const std::string& url, const std::string& dbname);

// `text` with every one of `secrets` (of 3 characters or more) replaced by
// "***". Every message of the PostgreSQL adapter goes through it, with the
// secrets ConnectionStringProblem found in its connection string.
std::string Scrub(std::string text, const std::vector<std::string>& secrets);


}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_POSTGRES_H_
