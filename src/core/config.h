// carnetd's configuration: every option is a command-line flag and a CARNET_* environment
// variable; a flag wins over the variable. See README.md "Configuration" for the table.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/status.h"

namespace carnet {

struct Config {
  // Network
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                  // 0 picks a free port (printed at start)
  std::string tls_cert;                  // PEM chain; with tls_key enables HTTPS
  std::string tls_key;
  bool behind_proxy = false;             // allow plain HTTP on non-loopback addresses
  std::vector<std::string> trusted_proxies;  // IPs or CIDRs whose X-Forwarded-* we honour

  // Limits and timeouts
  int io_threads = 1;
  int workers = 4;
  int write_workers = 0;  // threads for requests that write; 0: 32 on SQLite, 2 per CPU + 4 on PostgreSQL
  int password_threads = 0;  // password hashing threads; 0 = half the CPUs (at least 1)
  int worker_queue_limit = 4096;         // queued handler jobs beyond this get 503
  int max_connections = 16384;
  uint32_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 1024 * 1024;  // default for routes without their own limit
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{20'000};

  // Identity and scheduled jobs
  std::chrono::milliseconds opposition_window{std::chrono::days(42)};
  std::chrono::milliseconds job_interval{5'000};  // how often due jobs are looked for
  std::chrono::milliseconds session_idle{std::chrono::minutes(30)};
  std::chrono::milliseconds emergency_duration{std::chrono::hours(24)};
  std::chrono::milliseconds consent_duration{std::chrono::hours(24)};
  std::chrono::milliseconds session_lifetime{std::chrono::hours(12)};
  int lockout_free_failures = 5;
  std::chrono::milliseconds lockout_max{std::chrono::minutes(15)};
  std::string notices_file;  // default <data_dir>/notices.jsonl
  std::string smtp_url;      // e-mail relay; empty: e-mails go to the notices file
  std::string smtp_from = "ne-pas-repondre@carnet.localhost";
  std::string smtp_user;     // password: CARNET_SMTP_PASSWORD (environment only)
  std::string sms_gateway_url;  // token: CARNET_SMS_GATEWAY_TOKEN (environment only)

  // Documents
  uint64_t max_document_bytes = 20ull << 20;
  std::chrono::milliseconds withheld_notice_after{std::chrono::days(14)};  // "a document awaits you"
  std::chrono::milliseconds withheld_release_after{std::chrono::days(30)};  // then visible to the patient

  // Database: empty = SQLite in <data_dir>/carnet.db; postgresql://... = PostgreSQL.
  std::string database;
  int database_connections = 0;  // PostgreSQL pool size / SQLite readers; 0 = from --workers

  // Files
  std::string data_dir = "data";
  std::string blob_dir;  // document bytes; default <data_dir>/blobs (a shared filesystem for several instances)
  std::string document_storage = "files";  // "files" (blob_dir) or "database" (next to the records)
  std::string clock_offset_file;  // tests only: a file holding a duration ("15d") added to the clock
  std::string web_root = "web/dist";
  std::string master_key_file;           // default: <data_dir>/master.key

  // Crypto cost (Argon2id) for password hashes.
  uint64_t argon2_ops = 3;
  uint64_t argon2_memory_mib = 64;

  log::Level log_level = log::Level::kInfo;

  std::string effective_master_key_file() const;
  std::string effective_notices_file() const;
  std::string effective_blob_dir() const;
  // True for 127.0.0.0/8, ::1 and "localhost".
  bool listens_on_loopback() const;
};

struct ParsedConfig {
  Config config;
  bool exit_now = false;  // --help or --version was printed
};

// Parses flags and CARNET_* variables (read from the process environment). On --help or
// --version prints to `out` and sets exit_now. A bad value returns kInvalid with a one-line
// message naming the option.
Result<ParsedConfig> parse_config(int argc, const char* const* argv, std::ostream& out);

// Checks relations between options (TLS pair, loopback rule, proxy list).
Status validate_config(const Config& config);

// "250ms", "10s", "2m", "1h", "42d", or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace carnet
