#include "core/config.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <ostream>

namespace carnet {
namespace {

struct DurationOption {
  const char* flag;
  const char* env;
  const char* help;
  std::chrono::milliseconds Config::*field;
};

constexpr DurationOption kDurations[] = {
    {"--header-timeout", "CARNET_HEADER_TIMEOUT",
     "Deadline to receive a whole request header, from its first byte", &Config::header_timeout},
    {"--body-timeout", "CARNET_BODY_TIMEOUT", "Deadline to receive a request body",
     &Config::body_timeout},
    {"--idle-timeout", "CARNET_IDLE_TIMEOUT",
     "How long a keep-alive connection may wait for its next request", &Config::idle_timeout},
    {"--write-timeout", "CARNET_WRITE_TIMEOUT", "Deadline to send a response",
     &Config::write_timeout},
    {"--shutdown-timeout", "CARNET_SHUTDOWN_TIMEOUT",
     "On SIGTERM/SIGINT, how long in-flight requests may take before the process exits",
     &Config::shutdown_timeout},
    {"--opposition-window", "CARNET_OPPOSITION_WINDOW",
     "Time an enrolled person has to object before their space opens (default six weeks)",
     &Config::opposition_window},
    {"--job-interval", "CARNET_JOB_INTERVAL",
     "How often scheduled jobs (deadlines, notice delivery) are run", &Config::job_interval},
    {"--session-idle", "CARNET_SESSION_IDLE", "A session unused this long ends", &Config::session_idle},
    {"--session-lifetime", "CARNET_SESSION_LIFETIME", "A session ends this long after sign-in, used or not",
     &Config::session_lifetime},
    {"--emergency-duration", "CARNET_EMERGENCY_DURATION",
     "How long a professional's emergency access to a space lasts", &Config::emergency_duration},
    {"--consent-duration", "CARNET_CONSENT_DURATION",
     "How long a holder's consent for one consultation lets an outside professional in", &Config::consent_duration},
    {"--withheld-notice-after", "CARNET_WITHHELD_NOTICE_AFTER",
     "When a result withheld until an announcement consultation is announced to the holder as awaiting",
     &Config::withheld_notice_after},
    {"--withheld-release-after", "CARNET_WITHHELD_RELEASE_AFTER",
     "When a result withheld until an announcement consultation becomes visible to the holder anyway",
     &Config::withheld_release_after},
    {"--lockout-max", "CARNET_LOCKOUT_MAX",
     "Longest sign-in lock-out after repeated failures (the lock doubles with each failure)", &Config::lockout_max},
};

// Where notices go (file, SMTP, SMS gateway), and how passwords are checked and throttled.
void add_notice_and_password_options(CLI::App& app, Config& c) {
  app.add_option("--notices-file", c.notices_file,
                 "Where notices are written when no SMTP relay or SMS gateway is configured "
                 "(default <data-dir>/notices.jsonl, one JSON object per line)")
      ->envname("CARNET_NOTICES_FILE");
  app.add_option("--smtp-url", c.smtp_url,
                 "SMTP relay for e-mail notices (smtp://host:587 with STARTTLS when offered, or smtps://); "
                 "password in CARNET_SMTP_PASSWORD")
      ->envname("CARNET_SMTP_URL");
  app.add_option("--smtp-from", c.smtp_from, "Sender address of e-mail notices")
      ->envname("CARNET_SMTP_FROM")->capture_default_str();
  app.add_option("--smtp-user", c.smtp_user, "SMTP user name")->envname("CARNET_SMTP_USER");
  app.add_option("--sms-gateway-url", c.sms_gateway_url,
                 "HTTP(S) endpoint receiving SMS notices as POST {to, text}; bearer token in CARNET_SMS_GATEWAY_TOKEN")
      ->envname("CARNET_SMS_GATEWAY_URL");
  app.add_option("--lockout-free-failures", c.lockout_free_failures,
                 "Failed sign-ins allowed per login and per client address before back-off starts")
      ->envname("CARNET_LOCKOUT_FREE_FAILURES")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--argon2-ops", c.argon2_ops, "Argon2id passes for password hashes")
      ->envname("CARNET_ARGON2_OPS")->check(CLI::Range(uint64_t(1), uint64_t(64)))->capture_default_str();
  app.add_option("--argon2-memory-mib", c.argon2_memory_mib, "Argon2id memory per password hash (MiB)")
      ->envname("CARNET_ARGON2_MEMORY_MIB")->check(CLI::Range(uint64_t(1), uint64_t(4096)))->capture_default_str();
}

}  // namespace

std::string Config::effective_notices_file() const {
  return notices_file.empty() ? data_dir + "/notices.jsonl" : notices_file;
}

std::string Config::effective_blob_dir() const { return blob_dir.empty() ? data_dir + "/blobs" : blob_dir; }

std::string Config::effective_master_key_file() const {
  return master_key_file.empty() ? data_dir + "/master.key" : master_key_file;
}

bool Config::listens_on_loopback() const {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, size_t(text.data() + text.size() - end));
  uint64_t scale;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return std::nullopt;
  if (n > uint64_t(1) << 40) return std::nullopt;
  return std::chrono::milliseconds(n * scale);
}

Result<ParsedConfig> parse_config(int argc, const char* const* argv, std::ostream& out) {
  ParsedConfig parsed;
  Config& c = parsed.config;
  CLI::App app{"carnetd — Carnet personal health space server"};
  app.set_version_flag("--version", "carnetd 0.1.0");
  app.get_formatter()->column_width(38);

  app.add_option("--host", c.host, "Address to listen on")->envname("CARNET_HOST")->capture_default_str();
  app.add_option("--port", c.port, "TCP port (0: any free port)")->envname("CARNET_PORT")->capture_default_str();
  app.add_option("--tls-cert", c.tls_cert, "TLS certificate chain (PEM); enables HTTPS with --tls-key")
      ->envname("CARNET_TLS_CERT")->check(CLI::ExistingFile);
  app.add_option("--tls-key", c.tls_key, "TLS private key (PEM)")->envname("CARNET_TLS_KEY")->check(CLI::ExistingFile);
  app.add_flag("--behind-proxy", c.behind_proxy,
               "Serve plain HTTP on a non-loopback address behind a TLS-terminating proxy")
      ->envname("CARNET_BEHIND_PROXY");
  app.add_option("--trusted-proxy", c.trusted_proxies,
                 "Proxy address or CIDR whose X-Forwarded-For/-Proto are trusted (repeatable, or comma-separated)")
      ->envname("CARNET_TRUSTED_PROXIES")->delimiter(',');
  app.add_option("--io-threads", c.io_threads, "Threads doing network I/O")
      ->envname("CARNET_IO_THREADS")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--workers", c.workers, "Threads running request handlers (storage, crypto)")
      ->envname("CARNET_WORKERS")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--write-workers", c.write_workers,
                 "Threads running the requests that write (POST, PUT, PATCH, DELETE): they mostly wait for "
                 "their turn on the database and for the disk, so the more there are, the more writes share "
                 "each flush (group commit); 0: 32 on SQLite (one writer at a time, sharing flushes), 2 per CPU "
                 "+ 4 on PostgreSQL (each a server process; more make its serializable transactions slower)")
      ->envname("CARNET_WRITE_WORKERS")->check(CLI::Range(0, 256))->capture_default_str();
  app.add_option("--password-threads", c.password_threads,
                 "Threads hashing passwords, at lower CPU priority; at most --workers/2 sign-ins hash or wait at "
                 "once, more get 503 (0: half the CPUs)")
      ->envname("CARNET_PASSWORD_THREADS")->check(CLI::Range(0, 64))->capture_default_str();
  app.add_option("--worker-queue-limit", c.worker_queue_limit,
                 "Handler jobs allowed to wait; beyond it requests get 503")
      ->envname("CARNET_WORKER_QUEUE_LIMIT")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  app.add_option("--max-connections", c.max_connections, "Open client connections allowed")
      ->envname("CARNET_MAX_CONNECTIONS")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  app.add_option("--max-header-bytes", c.max_header_bytes, "Largest request header accepted (431 beyond)")
      ->envname("CARNET_MAX_HEADER_BYTES")->check(CLI::Range(1024u, 1024u * 1024u))->capture_default_str();
  app.add_option("--max-body-bytes", c.max_body_bytes,
                 "Largest request body for routes without their own limit (413 beyond)")
      ->envname("CARNET_MAX_BODY_BYTES")->check(CLI::Range(uint64_t(0), uint64_t(1) << 40))->capture_default_str();

  std::string durations[std::size(kDurations)];
  for (size_t i = 0; i < std::size(kDurations); ++i) {
    const auto& d = kDurations[i];
    durations[i] = std::to_string((c.*d.field).count()) + "ms";
    app.add_option(d.flag, durations[i], std::string(d.help) + " (e.g. 500ms, 10s, 2m)")
        ->envname(d.env)->capture_default_str();
  }

  app.add_option("--data-dir", c.data_dir, "Data directory (SQLite database, key file, blobs)")
      ->envname("CARNET_DATA_DIR")->capture_default_str();
  app.add_option("--database", c.database,
                 "postgresql://user@host/db (or a libpq key=value string) for PostgreSQL; sqlite:PATH; "
                 "default: SQLite in <data-dir>/carnet.db")
      ->envname("CARNET_DATABASE");
  app.add_option("--database-connections", c.database_connections,
                 "Database connections per instance (PostgreSQL pool, SQLite readers); 0: from --workers")
      ->envname("CARNET_DATABASE_CONNECTIONS")->check(CLI::Range(0, 256))->capture_default_str();
  app.add_option("--blob-dir", c.blob_dir,
                 "Where document bytes are stored, encrypted (default <data-dir>/blobs; a shared filesystem "
                 "when several instances serve one database)")
      ->envname("CARNET_BLOB_DIR");
  app.add_option("--document-storage", c.document_storage,
                 "Where document bytes live, encrypted: files (in --blob-dir) or database (in the database "
                 "itself, so several instances need no shared filesystem)")
      ->envname("CARNET_DOCUMENT_STORAGE")->check(CLI::IsMember({"files", "database"}))->capture_default_str();
  app.add_option("--max-document-bytes", c.max_document_bytes, "Largest document accepted, in bytes")
      ->envname("CARNET_MAX_DOCUMENT_BYTES")->check(CLI::Range(uint64_t(1), uint64_t(1) << 32))->capture_default_str();
  app.add_option("--clock-offset-file", c.clock_offset_file,
                 "Tests only: a file holding a duration (\"15d\") added to the clock, read when it changes")
      ->envname("CARNET_CLOCK_OFFSET_FILE");
  app.add_option("--web-root", c.web_root, "Built front end served at /")
      ->envname("CARNET_WEB_ROOT")->capture_default_str();
  app.add_option("--master-key-file", c.master_key_file,
                 "Master key file, created 0600 on first start (default <data-dir>/master.key); "
                 "CARNET_MASTER_KEY (base64 or hex, 32 bytes) overrides it")
      ->envname("CARNET_MASTER_KEY_FILE");
  add_notice_and_password_options(app, c);
  std::string level = "info";
  app.add_option("--log-level", level, "debug, info, warn or error")
      ->envname("CARNET_LOG_LEVEL")->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    parsed.exit_now = true;
    return parsed;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    parsed.exit_now = true;
    return parsed;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    for (char& ch : msg) if (ch == '\n') ch = ' ';
    return Status::invalid(msg);
  }

  for (size_t i = 0; i < std::size(kDurations); ++i) {
    auto d = parse_duration(durations[i]);
    if (!d || d->count() == 0) {
      return Status::invalid(std::string(kDurations[i].flag) + ": invalid duration '" +
                             durations[i] + "' (use e.g. 500ms, 10s, 2m)");
    }
    c.*kDurations[i].field = *d;
  }
  log::parse_level(level, &c.log_level);
  CARNET_RETURN_IF_ERROR(validate_config(c));
  return parsed;
}

Status validate_config(const Config& c) {
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return Status::invalid("--tls-cert and --tls-key must be given together");
  }
  bool tls = !c.tls_cert.empty();
  if (!tls && !c.behind_proxy && !c.listens_on_loopback()) {
    return Status::invalid("refusing to serve plain HTTP on " + c.host +
                           ": give --tls-cert/--tls-key, or --behind-proxy when a TLS proxy "
                           "fronts carnetd");
  }
  if (!c.trusted_proxies.empty() && !c.behind_proxy) {
    return Status::invalid("--trusted-proxy only makes sense with --behind-proxy");
  }
  if (c.host.empty()) return Status::invalid("--host must not be empty");
  if (c.data_dir.empty()) return Status::invalid("--data-dir must not be empty");
  return Status::ok();
}

}  // namespace carnet
