// Database sets: reading each set's members (`tenants:` of the platform file)
// and expanding a platform's sets into one database, and one copy of every
// service on the set, per member.
#ifndef LOCKSTEP_MANIFESTS_TENANTS_H_
#define LOCKSTEP_MANIFESTS_TENANTS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "graph/diagnostic.h"
#include "manifests/platform.h"

namespace lockstep {

// Runs a set's `tenants: { query }` on its database: one name a row, in
// *names; false with *error (which names no password) when it cannot.
using TenantQuery = std::function<bool(const DatabaseConfig& set, std::vector<std::string>* names,
                                       std::string* error)>;

// Member names by set name, each list sorted (the stable order of
// `apply --canary`) and without duplicates.
using Members = std::map<std::string, std::vector<std::string>>;

// A member name: [a-z0-9][a-z0-9_-]*, at most 63 bytes.
bool IsTenantName(std::string_view name);

// The members of every set of `platform`: from a list, a file (relative to
// the platform file; '#' comments) or a query (run with `query`; when `query`
// is empty, such a set has no member and *unread names it). Problems go to
// `diag` with the file and line that hold them.
Members ReadMembers(const Platform& platform, const TenantQuery& query, Diagnostics* diag,
                    std::vector<std::string>* unread);

// Keeps only the members `wanted` names ("tenant/acme", or "acme" for that
// name in any set); a name that matches no member is an error in `diag` with
// a "did you mean". Nothing is dropped when `wanted` is empty.
void SelectMembers(const std::vector<std::string>& wanted, Members* members, Diagnostics* diag);

// `platform` with every set expanded: a DatabaseConfig per member ("SET/NAME",
// the set's url, its own history schema when members are schemas), and a copy
// of each service on a set (and of its migrations) per member, its `member`
// and `database` the member's name and `{tenant}` in its schema replaced.
// The sets' own entries stay in `databases`. Problems (a name that cannot be
// part of a schema name) go to `diag`.
Platform ExpandSets(const Platform& platform, const Members& members, Diagnostics* diag);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_TENANTS_H_
