// The options every command shares (-c, --json, --verbose, the environment)
// and the seam through which commands get their databases.
#ifndef LOCKSTEP_DAEMON_OPTIONS_H_
#define LOCKSTEP_DAEMON_OPTIONS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/clock.h"
#include "adapters/database.h"
#include "manifests/environment.h"
#include "manifests/platform.h"

namespace lockstep {

// Makes the databases of one run of `platform`, their connections named
// `lockstep/<run_id>`.
using DatabasesMaker =
    std::function<DatabaseFactory(const Platform& platform, const std::string& run_id)>;

struct CommonOptions {
  std::string config_path;  // -c; empty: LOCKSTEP_CONFIG, then ./lockstep.yaml
  bool json = false;        // --json: machine-readable result on stdout
  bool verbose = false;     // --verbose: every warning, not a summary of repeated ones
  // Whether migrations keep their statements once checked: false for
  // commands that never run or print SQL (validate, status, history, wait,
  // plan without --sql).
  bool keep_statements = true;
  Environment env = ProcessEnvironment();
  // PostgreSQL from the platform's connections when empty; tests set a fake.
  DatabasesMaker databases;
  Clock* clock = Clock::Real();  // waits and timeouts; tests set a fake
  bool color = false;            // --color: escape codes for states in results on stdout
  std::ostream* live = nullptr;  // a terminal for a live progress line (stderr on a TTY)
  // --shard I/N: only the databases whose ShardOf(name, N) is I; 0 shards: all.
  int shard = 0, shards = 0;
  // --tenant: only these members of database sets ("tenant/acme" or "acme").
  std::vector<std::string> tenants;
  // Whether loading may run a set's `tenants: { query }` (false for commands
  // that touch no database: validate, graph, new, plan --offline).
  bool read_tenant_queries = true;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_OPTIONS_H_
