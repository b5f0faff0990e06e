// One service's migrations folder: file names, directives, UTF-8, checksums
// and statements.
#ifndef LOCKSTEP_MANIFESTS_MIGRATION_FILES_H_
#define LOCKSTEP_MANIFESTS_MIGRATION_FILES_H_

#include <fcntl.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/diagnostic.h"
#include "graph/model.h"

namespace lockstep {

struct MigrationFileName {
  Version version;
  std::string name;
  bool up = true;
};

// Parses "001_create_users_table.up.sql". Returns nullopt when the name is
// not a migration's; sets *error when it looks like one gone wrong (a .sql
// file that breaks the naming rule), and leaves it empty for other files.
std::optional<MigrationFileName> ParseMigrationFileName(std::string_view file, std::string* error);

struct Directives {
  std::vector<Reference> requires_refs;
  std::vector<Reference> parents;
  bool has_parents = false;
  bool no_transaction = false;
  std::vector<Reference> lint_allow;  // -- lockstep:allow LS103 ...: lint rules accepted here
};

// Reads the `-- lockstep:` directives at the top of a file, before its first
// statement; reports unknown ones, misplaced ones, and (in a down file)
// requires/parents, to `diag` under `path`.
Directives ParseDirectives(std::string_view text, bool up_file, const std::string& path,
                           Diagnostics* diag);

// Appends a whole regular file to *out; `path` is relative to the directory
// open as `dir_fd` (or to the working directory). Anything else (a FIFO, a
// device such as /dev/zero, a folder) and, with `max_bytes` > 0, a file larger
// than that are refused. On failure returns false and sets *error to "cannot
// read: <reason>". `regular_entry`: readdir said `path` is a regular file
// (d_type DT_REG), so its type is not asked again (one system call fewer per
// file) and a symlink found there instead is refused.
bool ReadWholeFile(const std::string& path, std::string* out, std::string* error,
                   int dir_fd = AT_FDCWD, size_t max_bytes = 0, bool regular_entry = false);

// `s` without leading spaces and tabs, and trailing spaces, tabs and '\r'.
std::string_view Trim(std::string_view s);

// The line of the first NUL byte, or 0 if there is none.
int FirstNulLine(std::string_view text);

// The line of the first byte that is not valid UTF-8, or 0 if all are.
int FirstInvalidUtf8Line(std::string_view text);

// The number of up files ("*.up.sql") in `folder`: at least as many
// migrations as LoadMigrationFolder will find there, unless files are added
// meanwhile. 0 when it cannot be listed.
size_t CountUpFiles(const std::string& folder);

// Reads every migration in `folder` (display path) for service index
// `service` and hands each to `add`, in version order. A migration file
// that is a symlink must lead inside `root` (the platform root,
// canonical). Problems of up files are
// errors in `diag`; those of down files are warnings there, kept in the
// migration's down_problems for rollback and verify. Without
// `keep_statements` every file is still read, hashed, lexed and checked, but
// its statements are not kept (commands that never run or print SQL: at
// 100,000 migrations they were a third of the memory).
void LoadMigrationFolder(int service, const std::string& folder, const std::string& root,
                         Diagnostics* diag, bool keep_statements,
                         const std::function<void(Migration&&)>& add);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_MIGRATION_FILES_H_
