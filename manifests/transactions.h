// From a lexed migration file to the statements lockstep sends. lockstep wraps
// each migration in one transaction itself, so the file's own top-level
// BEGIN ... COMMIT is recognised and left out; a file that would need two
// transactions, or a statement that cannot run inside one, is rejected.
#ifndef LOCKSTEP_MANIFESTS_TRANSACTIONS_H_
#define LOCKSTEP_MANIFESTS_TRANSACTIONS_H_

#include <string>
#include <vector>

#include "graph/diagnostic.h"
#include "graph/model.h"
#include "manifests/sql_lexer.h"

namespace lockstep {

// The statements to send, in order. Errors go to `diag` under `path`.
// `no_transaction`: the file runs statement by statement (its directive), so
// it may hold CREATE INDEX CONCURRENTLY and the like but no transaction
// control of its own.
std::vector<Statement> PrepareStatements(const LexResult& lexed, bool no_transaction,
                                         const std::string& path, Diagnostics* diag);

// "CREATE INDEX CONCURRENTLY", "VACUUM", ... when `s` cannot run inside a
// transaction block; empty otherwise.
std::string NonTransactionalCommand(const LexedStatement& s);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_TRANSACTIONS_H_
