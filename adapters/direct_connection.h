// Whether a client's socket reaches the PostgreSQL backend itself, with
// nothing in between: no pooler (in any mode), no proxy. Telling it from what
// this process's socket says and what the backend says of its own connection
// costs one query, where the pooler probe costs a second connection: over a
// fleet of a thousand databases, a thousand connections.
#ifndef LOCKSTEP_ADAPTERS_DIRECT_CONNECTION_H_
#define LOCKSTEP_ADAPTERS_DIRECT_CONNECTION_H_

#include <string>

namespace lockstep {

// What the backend says of its connection. kBackendSideSql selects it, in
// this order, in one row.
struct BackendSide {
  int pid = 0;                 // pg_backend_pid()
  std::string client_address;  // host(inet_client_addr()); empty over a Unix socket
  int client_port = 0;
  std::string server_address;  // host(inet_server_addr())
  int server_port = 0;
};
inline constexpr const char* kBackendSideSql =
    "SELECT pg_backend_pid(), coalesce(host(inet_client_addr()), ''), "
    "coalesce(inet_client_port(), 0), coalesce(host(inet_server_addr()), ''), "
    "coalesce(inet_server_port(), 0)";

// True only when it can tell that socket `fd` is the backend's own, whose
// startup announced `announced_pid` (libpq's PQbackendPID; a pooler makes one
// up). Over TCP: this socket's two ends are the two ends the backend sees.
// Over a Unix socket: the process listening there (the socket's peer
// credentials) is the backend's parent, the postmaster. A pooler, an address
// translated on the way, a server process out of this process's sight: false.
bool ReachesBackendDirectly(int fd, int announced_pid, const BackendSide& backend);

// The parent of process `pid` (from /proc), or 0 when it cannot be read.
int ParentOf(int pid);

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_DIRECT_CONNECTION_H_
