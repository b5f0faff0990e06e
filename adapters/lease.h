// `settings.lock: lease`: the migration lock as one row in
// <history_schema>.lease, safe through any connection pooler (PgBouncer in
// transaction mode cannot hold a session advisory lock for its client).
//
// The row is taken, renewed and released in short statements of their own,
// all timed by the server's clock (clock_timestamp()), so clients' clocks
// never matter. An expired lease may be taken over. The holder renews every
// third of the lease's time to live on a connection of its own, and a holder
// that cannot renew stops starting migrations. Each migration commits only
// while its run holds the lease: its transaction ends with a FOR SHARE read
// of the lease row (FenceSql), so a takeover's UPDATE waits for that commit
// and then sees the row as it is.
#ifndef LOCKSTEP_ADAPTERS_LEASE_H_
#define LOCKSTEP_ADAPTERS_LEASE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lockstep {

// The lease table; created before the first lease is taken (not under any
// lock: concurrent creators are retried by the caller).
std::vector<std::string> LeaseTableDdl(const std::string& schema);

// INSERT ... ON CONFLICT DO UPDATE ... WHERE expired or ours RETURNING
// holder: one row when taken. $1 run id, $2 host, $3 pid, $4 ttl in ms.
std::string TakeLeaseSql(const std::string& schema);
// The holder of a lease that was not taken: holder, host, pid, acquired, expires.
std::string LeaseHolderSql(const std::string& schema);
// $1 run id, $2 ttl in ms; one row while still ours.
std::string RenewLeaseSql(const std::string& schema);
// $1 run id.
std::string ReleaseLeaseSql(const std::string& schema);
// $1 run id; one row, and the row locked FOR SHARE until commit, while ours
// and not expired.
std::string FenceSql(const std::string& schema);

// Renews a lease on a connection of its own until stopped or lost.
class LeaseKeeper {
 public:
  // `url` is opened lazily by the renewing thread; `application_name` as the
  // run's other connections.
  LeaseKeeper(std::string url, std::string schema, std::string run_id,
              std::chrono::milliseconds ttl);
  ~LeaseKeeper();  // stops renewing; the lease itself is released by the owner

  void Start();
  void Stop();
  // True once a renewal found the lease taken over, or renewals failed for
  // longer than the time to live.
  bool lost() const { return lost_; }
  // Why it was lost; empty while held.
  std::string why() const;

 private:
  void Loop();

  const std::string url_, schema_, run_id_;
  const std::chrono::milliseconds ttl_;
  std::atomic<bool> lost_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string why_;
  std::thread thread_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_LEASE_H_
