// The plain model of a platform that the loader fills in and the graph reads:
// services and their migrations, with every reference still as written.
#ifndef LOCKSTEP_GRAPH_MODEL_H_
#define LOCKSTEP_GRAPH_MODEL_H_

#include <string>
#include <string_view>
#include <vector>

#include "graph/checksum.h"
#include "graph/version.h"

namespace lockstep {

// A reference to another migration as written in a directive, with the line
// that holds it: "user-service:001", "user-service:001_create_users", or for
// `parents` a bare "003".
struct Reference {
  std::string text;
  int line = 0;
  int column = 0;
};

// One SQL statement of a migration file, its text exactly as in the file.
struct Statement {
  std::string sql;
  int line = 0;  // first line of the statement's first token
};

struct Migration {
  int service = -1;  // index into Model::services
  Version version;
  std::string name;
  std::string up_path;    // as the user would open it: <folder>/<version>_<name>.up.sql
  bool has_down = false;  // a down file sits beside the up file (DownPath)
  Checksum checksum;      // SHA-256 of the up file's bytes
  std::vector<Reference> requires_refs;
  std::vector<Reference> parent_refs;
  bool has_parents_directive = false;
  bool no_transaction = false;
  bool down_no_transaction = false;
  bool down_empty = false;              // a down file without statements: irreversible
  std::vector<std::string> lint_allow;  // lint rules the up file accepts (-- lockstep:allow)
  // What is wrong with the down file ("file:line: message"); only what runs
  // it (rollback, verify) is refused because of them.
  std::vector<std::string> down_problems;
  std::vector<Statement> up;
  std::vector<Statement> down;

  // Where the down file is, or would be when there is none (!has_down):
  // beside the up file, ".down.sql" for ".up.sql". Derived, not stored: a
  // second path per migration was 9 MiB at 100,000 migrations.
  std::string DownPath() const {
    std::string_view stem = up_path;
    if (stem.ends_with(".up.sql")) stem.remove_suffix(7);
    return std::string(stem) + ".down.sql";
  }
};

struct Service {
  std::string name;
  std::string database;  // logical name, a key of the platform's databases
  std::string schema;    // empty when the manifest sets none
  std::string manifest_path;
  std::string folder;  // the migrations folder, as the user would open it
  int line = 0;        // line of `service:` in the manifest
  // On a database set, each member has its own copy of the service: this
  // copy's member ("tenant/acme", also its `database`); empty otherwise.
  std::string member;

  // The service's name, with "@member" for a member's copy.
  std::string key() const { return member.empty() ? name : name + "@" + member; }
};

struct Model {
  std::vector<Service> services;
  std::vector<Migration> migrations;

  // "user-service:001", or "billing-service:001@tenant/acme" on a member of
  // a database set.
  std::string IdOf(int migration) const {
    const Migration& m = migrations[migration];
    const Service& s = services[m.service];
    std::string id = s.name + ":" + m.version.text();
    if (!s.member.empty()) id += "@" + s.member;
    return id;
  }
};

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_MODEL_H_
