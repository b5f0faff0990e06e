// The PostgreSQL implementation of Database, on libpqxx. libpqxx stays inside
// adapters/: its exceptions are turned into Status values here.
#ifndef LOCKSTEP_ADAPTERS_POSTGRES_H_
#define LOCKSTEP_ADAPTERS_POSTGRES_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/connection_string.h"
#include "adapters/database.h"

namespace lockstep {

struct PostgresOptions {
  std::string url;       // connection string; never printed
  std::string database;  // logical name, for messages
  std::string history_schema = "lockstep";
  std::string run_id;  // application_name becomes lockstep/<run_id>
  std::chrono::milliseconds statement_timeout{0};
  std::string applied_by;  // recorded in history rows
  std::string lockstep_version;
  // settings.lock: lease (adapters/lease.h) instead of the session advisory
  // lock, with its time to live.
  bool lease = false;
  std::chrono::milliseconds lease_ttl{30'000};
  // The session advisory lock's key (AdvisoryLockKey).
  int64_t lock_key = 0x6c6f636b73746570;
  // The schemas whose objects drift compares; empty: every one (but
  // lockstep's). A member of a database set that is a schema of a shared
  // database reads only its own.
  std::vector<std::string> only_schemas;
};

// The advisory lock key: the bytes of "lockstep" as a bigint, the same for
// every lockstep and every history schema.
inline constexpr int64_t kAdvisoryLockKey = 0x6c6f636b73746570;

// The key of a database's lock: kAdvisoryLockKey, except for a member of a
// database set whose members are schemas of one database, which has a
// history schema of its own (`member_history_schema`) and a key of its own
// (the first 8 bytes of the SHA-256 of "lockstep:" and that schema), so that
// members of one database migrate side by side.
int64_t AdvisoryLockKey(const std::string& member_history_schema);

std::unique_ptr<Database> NewPostgresDatabase(PostgresOptions options);

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_POSTGRES_H_
