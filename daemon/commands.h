// The commands behind the CLI table in main.cc. Each writes its result to
// `out` (stdout), its diagnostics to `err` (stderr), and returns an exit code
// from exit_codes.h. None throws.
#ifndef LOCKSTEP_DAEMON_COMMANDS_H_
#define LOCKSTEP_DAEMON_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "manifests/environment.h"

namespace lockstep {

struct CommonOptions {
  std::string config_path;  // -c; empty: LOCKSTEP_CONFIG, then ./lockstep.yaml
  bool json = false;        // --json: machine-readable result on stdout
  Environment env = ProcessEnvironment();
};

struct PlanOptions {
  bool offline = false;              // as if nothing were applied
  std::vector<std::string> targets;  // --target ID
  std::vector<std::string> services; // --service NAME
};

struct ApplyOptions {
  std::vector<std::string> targets;   // --target ID
  std::vector<std::string> services;  // --service NAME
  bool dry_run = false;               // print the plan, touch nothing
};

int RunApply(const CommonOptions& options, const ApplyOptions& apply, std::ostream& out,
             std::ostream& err);
// `check`: exit 4 when anything is pending, failed or checksum-mismatched.
int RunStatus(const CommonOptions& options, bool check, std::ostream& out, std::ostream& err);
int RunHistory(const CommonOptions& options, std::ostream& out, std::ostream& err);

int RunValidate(const CommonOptions& options, std::ostream& out, std::ostream& err);
int RunPlan(const CommonOptions& options, const PlanOptions& plan, std::ostream& out,
            std::ostream& err);
// `format`: dot, mermaid or json.
int RunGraph(const CommonOptions& options, const std::string& format, std::ostream& out,
             std::ostream& err);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_COMMANDS_H_
