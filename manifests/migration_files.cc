#include "manifests/migration_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "graph/suggest.h"
#include "manifests/sha256.h"
#include "manifests/sql_lexer.h"
#include "manifests/transactions.h"

namespace lockstep {
namespace {

constexpr std::string_view kUp = ".up.sql";
constexpr std::string_view kDown = ".down.sql";
constexpr std::string_view kNamingRule =
    "name migrations <version>_<name>.up.sql and <version>_<name>.down.sql, "
    "e.g. 001_create_users.up.sql";

}  // namespace

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error, int dir_fd,
                   size_t max_bytes, bool regular_entry) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  // O_NOFOLLOW: a symlink put where readdir saw a regular file is refused.
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (regular_entry ? O_NOFOLLOW : 0);
  int fd = ::openat(dir_fd, path.c_str(), flags);
  if (fd < 0) {
    *error = std::string("cannot read: ") + std::strerror(errno);
    return false;
  }
  size_t start = out->size();
  auto fail = [&](const std::string& why) {
    *error = "cannot read: " + why;
    out->resize(start);
    ::close(fd);
    return false;
  };
  auto too_large = [&] { return "larger than " + std::to_string(max_bytes / 1024) + " KiB"; };
  if (!regular_entry) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fail("not a regular file");
    if (max_bytes > 0 && static_cast<size_t>(st.st_size) > max_bytes) return fail(too_large());
  }
  // A read shorter than the buffer ends a regular file, so a file up to the
  // buffer's size takes one read and no size asked first: at 100,000
  // migrations an fstat per file was a quarter of the system calls.
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    out->append(buffer, static_cast<size_t>(n));
    if (max_bytes > 0 && out->size() - start > max_bytes) return fail(too_large());
    if (static_cast<size_t>(n) < sizeof buffer) break;
  }
  ::close(fd);
  return true;
}

int FirstNulLine(std::string_view text) {
  size_t at = text.find('\0');
  if (at == std::string_view::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

namespace {

// "lockstep:..." after "--" and spaces, or empty when the line is not one.
std::string_view DirectiveText(std::string_view trimmed) {
  if (trimmed.substr(0, 2) != "--") return {};
  std::string_view rest = Trim(trimmed.substr(2));
  if (rest.substr(0, 9) != "lockstep:") return {};
  return rest;
}

void ParseDirective(std::string_view line_text, std::string_view directive, int line, bool up_file,
                    const std::string& path, Directives* out, Diagnostics* diag) {
  std::vector<Reference> words;
  for (size_t i = 0; i < directive.size();) {
    while (i < directive.size() && (directive[i] == ' ' || directive[i] == '\t')) ++i;
    size_t start = i;
    while (i < directive.size() && directive[i] != ' ' && directive[i] != '\t') ++i;
    if (i > start) {
      int column = static_cast<int>(directive.data() + start - line_text.data()) + 1;
      words.push_back({std::string(directive.substr(start, i - start)), line, column});
    }
  }
  std::string name = words[0].text.substr(9);
  std::vector<Reference> args(words.begin() + 1, words.end());
  if (name == "requires" || name == "parents") {
    if (!up_file) {
      diag->Error(path, line,
                  "lockstep:" + name +
                      " belongs in the up file; a down file "
                      "may carry only lockstep:no-transaction");
    } else if (args.empty()) {
      diag->Error(path, line,
                  "lockstep:" + name + " names no migration; write '-- lockstep:" + name +
                      (name == "requires" ? " service:version'" : " version version'"));
    } else if (name == "requires") {
      out->requires_refs.insert(out->requires_refs.end(), args.begin(), args.end());
    } else {
      out->has_parents = true;
      out->parents.insert(out->parents.end(), args.begin(), args.end());
    }
  } else if (name == "allow") {
    // Lint rules this file accepts, with the reason in the comment above.
    if (args.empty()) {
      diag->Error(path, line, "lockstep:allow names no lint rule; write '-- lockstep:allow LS103'");
    }
    for (const Reference& arg : args) {
      bool id = arg.text.size() == 5 && arg.text.starts_with("LS") &&
                std::all_of(arg.text.begin() + 2, arg.text.end(), ::isdigit);
      if (!id) {
        diag->Error(path, line,
                    "lockstep:allow: '" + arg.text + "' is not a lint rule id (LS101, ...)",
                    arg.column);
      } else {
        out->lint_allow.push_back(arg);
      }
    }
  } else if (name == "no-transaction") {
    if (!args.empty()) {
      diag->Error(path, line, "lockstep:no-transaction takes no arguments");
    }
    out->no_transaction = true;
  } else {
    diag->Error(path, line,
                "unknown directive 'lockstep:" + name + "'" +
                    DidYouMean(name, {"requires", "parents", "no-transaction", "allow"}) +
                    "; known: requires, parents, no-transaction, allow",
                words[0].column);
  }
}

struct FilePair {
  std::optional<MigrationFileName> name;
  std::string up, down;                           // file names in the folder
  bool up_regular = false, down_regular = false;  // readdir said a regular file
};

constexpr const char* kNulMessage =
    "holds a NUL byte; PostgreSQL would never see what follows it: remove it";
constexpr const char* kEmptyDownGroup =
    "down files hold no SQL statement: those migrations are irreversible, and rollback refuses "
    "them";
constexpr const char* kBrokenDownGroup =
    "down files cannot run as written: rollback and verify refuse them until they are fixed; "
    "apply is not affected";

// Reads `file` of the folder open as `dir_fd`; `path` is how to show it.
bool LoadSqlFile(int dir_fd, const std::string& file, bool regular, const std::string& path,
                 bool up_file, std::string* text, Directives* directives,
                 std::vector<Statement>* statements, Diagnostics* diag) {
  std::string error;
  if (!ReadWholeFile(file, text, &error, dir_fd, 0, regular)) {
    diag->Error(path, 0, error);
    return false;
  }
  if (int bad = FirstInvalidUtf8Line(*text)) {
    diag->Error(path, bad, "not valid UTF-8; save the file as UTF-8");
    return false;
  }
  if (int line = FirstNulLine(*text)) {
    diag->Error(path, line, kNulMessage);
    return false;
  }
  std::string_view body = *text;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // BOM
  *directives = ParseDirectives(body, up_file, path, diag);
  LexResult lexed = LexSql(body);
  for (const LexError& e : lexed.errors) diag->Error(path, e.line, e.message);
  *statements = PrepareStatements(lexed, directives->no_transaction, path, diag);
  if (statements->empty() && lexed.errors.empty()) {
    if (up_file) {
      diag->Warning(path, 0, "holds no SQL statement");
    } else {
      diag->Warning(path, 0, "holds no SQL statement: the migration is irreversible", 0,
                    kEmptyDownGroup);
    }
  }
  return true;
}

// A down file's problems block only what would run it: they become warnings
// here, and the migration keeps them for rollback and verify to refuse.
void LoadDownFile(int dir_fd, const FilePair& pair, Migration* m, Diagnostics* diag) {
  Diagnostics down;
  std::string text;
  Directives directives;
  const std::string path = m->DownPath();
  LoadSqlFile(dir_fd, pair.down, pair.down_regular, path, false, &text, &directives, &m->down,
              &down);
  if (int line = FirstNulLine(text)) {  // a corrupt file, not an old mistake
    diag->Error(path, line, kNulMessage);
    return;
  }
  m->down_no_transaction = directives.no_transaction;
  for (const Diagnostic& d : down.all()) {
    if (d.severity == Diagnostic::Severity::kWarning) {
      diag->Warning(d.file, d.line, d.message, d.column, d.group);
      continue;
    }
    m->down_problems.push_back(d.ToString());
    diag->Warning(d.file, d.line,
                  d.message +
                      " (a down file: rollback and verify refuse it until it is fixed; "
                      "apply is not affected)",
                  d.column, kBrokenDownGroup);
  }
  // Empty and without problems: irreversible on purpose, not broken.
  m->down_empty = m->down.empty() && m->down_problems.empty();
}

// False (with an error) when `file` in `folder` is a symlink that leads
// outside the platform root `root` (canonical), or cannot be resolved.
bool InsideRoot(const std::string& folder, const std::string& file, const std::string& root,
                Diagnostics* diag) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::canonical(folder + "/" + file, ec);
  std::string relative = ec ? "" : target.lexically_relative(root).string();
  if (ec || relative.empty() || relative.starts_with("..")) {
    diag->Error(folder + "/" + file, 0,
                ec ? "symbolic link that leads nowhere (" + ec.message() + "); fix or remove it"
                   : "symbolic link to " + target.string() + ", outside the platform root " + root +
                         "; lockstep runs only files under the root: copy the file in instead");
    return false;
  }
  return true;
}

}  // namespace

std::optional<MigrationFileName> ParseMigrationFileName(std::string_view file, std::string* error) {
  error->clear();
  MigrationFileName result;
  std::string_view stem;
  if (file.ends_with(kUp)) {
    stem = file.substr(0, file.size() - kUp.size());
  } else if (file.ends_with(kDown)) {
    stem = file.substr(0, file.size() - kDown.size());
    result.up = false;
  } else {
    if (file.ends_with(".sql"))
      *error = "not a migration file, ignored: " + std::string(kNamingRule);
    return std::nullopt;
  }
  size_t consumed = 0;
  auto version = Version::ParsePrefix(stem, &consumed, /*need_name=*/true);
  std::string_view name = version ? stem.substr(consumed) : std::string_view();
  bool valid = version && name.size() > 1 && name[0] == '_';
  for (size_t i = 1; valid && i < name.size(); ++i) {
    char c = name[i];
    valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-';
  }
  if (!valid) {
    *error = "file name breaks the naming rule: " + std::string(kNamingRule) +
             " (the name of letters, digits, '_' and '-')";
    return std::nullopt;
  }
  result.version = *version;
  result.name = std::string(name.substr(1));
  return result;
}

Directives ParseDirectives(std::string_view text, bool up_file, const std::string& path,
                           Diagnostics* diag) {
  Directives out;
  bool header = true;
  int line = 1;
  for (size_t pos = 0; pos < text.size(); ++line) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line_text = text.substr(pos, end - pos);
    pos = end + 1;
    std::string_view trimmed = Trim(line_text);
    if (header && (trimmed.empty() || trimmed.substr(0, 2) == "--")) {
      std::string_view directive = DirectiveText(trimmed);
      if (!directive.empty()) {
        ParseDirective(line_text, directive, line, up_file, path, &out, diag);
      }
      continue;
    }
    header = false;
    if (!DirectiveText(trimmed).empty()) {
      diag->Error(path, line,
                  "directive after the first statement is not read; move it "
                  "to the top of the file");
    }
  }
  return out;
}

int FirstInvalidUtf8Line(std::string_view text) {
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      line += c == '\n';
      ++i;
      continue;
    }
    size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (length == 0 || (c >= 0xF0 && c > 0xF4) || i + length > text.size()) return line;
    uint32_t cp = c & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return line;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return line;
    }
    i += length;
  }
  return 0;
}

size_t CountUpFiles(const std::string& folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return 0;
  size_t count = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    count += std::string_view(entry->d_name).ends_with(kUp);
  }
  ::closedir(dir);
  return count;
}

void LoadMigrationFolder(int service, const std::string& folder, const std::string& root,
                         Diagnostics* diag, bool keep_statements,
                         const std::function<void(Migration&&)>& add) {
  std::map<std::string, FilePair> pairs;  // by stem
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) {
    diag->Error(folder, 0,
                std::string("cannot list the migrations folder: ") + std::strerror(errno));
    return;
  }
  auto path_of = [&](const std::string& file) { return folder + "/" + file; };
  while (struct dirent* entry = ::readdir(dir)) {
    std::string file = entry->d_name;
    if (file.empty() || file[0] == '.' || entry->d_type == DT_DIR) continue;
    std::string error;
    auto name = ParseMigrationFileName(file, &error);
    if (name && entry->d_type != DT_REG && !InsideRoot(folder, file, root, diag)) continue;
    if (!name) {
      bool looks_like_migration = file.ends_with(kUp) || file.ends_with(kDown);
      if (looks_like_migration)
        diag->Error(path_of(file), 0, error);
      else if (!error.empty())
        diag->Warning(path_of(file), 0, error);
      continue;
    }
    FilePair& pair = pairs[name->version.text() + "_" + name->name];
    (name->up ? pair.up : pair.down) = file;
    (name->up ? pair.up_regular : pair.down_regular) = entry->d_type == DT_REG;
    if (name->up || !pair.name) pair.name = std::move(name);
  }
  int dir_fd = ::dirfd(dir);
  // In version order from the start: sorting the migrations afterwards moved
  // each one and held a second buffer of them (a third of the peak memory at
  // 100,000 migrations).
  std::vector<std::pair<const std::string, FilePair>*> ordered;
  ordered.reserve(pairs.size());
  for (auto& entry : pairs) ordered.push_back(&entry);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return a->second.name->version < b->second.name->version;
  });
  for (auto* entry : ordered) {
    const std::string& stem = entry->first;
    FilePair& pair = entry->second;
    if (pair.up.empty()) {
      diag->Error(path_of(pair.down), 0,
                  "down file without an up file: add " + stem + ".up.sql, or remove this file");
      continue;
    }
    Migration m;
    m.service = service;
    m.version = pair.name->version;
    m.name = pair.name->name;
    m.up_path = path_of(pair.up);
    std::string text;
    Directives directives;
    if (!LoadSqlFile(dir_fd, pair.up, pair.up_regular, m.up_path, true, &text, &directives, &m.up,
                     diag)) {
      continue;
    }
    m.checksum = Sha256(text);
    m.requires_refs = std::move(directives.requires_refs);
    m.parent_refs = std::move(directives.parents);
    m.has_parents_directive = directives.has_parents;
    m.no_transaction = directives.no_transaction;
    for (const Reference& rule : directives.lint_allow) m.lint_allow.push_back(rule.text);
    if (!pair.down.empty()) {
      m.has_down = true;
      LoadDownFile(dir_fd, pair, &m, diag);
    }
    if (!keep_statements) {
      std::vector<Statement>().swap(m.up);
      std::vector<Statement>().swap(m.down);
    }
    add(std::move(m));
  }
  ::closedir(dir);
}

}  // namespace lockstep
