#include "main/app.h"

#include <algorithm>
#include <thread>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "access/audit.h"
#include "api/routes.h"
#include "api/services.h"
#include "access/reference_data.h"
#include "access/repository.h"
#include "main/domain_hooks.h"
#include "notify/document_notices.h"
#include "access/care.h"
#include "documents/vault.h"
#include "documents/withheld.h"
#include "store/blobs.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/keyring.h"
#include "http/dispatcher.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static_files.h"
#include "http/worker_pool.h"
#include "identity/accounts.h"
#include "identity/spaces.h"
#include "jobs/scheduler.h"
#include "notify/delivery.h"
#include "notify/outbox.h"
#include "notify/relays.h"
#include "store/store.h"

namespace carnet {
namespace {

int fail(const Status& s) {
  std::cerr << "carnetd: " << s.message() << "\n";
  log::error("startup_failed", {{"error", s.message()}});
  log::flush();
  return 1;
}

// Each connection is a descriptor: lift the soft limit as far as the hard one allows.
void raise_descriptor_limit(int wanted) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t target = std::min<rlim_t>(rl.rlim_max, rlim_t(wanted) + 256);
  if (rl.rlim_cur < target) {
    rl.rlim_cur = target;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rlim_t(wanted) + 64) {
    log::warn("descriptor_limit_low", {{"limit", uint64_t(rl.rlim_cur)}, {"max_connections", wanted}});
  }
}


std::unique_ptr<Clock> make_clock(const Config& cfg) {
  if (cfg.clock_offset_file.empty()) return std::make_unique<SystemClock>();
  log::warn("test_clock", {{"offset_file", cfg.clock_offset_file}});
  return std::make_unique<OffsetFileClock>(cfg.clock_offset_file);
}

// Notices leave by e-mail (SMTP relay) and SMS (HTTP gateway) when configured, else are
// appended to the notices file.
std::unique_ptr<notify::Deliverer> make_deliverer(const Config& cfg) {
  auto env = [](const char* name) { const char* v = std::getenv(name); return std::string(v ? v : ""); };
  return notify::make_channel_router(
      cfg.smtp_url.empty() ? nullptr
                           : notify::make_smtp_deliverer({cfg.smtp_url, cfg.smtp_from, cfg.smtp_user, env("CARNET_SMTP_PASSWORD")}),
      cfg.sms_gateway_url.empty() ? nullptr
                                  : notify::make_sms_gateway_deliverer({cfg.sms_gateway_url, env("CARNET_SMS_GATEWAY_TOKEN")}),
      notify::make_file_deliverer(cfg.effective_notices_file()));
}

identity::SecurityOptions security_options(const Config& cfg, crypto::PasswordLane& lane) {
  identity::SecurityOptions security;
  security.password_cost = {cfg.argon2_ops, cfg.argon2_memory_mib << 20};
  security.password_lane = &lane;
  security.session_idle = std::chrono::duration_cast<std::chrono::seconds>(cfg.session_idle);
  security.session_absolute = std::chrono::duration_cast<std::chrono::seconds>(cfg.session_lifetime);
  security.free_failures = cfg.lockout_free_failures;
  security.max_backoff = std::chrono::duration_cast<std::chrono::seconds>(cfg.lockout_max);
  return security;
}

struct JobDeps {
  const Config& cfg;
  store::Store& store;
  const crypto::KeyRing& ring;
  const Clock& clock;
  identity::Spaces& spaces;
  notify::Outbox& outbox;
  notify::Deliverer& deliverer;
  documents::Vault& vault;
};

// The scheduled jobs; across instances sharing a database each runs once per period.
void schedule_jobs(jobs::Scheduler& scheduler, JobDeps d) {
  scheduler.add({"opposition-deadlines", d.cfg.job_interval, std::chrono::minutes(10), [d] {
                   auto n = d.spaces.open_expired();
                   if (n.is_ok() && *n > 0) log::info("spaces_opened", {{"count", *n}});
                   return n.status();
                 }});
  scheduler.add({"majority", d.cfg.job_interval, std::chrono::minutes(10), [d] {
                   auto n = d.spaces.end_minority(d.cfg.opposition_window);
                   if (n.is_ok() && *n > 0) log::info("minors_came_of_age", {{"count", *n}});
                   return n.status();
                 }});
  scheduler.add({"notice-delivery", d.cfg.job_interval, std::chrono::minutes(10), [d] {
                   auto r = notify::deliver_pending(d.store, d.outbox, d.deliverer, d.clock);
                   if (r.is_ok() && (r->sent || r->failed || r->retried)) {
                     log::info("notices_delivered", {{"sent", r->sent}, {"failed", r->failed}, {"retried", r->retried}});
                   }
                   return r.status();
                 }});
  scheduler.add({"withheld-documents", d.cfg.job_interval, std::chrono::minutes(10), [d] {
                   auto n = documents::send_withheld_notices(
                       d.store, d.ring, d.clock, std::chrono::duration_cast<std::chrono::seconds>(d.cfg.withheld_notice_after));
                   if (n.is_ok() && (n->awaiting || n->released)) {
                     log::info("withheld_documents_notices", {{"awaiting", n->awaiting}, {"released", n->released}});
                   }
                   return n.status();
                 }});
  // Uploads that failed or whose process died leave blobs no record names.
  scheduler.add({"document-orphans", std::chrono::hours(1), std::chrono::minutes(30), [d] {
                   auto n = d.vault.collect_orphans(d.store, std::chrono::hours(6));
                   if (n.is_ok() && *n > 0) log::info("document_orphans_removed", {{"count", *n}});
                   return n.status();
                 }});
}

// Events from every instance sharing the database (store.h): reference data changed
// somewhere drops this instance's copies at once; documents added to a space are counted
// (the live features of the portal and messaging listen to them).
struct EventHooks {
  std::mutex mu;
  const access::ReferenceData* reference = nullptr;
  std::atomic<int64_t> reference_data{0}, documents{0};
};

Result<std::shared_ptr<EventHooks>> listen_for_events(store::Store& store, const access::ReferenceData& reference,
                                                      Metrics& metrics) {
  auto events = std::make_shared<EventHooks>();
  events->reference = &reference;
  Status heard = store.listen(store::kReferenceDataChannel, [events](const store::Event&) {
    events->reference_data++;
    std::lock_guard lock(events->mu);
    if (events->reference) events->reference->drop_caches();
  });
  if (heard.is_ok()) {
    heard = store.listen(notify::kDocumentsChannel, [events](const store::Event&) { events->documents++; });
  }
  if (!heard.is_ok()) return heard;
  metrics.add_gauge("carnet_events_reference_data_total", "Reference-data change events heard (any instance).",
                    [events] { return double(events->reference_data.load()); });
  metrics.add_gauge("carnet_events_documents_total", "Document-added events heard (any instance).",
                    [events] { return double(events->documents.load()); });
  return events;
}

}  // namespace

// Threads for the requests that write, and database connections. One connection per worker:
// a request holds one transaction, in which its repository decides, audits and acts (handlers
// waiting for their audit event to be durable hold none; the audit trail's group commit has
// a connection of its own, Store::transact_background). SQLite has one writer connection,
// and the reads of requests that write (their session) share the readers; on PostgreSQL
// every request in a transaction holds a connection.
std::pair<int, int> pool_sizes(const Config& cfg) {
  bool sqlite = cfg.database.empty() || cfg.database.rfind("sqlite:", 0) == 0;
  int write_workers = cfg.write_workers > 0 ? cfg.write_workers
                      : sqlite              ? 32
                                            : 2 * std::max(1, int(std::thread::hardware_concurrency())) + 4;
  int connections = cfg.database_connections > 0 ? cfg.database_connections
                    : sqlite                     ? std::clamp(cfg.workers, 1, 64)
                                                 : std::clamp(cfg.workers + write_workers, 1, 64);
  return {write_workers, connections};
}

int run_carnetd(int argc, const char* const* argv) {
  auto parsed = parse_config(argc, argv, std::cout);
  if (!parsed.is_ok()) {
    std::cerr << "carnetd: " << parsed.status().message() << "\n";
    return 2;
  }
  if (parsed->exit_now) return 0;
  const Config& cfg = parsed->config;
  ::umask(077);  // everything carnetd creates (database, key file, blobs) is the owner's only
  log::init(cfg.log_level);
  raise_descriptor_limit(cfg.max_connections);

  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) return fail(Status::unavailable("cannot create data directory " + cfg.data_dir + ": " + ec.message()));
  ::chmod(cfg.data_dir.c_str(), 0700);

  const char* env_key = std::getenv("CARNET_MASTER_KEY");
  auto ring = crypto::KeyRing::open({cfg.effective_master_key_file(),
                                     env_key ? std::optional<std::string>(env_key) : std::nullopt});
  if (!ring.is_ok()) return fail(ring.status());

  auto [write_workers, connections] = pool_sizes(cfg);
  auto store = store::open_store(cfg.database, cfg.data_dir, connections);
  if (!store.is_ok()) return fail(store.status());

  Metrics metrics;
  http::WorkerPool workers(cfg.workers, size_t(cfg.worker_queue_limit));
  metrics.add_gauge("carnet_worker_queue_depth", "Handler jobs waiting for a worker thread.",
                    [&workers] { return double(workers.queue_depth()); });
  http::WorkerPool writers(write_workers, size_t(cfg.worker_queue_limit));
  metrics.add_gauge("carnet_store_write_transactions_total", "Write transactions committed (SQLite).",
                    [&store] { return double((*store)->write_counts().transactions); });
  metrics.add_gauge("carnet_store_write_flushes_total",
                    "Commits flushed to disk (SQLite; a group commit makes several transactions durable with one).",
                    [&store] { return double((*store)->write_counts().flushes); });
  metrics.add_gauge("carnet_write_worker_queue_depth", "Handler jobs of writing requests waiting for a thread.",
                    [&writers] { return double(writers.queue_depth()); });

  std::unique_ptr<Clock> clock_impl = make_clock(cfg);
  const Clock& clock = *clock_impl;
  auto blobs = store::open_blob_store(cfg.document_storage, cfg.effective_blob_dir(), **store);
  if (!blobs.is_ok()) return fail(blobs.status());
  documents::Vault vault(**blobs, *ring, clock, cfg.max_document_bytes);
  identity::Spaces spaces(**store, *ring, clock);
  notify::Outbox outbox(*ring);
  auto deliverer = make_deliverer(cfg);

  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  jobs::Scheduler scheduler(**store, clock, std::string(host) + ":" + std::to_string(::getpid()));
  // Sign-in storms slow sign-ins, not the rest: hashing on threads of its own, at lower
  // priority, and no more than half the workers waiting for it.
  int password_threads = cfg.password_threads > 0 ? cfg.password_threads
                                                  : std::max(1, int(std::thread::hardware_concurrency()) / 2);
  crypto::PasswordLane password_lane(password_threads, std::max(1, cfg.workers / 2));
  metrics.add_gauge("carnet_password_lane_refused_total", "Sign-ins refused with 503 because password hashing was full.",
                    [&password_lane] { return double(password_lane.refused()); });
  identity::SecurityOptions security = security_options(cfg, password_lane);
  identity::Accounts accounts(**store, *ring, clock, security);
  // One-time codes leave at once (on a worker), not at the next delivery job; deliveries
  // claim each notice, so this and the job never send one twice.
  accounts.set_code_queued_hook([&] {
    workers.try_submit([&] {
      auto r = notify::deliver_pending(**store, outbox, *deliverer, clock, 20);
      if (!r.is_ok()) log::warn("immediate_delivery_failed", {{"error", r.status().message()}});
    });
  });

  access::AuditLog audit(**store, *ring, clock);
  access::ReferenceData reference(*ring, clock);
  access::HookRegistry hooks;
  register_domain_hooks(hooks, vault);
  access::Repositories repositories(**store, *ring, clock, audit, reference, hooks,
                                    {std::chrono::duration_cast<std::chrono::seconds>(cfg.withheld_release_after)});
  access::Care care(**store, *ring, clock, audit,
                    {std::chrono::duration_cast<std::chrono::seconds>(cfg.emergency_duration),
                     std::chrono::duration_cast<std::chrono::seconds>(cfg.consent_duration)});
  schedule_jobs(scheduler, {cfg, **store, *ring, clock, spaces, outbox, *deliverer, vault});
  api::Services services{**store,     metrics, accounts, spaces, care,  repositories, reference, vault,
                         *ring,       clock,   security.session_absolute,
                         cfg.opposition_window, cfg.max_document_bytes};

  auto events = listen_for_events(**store, reference, metrics);
  if (!events.is_ok()) return fail(events.status());
  struct Unhook {  // the store's listener thread outlives the reference data: unhook first
    std::shared_ptr<EventHooks> h;
    ~Unhook() {
      std::lock_guard lock(h->mu);
      h->reference = nullptr;
    }
  } unhook{*events};

  http::Router router(api::routes(services));
  http::StaticFiles static_files(cfg.web_root, {"/api/", "/fhir/", "/oauth2/", "/.well-known/", "/healthz",
                                                "/readyz", "/metrics"});
  http::Dispatcher dispatcher(router, static_files, cfg.max_body_bytes);
  http::Server server(cfg, dispatcher, workers, writers, metrics);
  Status listening = server.listen();
  if (!listening.is_ok()) return fail(listening);

  log::info("started", {{"url", server.url()}, {"data_dir", cfg.data_dir}, {"database", (*store)->capabilities().backend},
                        {"schema_version", (*store)->schema_version()},
                        {"master_key", ring->fingerprint()}, {"io_threads", cfg.io_threads}, {"workers", cfg.workers},
                        {"write_workers", write_workers}});
  log::flush();
  std::cout << "carnetd listening on " << server.url() << std::endl;

  scheduler.start(std::min<std::chrono::milliseconds>(cfg.job_interval, std::chrono::seconds(5)));
  server.run();
  workers.shutdown();  // handlers still running finish before the server is destroyed
  writers.shutdown();
  scheduler.stop();
  log::info("stopped");
  log::flush();
  return 0;
}

}  // namespace carnet
