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
};

// The advisory lock key: the bytes of "lockstep" as a bigint, the same for
// every lockstep and every history schema.
inline constexpr int64_t kAdvisoryLockKey = 0x6c6f636b73746570;

std::unique_ptr<Database> NewPostgresDatabase(PostgresOptions options);

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_POSTGRES_H_
