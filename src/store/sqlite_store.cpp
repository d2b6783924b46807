// SQLite backend: WAL journal, foreign keys, synchronous=FULL, busy timeout, one writer
// connection (writes are serialised, as SQLite requires) and a pool of read connections
// that run concurrently with it. Prepared statements are cached per connection.
#include <linux/futex.h>
#include <sqlite3.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/clock.h"
#include "core/log.h"
#include "store/migrations.h"
#include "store/retry.h"
#include "store/store.h"

namespace carnet::store {
namespace {

constexpr size_t kStatementCacheLimit = 256;
constexpr int kMaxAttempts = 8;

// A flag writers sleep on until it is set, with the futex itself: std::atomic::wait spins
// first, calling sched_yield in a loop, and with tens of writers waiting for their batch
// those spins were a tenth of the CPU of creates at 64 clients.
class Flag {
 public:
  void wait() {
    while (v_.load(std::memory_order_acquire) == 0) {
      syscall(SYS_futex, reinterpret_cast<int*>(&v_), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
    }
  }
  void set() {
    v_.store(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<int*>(&v_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  }

 private:
  static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free);
  std::atomic<int> v_{0};
};

Status sqlite_error(int rc, sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::busy(msg);
    case SQLITE_CONSTRAINT: return Status::conflict(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::corrupt(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL: return Status::unavailable(msg);
    case SQLITE_READONLY: return Status::internal(msg + " (write attempted in a read transaction)");
    default: return Status::internal(msg);
  }
}

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const SqliteOptions& o, bool reader) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    int rc = sqlite3_open_v2(o.path.c_str(), &db, flags, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(db));
    if (rc != SQLITE_OK) return sqlite_error(rc, db, "opening " + o.path);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, int(o.busy_timeout.count()));
    std::string pragmas =
        "PRAGMA foreign_keys = ON;"
        "PRAGMA synchronous = FULL;"
        "PRAGMA secure_delete = ON;"
        "PRAGMA trusted_schema = OFF;"
        "PRAGMA temp_store = MEMORY;";
    // Page cache per connection (negative: KiB). Indexes on random keys (hashes, UUIDs)
    // touch pages all over the file: the default 2 MB makes inserts I/O-bound early.
    pragmas += reader ? "PRAGMA cache_size = -16384; PRAGMA query_only = ON;" : "PRAGMA cache_size = -65536;";
    CARNET_RETURN_IF_ERROR(conn->exec_script(pragmas));
    return conn;
  }

  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }

  Status exec_script(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      Status st = sqlite_error(rc, nullptr, "executing script");
      return Status(st.code(), "executing script: " + msg);
    }
    return Status::ok();
  }

  // One statement without parameters nor rows (BEGIN, COMMIT, SAVEPOINT...), prepared once:
  // sqlite3_exec parses its text on every call, which cost 6 % of a create's CPU.
  Status control(std::string_view sql) {
    bool owned = false;
    auto stmt = prepare(sql, &owned);
    if (!stmt.is_ok()) return stmt.status();
    int rc = sqlite3_step(*stmt);
    Status s = rc == SQLITE_DONE ? Status::ok() : sqlite_error(rc, db_, std::string(sql));
    if (owned) {
      sqlite3_finalize(*stmt);
    } else {
      sqlite3_reset(*stmt);
    }
    return s;
  }

  // A cached statement, or a fresh one owned by the caller (`*owned` = true) when the cached
  // one is still running (the same SQL used inside a loop over its own results).
  Result<sqlite3_stmt*> prepare(std::string_view sql, bool* owned) {
    *owned = false;
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (!sqlite3_stmt_busy(it->second)) return it->second;
      sqlite3_stmt* fresh = nullptr;
      int rc = sqlite3_prepare_v2(db_, key.data(), int(key.size()), &fresh, nullptr);
      if (rc != SQLITE_OK) return sqlite_error(rc, db_, "preparing statement");
      *owned = true;
      return fresh;
    }
    if (cache_.size() >= kStatementCacheLimit) {
      for (auto& [k, stmt] : cache_) sqlite3_finalize(stmt);
      cache_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), int(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return sqlite_error(rc, db_, "preparing statement");
    if (tail && *tail != '\0' && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      return Status::internal("one statement at a time: " + key);
    }
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Resets a cached statement (or finalizes an owned one) however the call leaves.
struct StatementGuard {
  sqlite3_stmt* stmt;
  bool owned;
  ~StatementGuard() {
    if (owned) {
      sqlite3_finalize(stmt);
      return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

Status bind_all(sqlite3* db, sqlite3_stmt* stmt, const Params& params) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != int(params.size())) {
    return Status::internal("statement expects " + std::to_string(expected) + " parameters, got " +
                            std::to_string(params.size()));
  }
  int i = 1;
  for (const Value& v : params) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, i);
    } else if (auto n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i, *n);
    } else if (auto d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, i, *d);
    } else if (auto s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (auto b = std::get_if<Blob>(&v)) {
      rc = sqlite3_bind_blob64(stmt, i, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return sqlite_error(rc, db, "binding parameter " + std::to_string(i));
    ++i;
  }
  return Status::ok();
}

Row read_row(sqlite3_stmt* stmt) {
  int n = sqlite3_column_count(stmt);
  std::vector<Value> values;
  values.reserve(size_t(n));
  for (int i = 0; i < n; ++i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER: values.emplace_back(int64_t(sqlite3_column_int64(stmt, i))); break;
      case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, i)); break;
      case SQLITE_TEXT: {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        values.emplace_back(std::string(p, size_t(sqlite3_column_bytes(stmt, i))));
        break;
      }
      case SQLITE_BLOB: {
        auto p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        size_t len = size_t(sqlite3_column_bytes(stmt, i));
        values.emplace_back(Blob{p ? std::string(p, len) : std::string()});
        break;
      }
      default: values.emplace_back(nullptr);
    }
  }
  return Row(std::move(values));
}

class SqliteTransaction final : public Transaction {
 public:
  explicit SqliteTransaction(Connection& c) : c_(c) {}

  Result<int64_t> exec(std::string_view sql, Params params) override {
    CARNET_RETURN_IF_ERROR(run(sql, params, nullptr));
    return int64_t(sqlite3_changes64(c_.db()));
  }

  Status query_each(std::string_view sql, Params params,
                    const std::function<Status(const Row&)>& each) override {
    return run(sql, params, &each);
  }

  Status exec_script(std::string_view sql) override { return c_.exec_script(sql); }

  Status publish(std::string_view channel, std::string_view payload) override {
    if (!valid_channel(channel)) return Status::invalid("invalid event channel");
    if (payload.size() > 1000) return Status::invalid("event payload over 1000 bytes");
    CARNET_RETURN_IF_ERROR(run("INSERT INTO events (channel, payload) VALUES (?, ?)",
                               {std::string(channel), std::string(payload)}, nullptr));
    // The table keeps the latest 10,000 events: listeners poll every 100 ms.
    return run("DELETE FROM events WHERE id <= last_insert_rowid() - 10000", {}, nullptr);
  }

 private:
  // Prepares (cached), binds and steps `sql` to the end, handing rows to `each` if given.
  Status run(std::string_view sql, const Params& params, const std::function<Status(const Row&)>* each) {
    bool owned = false;
    auto stmt = c_.prepare(sql, &owned);
    if (!stmt.is_ok()) return stmt.status();
    StatementGuard guard{*stmt, owned};
    CARNET_RETURN_IF_ERROR(bind_all(c_.db(), *stmt, params));
    int rc;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      if (each) CARNET_RETURN_IF_ERROR((*each)(read_row(*stmt)));
    }
    if (rc != SQLITE_DONE) return sqlite_error(rc, c_.db(), "running statement");
    return Status::ok();
  }

  Connection& c_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteOptions options) : options_(std::move(options)) {
    caps_ = {"sqlite", false, false};
  }
  ~SqliteStore() override {
    {
      std::lock_guard lock(listen_mu_);
      stopping_ = true;
    }
    listen_cv_.notify_all();
    if (poller_.joinable()) poller_.join();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  Status open() {
    auto w = Connection::open(options_, false);
    if (!w.is_ok()) return w.status();
    writer_ = std::move(w.value());
    CARNET_RETURN_IF_ERROR(writer_->exec_script("PRAGMA journal_mode = WAL;"));

    auto migrations = parse_migrations(sqlite_migration_files());
    if (!migrations.is_ok()) return migrations.status();
    Status s = run_write([&](Transaction& tx) -> Status {
      auto v = apply_migrations(tx, *migrations, format_instant(std::chrono::system_clock::now()),
                                options_.path);
      if (!v.is_ok()) return v.status();
      version_ = *v;
      return Status::ok();
    });
    if (!s.is_ok()) return s;

    for (int i = 0; i < options_.readers; ++i) {
      auto r = Connection::open(options_, true);
      if (!r.is_ok()) return r.status();
      free_readers_.push_back(r->get());
      readers_.push_back(std::move(r.value()));
    }
    checkpointer_ = std::thread([this] { checkpoint_when_idle(); });
    return Status::ok();
  }

  Status transact(TxMode mode, const std::function<Status(Transaction&)>& fn) override {
    // kReadEach runs as kRead: a snapshot is stronger than it needs.
    return retry_busy(kMaxAttempts, [&] { return mode == TxMode::kWrite ? run_write(fn) : run_read(fn); });
  }

  Status ping() override {
    return transact(TxMode::kRead, [](Transaction& tx) { return tx.query_one("SELECT 1").status(); });
  }

  Status listen(const std::string& channel, std::function<void(const Event&)> fn) override {
    if (!valid_channel(channel)) return Status::invalid("invalid event channel");
    std::lock_guard lock(listen_mu_);
    if (!poller_.joinable()) {
      // Events from now on: start after the newest one.
      CARNET_RETURN_IF_ERROR(transact(TxMode::kRead, [&](Transaction& tx) -> Status {
        auto row = tx.query_one("SELECT COALESCE(MAX(id), 0) FROM events");
        if (!row.is_ok()) return row.status();
        last_event_ = (*row)->integer(0);
        return Status::ok();
      }));
      poller_ = std::thread([this] { poll_events(); });
    }
    listeners_.emplace(channel, std::move(fn));
    return Status::ok();
  }

  Status purge_deleted() override {
    std::lock_guard lock(writer_mu_);
    if (batch_) finish_batch_locked(Status::ok(), true);
    return writer_->exec_script("PRAGMA wal_checkpoint(TRUNCATE);");
  }

  int schema_version() const override { return version_; }
  WriteCounts write_counts() const override {
    return {committed_writes_.load(std::memory_order_relaxed), commits_.load(std::memory_order_relaxed)};
  }
  const Capabilities& capabilities() const override { return caps_; }

 private:
  // Group commit. Writers' functions run one after the other on the one write connection,
  // in a shared transaction, which commits (one WAL flush) when no other writer is waiting
  // for its turn, or when it has grown large or old. Every writer of a batch returns once the
  // batch is durable, with the commit's outcome. A writer whose function fails returns at
  // once, its changes undone: a failure that changed no row leaves nothing to undo (a refused
  // request, most of them); one that did rolls the whole batch back, and the batch's other
  // writers run again (kBusy, retried by transact). A savepoint per writer would undo its
  // changes alone, but its journal copies every page the writer changes first: without
  // them, weights +10 % and heart rates +14 % at 32 clients. After a failure that changed
  // rows, writers use savepoints for kSavepointsAfterFailure, so that a client sending such
  // requests does not make others run again more than once a second. At one writer at a
  // time this is a plain transaction per call.
  // The functions are run by one of the writers, the lead, for all of them (flat
  // combining): the others queue theirs and sleep until it is durable. Taking turns on a
  // mutex instead, the write connection stood idle 15 % of the time at 64 clients, while
  // each writer woke to take the mutex from the one before. The lead runs what is queued
  // until its own function's batch is durable, then hands the role to the first writer
  // still queued. A function runs with its own writer's request id in the log.
  struct Writer {
    const std::function<Status(Transaction&)>* fn = nullptr;
    std::string_view request_id;
    Status result;      // final once `done` is set, unless `lead` is
    bool lead = false;  // handed the role of lead (before `done` is set)
    Flag done;
  };
  struct Batch {
    std::vector<Writer*> members;  // whose functions ran in it, and wait for its outcome
    std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
  };
  static constexpr size_t kMaxBatch = 256;
  static constexpr std::chrono::milliseconds kMaxBatchAge{20};
  static constexpr std::chrono::seconds kSavepointsAfterFailure{1};

  Status run_write(const std::function<Status(Transaction&)>& fn) {
    Writer me;
    me.fn = &fn;
    me.request_id = log::current_request_id();
    bool first_to_lead;  // read here, not from `me`, which the lead may write meanwhile
    {
      std::lock_guard q(queue_mu_);
      queue_.push_back(&me);
      first_to_lead = !leading_;
      me.lead = first_to_lead;
      leading_ = true;
    }
    if (!first_to_lead) {
      me.done.wait();
      if (!me.lead) return me.result;
    }
    lead();  // `me` is in its queue, its function run by the time it returns
    return me.result;
  }

  // The lead's work: the queued functions, batch after batch, until those it found queued
  // (its own among them) are final. A function's exception is its failure (run_function);
  // anything else thrown here (out of memory) ends the process rather than leave the queued
  // writers waiting for a lead and the batch's transaction open.
  void lead() noexcept {
    std::unique_lock writer(writer_mu_);
    std::vector<Writer*> turn;
    for (;;) {
      {
        std::lock_guard q(queue_mu_);
        turn.assign(queue_.begin(), queue_.end());
        queue_.clear();
      }
      for (Writer* w : turn) {
        run_one(*w);
        // A batch holds at most kMaxBatch writers, however many were queued.
        if (batch_ && batch_->members.size() >= kMaxBatch) finish_batch_locked(Status::ok(), true);
      }
      if (!turn.empty() && !(batch_ && std::chrono::steady_clock::now() - batch_->opened >= kMaxBatchAge)) {
        continue;  // more may have come meanwhile, for the same flush
      }
      if (batch_) finish_batch_locked(Status::ok(), true);
      // Every function taken is final now.
      writer.unlock();
      std::lock_guard q(queue_mu_);
      if (queue_.empty()) {
        leading_ = false;
      } else {
        queue_.front()->lead = true;
        queue_.front()->done.set();
      }
      return;
    }
  }

  // Runs one writer's function in the open batch (opening one if needed). A failure is final
  // at once; a success waits for the batch's outcome.
  // REQUIRES: writer_mu_ held.
  void run_one(Writer& w) {
    auto fail = [&](Status s) {
      w.result = std::move(s);
      w.done.set();
    };
    if (!batch_) {
      if (Status begun = writer_->control("BEGIN IMMEDIATE"); !begun.is_ok()) return fail(begun);
      batch_ = std::make_unique<Batch>();
    }
    // The batch's first writer has nothing of others' to keep if it fails: the transaction
    // itself rolls back.
    const bool first = batch_->members.empty();
    const bool savepoint = !first && std::chrono::steady_clock::now() < savepoints_until_;
    const int64_t changes_before = sqlite3_total_changes64(writer_->db());
    Status s = savepoint ? writer_->control("SAVEPOINT w") : Status::ok();
    if (!s.is_ok()) return fail(s);
    {
      log::ScopedRequestId id(w.request_id);
      SqliteTransaction tx(*writer_);
      s = run_function(*w.fn, tx);
    }
    if (sqlite3_get_autocommit(writer_->db())) {
      // SQLite rolled the whole transaction back (I/O error, out of memory, a trigger's
      // RAISE(ROLLBACK)): the batch's earlier writers lose their changes too, through no
      // fault of their own, and run again.
      if (s.is_ok()) s = Status::unavailable("transaction rolled back by SQLite");
      finish_batch_locked(Status::busy("another write of the same batch failed; run again"), false);
      return fail(s);
    }
    if (first && !s.is_ok()) {
      // Its own transaction: rolled back whole; the next writer opens a new one.
      finish_batch_locked(s, true);
      return fail(s);
    }
    if (!s.is_ok() && !savepoint && sqlite3_total_changes64(writer_->db()) != changes_before) {
      // Changes it cannot take back alone: the batch's other writers run again.
      savepoints_until_ = std::chrono::steady_clock::now() + kSavepointsAfterFailure;
      finish_batch_locked(Status::busy("another write of the same batch failed; run again"), true);
      return fail(s);
    }
    Status end = !savepoint ? Status::ok() : s.is_ok() ? writer_->control("RELEASE w") : rollback_savepoint();
    if (!end.is_ok()) {
      finish_batch_locked(end, true);
      return fail(s.is_ok() ? end : s);
    }
    if (!s.is_ok()) return fail(s);
    batch_->members.push_back(&w);
  }

  Status rollback_savepoint() {
    Status s = writer_->control("ROLLBACK TO w");
    Status r = writer_->control("RELEASE w");
    return s.is_ok() ? r : s;
  }

  // The write-ahead log emptied once writes pause. SQLite's automatic checkpoints copy the
  // log into the database every 1,000 pages but leave the log in place, and as long as it
  // holds frames every read looks its pages up in the log's index first: searches ran 11-17%
  // slower after a burst of writes until a restart (issue 18). When no write came for
  // kIdleBeforeCheckpoint, the log is copied and truncated (readers finish within
  // milliseconds; one that holds on makes the attempt give up and retry later).
  static constexpr std::chrono::milliseconds kIdleBeforeCheckpoint{250};
  void checkpoint_when_idle() {
    std::unique_lock lock(listen_mu_);
    while (!stopping_) {
      listen_cv_.wait_for(lock, kIdleBeforeCheckpoint, [&] { return stopping_; });
      if (stopping_) break;
      if (!wal_dirty_.load(std::memory_order_relaxed) ||
          std::chrono::steady_clock::now() - last_write_.load(std::memory_order_relaxed) < kIdleBeforeCheckpoint) {
        continue;
      }
      lock.unlock();
      {
        std::lock_guard writer(writer_mu_);
        bool queued;
        {
          std::lock_guard q(queue_mu_);
          queued = !queue_.empty();
        }
        if (!batch_ && !queued) {
          sqlite3_busy_timeout(writer_->db(), 50);
          int rc = sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
          sqlite3_busy_timeout(writer_->db(), int(options_.busy_timeout.count()));
          if (rc == SQLITE_OK) wal_dirty_.store(false, std::memory_order_relaxed);
        }
      }
      lock.lock();
    }
  }

  // Commits (or, given an error, ends) the open batch and wakes its writers.
  // REQUIRES: writer_mu_ held and batch_ set.
  void finish_batch_locked(Status outcome, bool still_open) {
    if (outcome.is_ok()) outcome = writer_->control("COMMIT");
    if (outcome.is_ok()) {
      commits_.fetch_add(1, std::memory_order_relaxed);
      committed_writes_.fetch_add(uint64_t(batch_->members.size()), std::memory_order_relaxed);
    }
    wal_dirty_.store(true, std::memory_order_relaxed);
    last_write_.store(std::chrono::steady_clock::now(), std::memory_order_relaxed);
    if (!outcome.is_ok() && still_open && !sqlite3_get_autocommit(writer_->db())) {
      Status rb = writer_->control("ROLLBACK");
      if (!rb.is_ok()) log::error("sqlite_rollback_failed", {{"error", rb.message()}});
    }
    // A writer may return (and its Writer go) as soon as its flag is set.
    for (Writer* w : std::exchange(batch_->members, {})) {
      w->result = outcome;
      w->done.set();
    }
    batch_.reset();
  }

  Status run_read(const std::function<Status(Transaction&)>& fn) {
    Connection* c;
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock, [&] { return !free_readers_.empty(); });
      c = free_readers_.back();
      free_readers_.pop_back();
    }
    Status s = run_in(*c, "BEGIN", fn);
    {
      std::lock_guard lock(readers_mu_);
      free_readers_.push_back(c);
    }
    readers_cv_.notify_one();
    return s;
  }

  static Status run_in(Connection& c, const char* begin, const std::function<Status(Transaction&)>& fn) {
    CARNET_RETURN_IF_ERROR(c.control(begin));
    SqliteTransaction tx(c);
    Status s = run_function(fn, tx);
    if (s.is_ok()) {
      Status commit = c.control("COMMIT");
      if (commit.is_ok()) return s;
      s = commit;
    }
    if (!sqlite3_get_autocommit(c.db())) {
      Status rb = c.control("ROLLBACK");
      if (!rb.is_ok()) log::error("sqlite_rollback_failed", {{"error", rb.message()}});
    }
    return s;
  }

  // The listeners' thread: reads new rows of `events` every 100 ms and hands them over.
  void poll_events() {
    std::unique_lock lock(listen_mu_);
    while (!stopping_) {
      listen_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_; });
      if (stopping_) break;
      int64_t after = last_event_;
      lock.unlock();
      std::vector<Event> events;
      int64_t last = after, first = 0;
      Status s = transact(TxMode::kRead, [&](Transaction& tx) -> Status {
        events.clear();
        last = after;
        first = 0;
        return tx.query_each("SELECT id, channel, payload FROM events WHERE id > ? ORDER BY id LIMIT 1000", {after},
                             [&](const Row& r) {
                               if (first == 0) first = r.integer(0);
                               last = r.integer(0);
                               events.push_back({r.text(1), r.text(2), false});
                               return Status::ok();
                             });
      });
      lock.lock();
      if (!s.is_ok()) {
        log::warn("event_poll_failed", {{"error", s.message()}});
        continue;
      }
      bool gap = first > after + 1 && after > 0;  // trimmed before this process read them
      last_event_ = last;
      auto listeners = listeners_;  // called without the lock: a listener may listen() again
      lock.unlock();
      if (gap) {
        for (auto& [channel, fn] : listeners) fn(Event{channel, "", true});
      }
      for (const Event& e : events) {
        auto range = listeners.equal_range(e.channel);
        for (auto it = range.first; it != range.second; ++it) it->second(e);
      }
      lock.lock();
    }
  }

  SqliteOptions options_;
  Capabilities caps_;
  std::mutex listen_mu_;
  std::condition_variable listen_cv_;
  std::multimap<std::string, std::function<void(const Event&)>> listeners_;
  int64_t last_event_ = 0;
  bool stopping_ = false;
  std::thread poller_;
  int version_ = 0;
  std::mutex writer_mu_;  // held by the lead, and by others using writer_ between batches
  std::unique_ptr<Batch> batch_;  // the write transaction open on writer_, guarded by writer_mu_
  std::mutex queue_mu_;
  std::deque<Writer*> queue_;  // functions waiting for the lead, guarded by queue_mu_
  bool leading_ = false;       // a writer is the lead, guarded by queue_mu_
  std::chrono::steady_clock::time_point savepoints_until_;  // guarded by writer_mu_
  std::atomic<bool> wal_dirty_{false};  // the log may hold frames
  std::atomic<uint64_t> commits_{0}, committed_writes_{0};
  std::atomic<std::chrono::steady_clock::time_point> last_write_{std::chrono::steady_clock::time_point{}};
  std::thread checkpointer_;
  std::unique_ptr<Connection> writer_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::vector<Connection*> free_readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options) {
  std::filesystem::path p(options.path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return Status::unavailable("cannot create " + p.parent_path().string() + ": " + ec.message());
  }
  auto store = std::make_unique<SqliteStore>(options);
  Status s = store->open();
  if (!s.is_ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace carnet::store
