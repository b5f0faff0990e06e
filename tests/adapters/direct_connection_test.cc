// Telling a direct connection from one through a pooler, on real sockets of
// this process: a TCP pair over 127.0.0.1, and a Unix socket whose listener
// is this process (as the postmaster is a backend's parent).
#include "adapters/direct_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace lockstep {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

sockaddr_in NameOf(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t size = sizeof a;
  if (peer) {
    getpeername(fd, reinterpret_cast<sockaddr*>(&a), &size);
  } else {
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  }
  return a;
}

// A connected TCP pair on 127.0.0.1; `backend` is what the accepting side
// (the server) sees of it.
void TcpPair(Fd* client, Fd* server, BackendSide* backend) {
  Fd listener;
  listener.fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(listener.fd, 1), 0);
  a = NameOf(listener.fd, false);
  client->fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client->fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  server->fd = accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(server->fd, 0);
  sockaddr_in them = NameOf(server->fd, true), us = NameOf(server->fd, false);
  char text[INET_ADDRSTRLEN];
  backend->pid = 4242;
  backend->client_address = inet_ntop(AF_INET, &them.sin_addr, text, sizeof text);
  backend->client_port = ntohs(them.sin_port);
  backend->server_address = inet_ntop(AF_INET, &us.sin_addr, text, sizeof text);
  backend->server_port = ntohs(us.sin_port);
}

TEST(DirectConnectionTest, TcpSocketWhoseEndsTheBackendSeesIsDirect) {
  Fd client, server;
  BackendSide backend;
  ASSERT_NO_FATAL_FAILURE(TcpPair(&client, &server, &backend));
  EXPECT_TRUE(ReachesBackendDirectly(client.fd, 4242, backend));
  // The backend may see an IPv4 client in IPv6's mapped form.
  BackendSide mapped = backend;
  mapped.client_address = "::ffff:" + backend.client_address;
  EXPECT_TRUE(ReachesBackendDirectly(client.fd, 4242, mapped));
}

// A pooler in between: the backend's client is the pooler's own socket (its
// port), the server end may be another port, and the pid this client was
// told at startup is made up.
TEST(DirectConnectionTest, TcpSocketThroughSomethingElseIsNot) {
  Fd client, server;
  BackendSide backend;
  ASSERT_NO_FATAL_FAILURE(TcpPair(&client, &server, &backend));
  BackendSide other_client = backend, other_server = backend, other_host = backend;
  other_client.client_port = backend.client_port == 65535 ? 1 : backend.client_port + 1;
  other_server.server_port = backend.server_port == 65535 ? 1 : backend.server_port + 1;
  other_host.client_address = "10.1.2.3";
  EXPECT_FALSE(ReachesBackendDirectly(client.fd, 4242, other_client));
  EXPECT_FALSE(ReachesBackendDirectly(client.fd, 4242, other_server));
  EXPECT_FALSE(ReachesBackendDirectly(client.fd, 4242, other_host));
  EXPECT_FALSE(ReachesBackendDirectly(client.fd, 4243, backend));
  EXPECT_FALSE(ReachesBackendDirectly(-1, 4242, backend));
}

// This process listens, as the postmaster does; a child of it stands for the
// backend, and any other process for a backend behind a pooler.
TEST(DirectConnectionTest, UnixSocketWhoseListenerIsTheBackendsParentIsDirect) {
  std::string dir = testing::TempDir() + "direct_connection_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string path = dir + "/.s.PGSQL.5432";
  ASSERT_LT(path.size(), sizeof a.sun_path);
  std::strcpy(a.sun_path, path.c_str());
  Fd listener, client;
  listener.fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(bind(listener.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(listener.fd, 1), 0);
  client.fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);

  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  BackendSide backend;
  backend.pid = child;
  EXPECT_TRUE(ReachesBackendDirectly(client.fd, child, backend));
  BackendSide stranger;  // its parent is not the listener
  stranger.pid = getppid();
  EXPECT_FALSE(ReachesBackendDirectly(client.fd, stranger.pid, stranger));
  BackendSide over_tcp = backend;  // a backend whose client is a TCP socket
  over_tcp.client_address = "127.0.0.1";
  EXPECT_FALSE(ReachesBackendDirectly(client.fd, child, over_tcp));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST(DirectConnectionTest, ParentOfReadsProcAndSaysZeroWhenItCannot) {
  EXPECT_EQ(ParentOf(getpid()), getppid());
  EXPECT_EQ(ParentOf(0), 0);
  EXPECT_EQ(ParentOf(-5), 0);
  EXPECT_EQ(ParentOf(1 << 30), 0);  // above any pid_max
}

}  // namespace
}  // namespace lockstep
