#include "adapters/lease.h"

#include <pqxx/pqxx>

namespace lockstep {

namespace {

std::string Table(const std::string& schema) { return "\"" + schema + "\".lease"; }

}  // namespace

std::vector<std::string> LeaseTableDdl(const std::string& schema) {
  return {"CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"",
          "CREATE TABLE IF NOT EXISTS " + Table(schema) + R"( (
    id       int         PRIMARY KEY CHECK (id = 1),
    holder   text        NOT NULL,
    host     text        NOT NULL,
    pid      int         NOT NULL,
    acquired timestamptz NOT NULL,
    renewed  timestamptz NOT NULL,
    expires  timestamptz NOT NULL))"};
}

std::string TakeLeaseSql(const std::string& schema) {
  return "INSERT INTO " + Table(schema) +
         " AS l (id, holder, host, pid, acquired, renewed, expires) VALUES (1, $1, $2, $3, "
         "clock_timestamp(), clock_timestamp(), clock_timestamp() + $4 * interval '1 "
         "millisecond') ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, host = "
         "EXCLUDED.host, pid = EXCLUDED.pid, acquired = EXCLUDED.acquired, renewed = "
         "EXCLUDED.renewed, expires = EXCLUDED.expires WHERE l.expires < clock_timestamp() OR "
         "l.holder = EXCLUDED.holder RETURNING holder";
}

std::string LeaseHolderSql(const std::string& schema) {
  return "SELECT holder, host, pid, to_char(acquired AT TIME ZONE 'UTC', 'YYYY-MM-DD "
         "HH24:MI:SS') || ' UTC', greatest(0, ceil(extract(epoch FROM expires - "
         "clock_timestamp())))::bigint FROM " +
         Table(schema) + " WHERE id = 1";
}

std::string RenewLeaseSql(const std::string& schema) {
  return "UPDATE " + Table(schema) +
         " SET renewed = clock_timestamp(), expires = clock_timestamp() + $2 * interval '1 "
         "millisecond' WHERE id = 1 AND holder = $1 RETURNING 1";
}

std::string ReleaseLeaseSql(const std::string& schema) {
  return "DELETE FROM " + Table(schema) + " WHERE id = 1 AND holder = $1";
}

std::string FenceSql(const std::string& schema) {
  return "SELECT 1 FROM " + Table(schema) +
         " WHERE id = 1 AND holder = $1 AND expires > clock_timestamp() FOR SHARE";
}

LeaseKeeper::LeaseKeeper(std::string url, std::string schema, std::string run_id,
                         std::chrono::milliseconds ttl)
    : url_(std::move(url)), schema_(std::move(schema)), run_id_(std::move(run_id)), ttl_(ttl) {}

LeaseKeeper::~LeaseKeeper() { Stop(); }

void LeaseKeeper::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void LeaseKeeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string LeaseKeeper::why() const {
  std::lock_guard<std::mutex> lock(mu_);
  return why_;
}

void LeaseKeeper::Loop() {
  auto renewed = std::chrono::steady_clock::now();
  std::unique_ptr<pqxx::connection> conn;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, ttl_ / 3, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    std::string failure;
    bool taken_over = false;
    try {
      if (!conn) {
        conn = std::make_unique<pqxx::connection>(url_);
        pqxx::nontransaction tx(*conn);
        tx.exec("SET application_name = " + tx.quote("lockstep/" + run_id_));
      }
      pqxx::nontransaction tx(*conn);
      taken_over =
          tx.exec_params(RenewLeaseSql(schema_), run_id_, static_cast<int64_t>(ttl_.count()))
              .empty();
      if (!taken_over) renewed = std::chrono::steady_clock::now();
    } catch (const std::exception& e) {
      conn.reset();  // a fresh connection next time
      failure = e.what();
    }
    lock.lock();
    if (taken_over) {
      why_ = "another run took the lease over (it had expired: settings.lease_ttl)";
    } else if (std::chrono::steady_clock::now() - renewed > ttl_) {
      why_ = "the lease could not be renewed for longer than settings.lease_ttl" +
             (failure.empty() ? std::string() : ": " + failure.substr(0, failure.find('\n')));
    } else {
      continue;
    }
    lost_ = true;
    break;
  }
}

}  // namespace lockstep
