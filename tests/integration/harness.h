// Integration harness: starts a real carnetd process on a free port with a temporary data
// directory, and talks to it over real sockets (POSIX, no Asio: tests sit outside http/).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/temp_dir_for_testing.h"

namespace carnet::itest {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const;
};

struct StartOptions {
  std::vector<std::string> args;  // extra flags
  std::vector<std::pair<std::string, std::string>> env;
  bool expect_start = true;
};

// StartOptions with only extra flags.
inline StartOptions args(std::vector<std::string> flags) { return {std::move(flags), {}, true}; }

class Carnetd {
 public:
  using Options = StartOptions;
  Carnetd();
  ~Carnetd();  // SIGKILL if still running
  Carnetd(const Carnetd&) = delete;
  Carnetd& operator=(const Carnetd&) = delete;

  // Starts carnetd; with expect_start, waits for "listening on" and fails the test if it
  // does not come within 10 s.
  bool start(const Options& options);
  bool start() { return start(Options{}); }
  // Waits for exit; returns the exit code, or -signal, or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  void signal(int signo);

  int port() const { return port_; }
  const testing::TempDir& dir() const { return dir_; }
  std::string data_dir() const { return dir_.file("data"); }
  std::string web_root() const { return dir_.file("www"); }
  std::string stdout_text() const { return stdout_; }
  std::string stderr_text() const;

 private:
  testing::TempDir dir_;
  bool owns_database_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string stdout_;
};

// A raw client connection.
class Conn {
 public:
  explicit Conn(int port);
  ~Conn();
  bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  void shutdown_write();
  // Reads one HTTP response (Content-Length framed, or until close). nullopt on timeout or
  // a connection closed before any response.
  // `head`: the request was HEAD, so no body follows whatever Content-Length says.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5), bool head = false);
  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buf_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// Runs a shell command; returns its output (stdout and stderr) without the final newlines,
// and its exit code in `code` when given.
std::string shell(const std::string& command, int* code = nullptr);
// The TOTP code of a base32 secret at now + `offset_seconds` (oathtool: an implementation
// independent of Carnet's).
std::string totp(const std::string& secret_b32, int64_t offset_seconds = 0);

// The backend under test. With CARNET_TEST_POSTGRES set (scripts/test-all starts a server
// and sets it), every data directory gets a PostgreSQL database of its own, named after the
// directory (so a second carnetd or a `carnet` command given the same --data-dir shares
// it), created on first use and dropped with the Carnetd that owns the directory; and
// document bytes are kept in that database (--document-storage database) rather than in
// files, so both blob backends run the suite.
bool testing_postgres();
// The --database and --document-storage flags (shell-quoted, with a leading space) for
// `data_dir`, or "".
std::string database_flag(const std::string& data_dir);
// How many document blobs `data_dir`'s instance keeps, finished or not (files under
// <data_dir>/blobs, or rows of blob_objects).
size_t stored_blobs(const std::string& data_dir);
// The `carnet` command line tool on `data_dir`'s data: runs `carnet --data-dir DIR
// [--database ...] ARGS`, like shell().
std::string carnet_cli(const std::string& data_dir, const std::string& args, int* code = nullptr);
// One SQL statement on `data_dir`'s database (sqlite3 or psql): rows one per line, columns
// separated by '|'.
std::string sql(const std::string& data_dir, const std::string& statement, int* code = nullptr);

// One request on a fresh connection.
std::optional<HttpResponse> http_get(int port, const std::string& path,
                                     const std::vector<std::string>& headers = {});
std::optional<HttpResponse> http_request(int port, const std::string& method, const std::string& path,
                                         const std::string& body, const std::vector<std::string>& headers = {});

}  // namespace carnet::itest
