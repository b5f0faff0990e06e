// Scratch databases: made on a platform database's server (or another one)
// for a command's own use, and dropped afterwards. `verify` runs every
// migration up, down and up again on them; `drift` builds on them the schema
// that a database without a stored snapshot should have.
#ifndef LOCKSTEP_DAEMON_CLI_SCRATCH_H_
#define LOCKSTEP_DAEMON_CLI_SCRATCH_H_

#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "adapters/database.h"
#include "daemon/cli/commands.h"
#include "manifests/platform.h"

namespace lockstep {

// One scratch database per logical database, on the same server (or the one
// `scratch_url` names), dropped when this goes unless `keep`. Not
// thread-safe.
class ScratchDatabases {
 public:
  // `purpose` ("verify") names them: lockstep_<purpose>_<run id>_<database>.
  ScratchDatabases(const Platform& platform, const CommonOptions& options, std::string scratch_url,
                   bool keep, std::string purpose);
  ~ScratchDatabases();
  ScratchDatabases(const ScratchDatabases&) = delete;
  ScratchDatabases& operator=(const ScratchDatabases&) = delete;

  const std::string& run_id() const { return run_id_; }
  Database& of(const std::string& db) { return *scratch_[db]; }

  // Makes the scratch database of `db`, with lockstep's tables; says which
  // on `out`.
  Status Make(const std::string& db, std::ostream& out);

 private:
  std::unique_ptr<Database> Open(const std::string& url, const std::string& db);

  const Platform& platform_;
  const CommonOptions& options_;
  const std::string scratch_url_;
  const bool keep_;
  const std::string purpose_;
  const std::string run_id_;
  std::map<std::string, std::unique_ptr<Database>> scratch_, admin_;
  std::map<std::string, std::string> names_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_CLI_SCRATCH_H_
