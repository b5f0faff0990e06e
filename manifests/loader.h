// Loads a whole platform: the platform file, every service manifest its globs
// name, and every migration file, into a Platform. Touches no database.
#ifndef LOCKSTEP_MANIFESTS_LOADER_H_
#define LOCKSTEP_MANIFESTS_LOADER_H_

#include <string>

#include "graph/diagnostic.h"
#include "manifests/environment.h"
#include "manifests/platform.h"

namespace lockstep {

// Reads `config_path` and everything it names. Every problem found goes to
// `diag` as "file:line[:column]: message"; loading goes on past errors so that
// all of them are reported at once. The result is complete only when `diag`
// has no errors. Service folders are read in parallel. Without
// `keep_statements`, migrations keep no statements (LoadMigrationFolder).
Platform LoadPlatform(const std::string& config_path, const Environment& env, Diagnostics* diag,
                      bool keep_statements = true);

// The connection string of `db`: its url with ${VAR} expanded, or the trimmed
// contents of its url_file (relative to the platform root). On failure returns
// false and sets *error ("database 'x': ..."), which never holds a password.
bool ResolveDatabaseUrl(const Platform& platform, const DatabaseConfig& db, const Environment& env,
                        std::string* url, std::string* error);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_LOADER_H_
