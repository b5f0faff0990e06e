// A throwaway PostgreSQL for integration tests, started with the same script
// the demo uses (scripts/throwaway-pg.sh) in a temporary folder, stopped and
// removed at the end.
#ifndef LOCKSTEP_TESTS_TESTING_POSTGRES_SERVER_H_
#define LOCKSTEP_TESTS_TESTING_POSTGRES_SERVER_H_

#include <string>

namespace lockstep {

class PostgresServer {
 public:
  // Starts it; see ok(). `durable`: with fsync and synchronous_commit on
  // (PostgreSQL's defaults), for tests that crash it; off otherwise (fast).
  explicit PostgresServer(bool durable = false);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string Url(const std::string& database) const;
  // Its folder: data, socket, port file (scripts/throwaway-pg.sh).
  const std::string& dir() const { return dir_; }
  // Stops the server, or starts it again on the same port.
  void Stop();
  void Start();
  // Stops it as a crash would (pg_ctl stop -m immediate): shared memory,
  // WAL not yet written included, is lost; Start runs crash recovery.
  void Kill();
  // Drops and creates `database`.
  void CreateDatabase(const std::string& database);
  // Runs `sql` with psql -At; returns its output, sets *code to psql's exit code.
  std::string Query(const std::string& database, const std::string& sql, int* code = nullptr) const;

 private:
  std::string StartCommand() const;

  std::string dir_;
  std::string error_;
  bool durable_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_POSTGRES_SERVER_H_
