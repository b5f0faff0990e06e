#include "adapters/direct_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fstream>
#include <sstream>

namespace lockstep {
namespace {

struct Endpoint {
  std::string address;
  int port = 0;
};

// An IPv4 address as text, also when it comes as IPv6's mapped form
// ("::ffff:127.0.0.1"): one side may see the other's IPv4 address so.
std::string Plain(std::string address) {
  const std::string mapped = "::ffff:";
  if (address.rfind(mapped, 0) == 0 && address.find('.') != std::string::npos) {
    address.erase(0, mapped.size());
  }
  return address;
}

bool EndpointOf(const sockaddr_storage& a, Endpoint* out) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    if (!inet_ntop(AF_INET, &in.sin_addr, text, sizeof text)) return false;
    out->port = ntohs(in.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    if (!inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text)) return false;
    out->port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  out->address = Plain(text);
  return true;
}

bool Same(const Endpoint& ours, const std::string& address, int port) {
  return ours.port == port && ours.address == Plain(address);
}

}  // namespace

int ParentOf(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  int parent = 0;
  if (!(rest >> state >> parent)) return 0;
  return parent;
}

bool ReachesBackendDirectly(int fd, int announced_pid, const BackendSide& backend) {
  if (fd < 0 || backend.pid <= 0 || announced_pid != backend.pid) return false;
  sockaddr_storage local{}, peer{};
  socklen_t local_size = sizeof local, peer_size = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) return false;
  if (local.ss_family == AF_UNIX) {
    if (!backend.client_address.empty()) return false;
    ucred listener{};
    socklen_t size = sizeof listener;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &listener, &size) != 0 || listener.pid <= 0) {
      return false;  // in another PID namespace: out of sight
    }
    return ParentOf(backend.pid) == listener.pid;
  }
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) return false;
  Endpoint ours, theirs;
  return EndpointOf(local, &ours) && EndpointOf(peer, &theirs) &&
         Same(ours, backend.client_address, backend.client_port) &&
         Same(theirs, backend.server_address, backend.server_port);
}

}  // namespace lockstep
