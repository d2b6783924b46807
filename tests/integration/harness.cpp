#include "tests/integration/harness.h"

#include <sys/prctl.h>

#include <arpa/inet.h>
#include <ctime>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace carnet::itest {

using namespace std::chrono;

namespace {

std::string postgres_server() {
  const char* s = std::getenv("CARNET_TEST_POSTGRES");
  return s ? s : "";
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string database_name(const std::string& data_dir) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016zx", std::hash<std::string>{}(data_dir));
  return std::string("carnet_t_") + buf;
}

// The connection string of `data_dir`'s database, created if needed.
std::string database_for(const std::string& data_dir) {
  std::string name = database_name(data_dir);
  int code = 0;
  std::string out = shell("psql -X -q " + quote(postgres_server() + " dbname=postgres") + " -c " +
                          quote("CREATE DATABASE " + name), &code);
  if (code != 0 && out.find("already exists") == std::string::npos) {
    ADD_FAILURE() << "cannot create the test database " << name << ": " << out;
  }
  return postgres_server() + " dbname=" + name;
}

void drop_database(const std::string& data_dir) {
  shell("psql -X -q " + quote(postgres_server() + " dbname=postgres") + " -c " +
        quote("DROP DATABASE IF EXISTS " + database_name(data_dir) + " WITH (FORCE)"));
}

}  // namespace

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool testing_postgres() { return !postgres_server().empty(); }

std::string database_flag(const std::string& data_dir) {
  return testing_postgres() ? " --database " + quote(database_for(data_dir)) + " --document-storage database" : "";
}

size_t stored_blobs(const std::string& data_dir) {
  if (testing_postgres()) return std::stoul(sql(data_dir, "SELECT COUNT(*) FROM blob_objects"));
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir + "/blobs")) n += e.is_regular_file();
  return n;
}

std::string carnet_cli(const std::string& data_dir, const std::string& args, int* code) {
  return shell(std::string(CARNET_PATH) + " --data-dir " + quote(data_dir) + database_flag(data_dir) + " " + args, code);
}

std::string sql(const std::string& data_dir, const std::string& statement, int* code) {
  if (testing_postgres()) {
    return shell("psql -X -q -A -t -F '|' " + quote(database_for(data_dir)) + " -c " + quote(statement), code);
  }
  return shell("sqlite3 -cmd '.timeout 10000' " + quote(data_dir + "/carnet.db") + " " + quote(statement), code);
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

Carnetd::Carnetd() {
  std::filesystem::create_directories(web_root() + "/assets");
  std::ofstream(web_root() + "/index.html") << "<!doctype html><html lang=\"fr\"><title>Carnet</title></html>";
  std::ofstream(web_root() + "/assets/app-abc123.js") << "console.log('carnet')";
}

Carnetd::~Carnetd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (owns_database_) drop_database(data_dir());
}

bool Carnetd::start(const Options& o) {
  int out[2];
  if (::pipe(out) != 0) return false;
  // Defaults the test did not override.
  std::vector<std::string> args = {CARNETD_PATH};
  auto given = [&](const char* flag) { return std::find(o.args.begin(), o.args.end(), flag) != o.args.end(); };
  if (!given("--port")) args.insert(args.end(), {"--port", "0"});
  if (!given("--data-dir")) args.insert(args.end(), {"--data-dir", data_dir()});
  if (testing_postgres() && !given("--database")) {
    auto d = std::find(o.args.begin(), o.args.end(), "--data-dir");
    std::string dir = d != o.args.end() && d + 1 != o.args.end() ? *(d + 1) : data_dir();
    if (dir == data_dir()) owns_database_ = true;
    args.insert(args.end(), {"--database", database_for(dir)});
    if (!given("--document-storage")) args.insert(args.end(), {"--document-storage", "database"});
  }
  if (!given("--web-root")) args.insert(args.end(), {"--web-root", web_root()});
  args.insert(args.end(), o.args.begin(), o.args.end());
  std::string err_path = dir_.file("stderr.log");
  stdout_.clear();  // a restart reads its own "listening on" line
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Never outlive the test: a test process that crashes or is killed takes carnetd along.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], STDOUT_FILENO);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(err, STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    for (const auto& [k, v] : o.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  auto deadline = steady_clock::now() + seconds(10);
  bool started = false;
  while (steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[512];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      stdout_.append(buf, size_t(n));
      auto pos = stdout_.find("listening on ");
      if (pos != std::string::npos && stdout_.find('\n', pos) != std::string::npos) {
        auto colon = stdout_.rfind(':', stdout_.find('\n', pos));
        port_ = std::atoi(stdout_.c_str() + colon + 1);
        started = true;
        break;
      }
    }
  }
  ::close(out[0]);
  return o.expect_start ? started : true;
}

std::optional<int> Carnetd::wait_exit(milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return std::nullopt;
}

void Carnetd::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

std::string Carnetd::stderr_text() const {
  std::ifstream in(dir_.file("stderr.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Conn::Conn(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
  int one = 1;
  if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Conn::~Conn() {
  if (fd_ >= 0) ::close(fd_);
}

bool Conn::send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

void Conn::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool Conn::fill(steady_clock::time_point deadline) {
  auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, int(left)) <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buf_.append(buf, size_t(n));
  return true;
}

std::optional<HttpResponse> Conn::read_response(milliseconds timeout, bool head) {
  auto deadline = steady_clock::now() + timeout;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  HttpResponse r;
  std::string head_text = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  std::istringstream lines(head_text);
  std::string line;
  std::getline(lines, line);
  if (line.size() < 12) return std::nullopt;
  r.status = std::atoi(line.c_str() + 9);
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
  }
  if (r.status == 100) return read_response(duration_cast<milliseconds>(deadline - steady_clock::now()), head);
  if (head) return r;
  if (r.headers.count("content-length")) {
    size_t len = std::stoul(r.headers["content-length"]);
    while (buf_.size() < len) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else if (r.status != 204 && r.status != 304) {
    while (fill(deadline)) {
    }
    r.body = std::move(buf_);
    buf_.clear();
  }
  return r;
}

bool Conn::closed_within(milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
      buf_.append(buf, size_t(n));
    }
  }
  return false;
}

std::optional<HttpResponse> http_request(int port, const std::string& method, const std::string& path,
                                         const std::string& body, const std::vector<std::string>& headers) {
  Conn c(port);
  if (!c.ok()) return std::nullopt;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "Connection: close\r\n\r\n" + body;
  if (!c.send(req)) return std::nullopt;
  return c.read_response(std::chrono::seconds(5), method == "HEAD");
}

std::string shell(const std::string& command, int* code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  if (code) *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::optional<HttpResponse> http_get(int port, const std::string& path, const std::vector<std::string>& headers) {
  return http_request(port, "GET", path, "", headers);
}

std::string totp(const std::string& secret_b32, int64_t offset_seconds) {
  std::time_t t = std::time(nullptr) + offset_seconds;
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return shell("oathtool --totp -b --now '" + std::string(when) + "' " + secret_b32);
}

}  // namespace carnet::itest
