// Opens N keep-alive connections to a server, sends one request on each and reads the
// answer, then holds them all open and prints the server's resident memory (VmRSS from
// /proc/PID/status) before and after. Used by bench/run for the idle-connection figure.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

static long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: idle_connections PORT SERVER_PID COUNT\n";
    return 2;
  }
  int port = std::atoi(argv[1]), pid = std::atoi(argv[2]), count = std::atoi(argv[3]);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  long before = rss_kib(pid);
  std::vector<int> fds;
  const char req[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
  int failures = 0;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd, req, sizeof req - 1, 0) != ssize_t(sizeof req - 1)) {
      ++failures;
      if (fd >= 0) ::close(fd);
      continue;
    }
    char buf[2048];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || std::strncmp(buf, "HTTP/1.1 200", 12) != 0) ++failures;
    fds.push_back(fd);
  }
  ::sleep(1);
  long after = rss_kib(pid);
  std::printf("idle connections: %zu open (%d failed); server RSS %.1f MB before, %.1f MB with them open "
              "(%.1f KB per connection)\n",
              fds.size(), failures, before / 1024.0, after / 1024.0,
              fds.empty() ? 0.0 : double(after - before) / double(fds.size()));
  for (int fd : fds) ::close(fd);
  return failures == 0 ? 0 : 1;
}
