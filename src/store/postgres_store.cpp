// PostgreSQL backend (libpq): a pool of connections, each with its own cache of prepared
// statements. Write transactions run SERIALIZABLE, reads REPEATABLE READ READ ONLY, so the
// domain code sees the same guarantees as on SQLite (whose writes are serialised): a
// serialization failure or a deadlock surfaces as kBusy and the whole transaction is
// retried with randomised back-off. One connection's statements: postgres_connection.h.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/log.h"
#include "store/insert_rows.h"
#include "store/migrations.h"
#include "store/postgres_connection.h"
#include "store/retry.h"
#include "store/store.h"

namespace carnet::store {
namespace {

using pg::Connection;
using pg::read_value;

constexpr int kMaxAttempts = 40;  // hot rows under SERIALIZABLE: conflicts are expected
// Serialises migrations of several instances starting at once (any constant will do).
constexpr int64_t kMigrationLock = 0x6361726e6574;  // "carnet"

class PgTransaction final : public Transaction {
 public:
  PgTransaction(Connection& c, TxMode mode) : c_(c), read_each_(mode == TxMode::kReadEach), write_(mode == TxMode::kWrite) {}

  Result<int64_t> exec(std::string_view sql, Params params) override {
    CARNET_RETURN_IF_ERROR(allowed(sql));
    CARNET_RETURN_IF_ERROR(send_held());
    auto r = c_.run(sql, params);
    if (!r.is_ok()) return r.status();
    const char* n = PQcmdTuples(r->get());
    return int64_t(n && *n ? std::atoll(n) : 0);
  }

  Status exec_deferred(std::string_view sql, Params params) override {
    CARNET_RETURN_IF_ERROR(allowed(sql));
    if (read_each_) return exec(sql, std::move(params)).status();
    CARNET_RETURN_IF_ERROR(send_held());
    return c_.send_deferred(sql, params);
  }

  // Held until the next other statement or the commit (send_held), merged by table.
  Status insert_deferred(std::string_view table, std::string_view columns,
                         std::vector<std::vector<Value>> rows) override {
    if (read_each_) return insert_rows_deferred(*this, table, columns, std::move(rows));
    auto same = std::find_if(held_.begin(), held_.end(),
                             [&](const Held& h) { return h.table == table && h.columns == columns; });
    if (same == held_.end()) {
      held_.push_back({std::string(table), std::string(columns), std::move(rows)});
    } else {
      same->rows.insert(same->rows.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    }
    return Status::ok();
  }

  // The rows insert_deferred holds, sent (in the order their tables first came).
  Status send_held() {
    if (held_.empty()) return Status::ok();
    std::vector<Held> held = std::move(held_);
    held_.clear();
    for (auto& h : held) CARNET_RETURN_IF_ERROR(insert_rows_deferred(*this, h.table, h.columns, std::move(h.rows)));
    return Status::ok();
  }

  Status query_each(std::string_view sql, Params params,
                    const std::function<Status(const Row&)>& each) override {
    // The whole result is read before the first row is handed over, so `each` may run other
    // statements on this transaction (one connection runs one command at a time).
    CARNET_RETURN_IF_ERROR(allowed(sql));
    CARNET_RETURN_IF_ERROR(send_held());
    auto r = c_.run(sql, params);
    if (!r.is_ok()) return r.status();
    const PGresult* res = r->get();
    int rows = PQntuples(res), cols = PQnfields(res);
    for (int i = 0; i < rows; ++i) {
      std::vector<Value> values;
      values.reserve(size_t(cols));
      for (int j = 0; j < cols; ++j) values.push_back(read_value(res, i, j));
      CARNET_RETURN_IF_ERROR(each(Row(std::move(values))));
    }
    return Status::ok();
  }

  Status exec_script(std::string_view sql) override {
    if (read_each_) return Status::internal("scripts need a transaction");
    CARNET_RETURN_IF_ERROR(send_held());
    return c_.exec_script(sql);
  }

  bool lateral_joins() const override { return true; }

  Status publish(std::string_view channel, std::string_view payload) override {
    if (!valid_channel(channel)) return Status::invalid("invalid event channel");
    if (payload.size() > 1000) return Status::invalid("event payload over 1000 bytes");
    // NOTIFY is transactional: delivered at commit, dropped by a rollback.
    if (!write_) return Status::internal("publishing needs a write transaction");
    CARNET_RETURN_IF_ERROR(send_held());
    return c_.run("SELECT pg_notify(?, ?)", {std::string(channel), std::string(payload)}).status();
  }

 private:
  // Statements run outside a transaction (kReadEach) may only read.
  Status allowed(std::string_view sql) const {
    if (!read_each_) return Status::ok();
    size_t start = sql.find_first_not_of(" \t\r\n(");
    std::string head(sql.substr(start == std::string_view::npos ? sql.size() : start, 6));
    for (char& ch : head) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    if (head == "SELECT") return Status::ok();
    return Status::internal("write attempted in a read transaction");
  }

  struct Held {
    std::string table, columns;
    std::vector<std::vector<Value>> rows;
  };

  Connection& c_;
  bool read_each_, write_;
  std::vector<Held> held_;
};

// Connections to one server, opened on first need, `size` at most.
class Pool {
 public:
  Pool(const std::string& conninfo, int size) : conninfo_(conninfo), size_(size) {}

  // A connection; waits while all are in use.
  Result<std::unique_ptr<Connection>> acquire() {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        lock.unlock();
        if (c->settle().is_ok() && !c->broken() && PQtransactionStatus(c->raw()) == PQTRANS_IDLE) return c;
        c.reset();  // replaced by a fresh one below
        lock.lock();
        --open_;
      }
      ++open_;
    }
    auto c = Connection::open(conninfo_);
    if (!c.is_ok()) {
      std::lock_guard lock(mu_);
      --open_;
      cv_.notify_one();
    }
    return c;
  }

  // Back to the pool; a connection that broke, or was left inside a transaction, is closed
  // (the next acquire opens a fresh one).
  void release(std::unique_ptr<Connection> c) {
    bool reusable = !c->broken() && (c->unsettled() || PQtransactionStatus(c->raw()) == PQTRANS_IDLE);
    if (!reusable) c.reset();
    std::lock_guard lock(mu_);
    if (reusable) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
    cv_.notify_one();
  }

 private:
  const std::string conninfo_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PostgresOptions options) : options_(std::move(options)) {
    caps_ = {"postgres", true, true};
  }
  ~PostgresStore() override {
    {
      std::lock_guard lock(listen_mu_);
      stopping_ = true;
    }
    listen_cv_.notify_all();
    if (listener_.joinable()) listener_.join();
  }

  Status open() {
    auto migrations = parse_migrations(postgres_migration_files());
    if (!migrations.is_ok()) return migrations.status();
    return transact(TxMode::kWrite, [&](Transaction& tx) -> Status {
      // Instances starting together take turns; the later ones find nothing left to do.
      CARNET_RETURN_IF_ERROR(tx.query_one("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}).status());
      auto v = apply_migrations(tx, *migrations, format_instant(std::chrono::system_clock::now()), "(PostgreSQL)");
      if (!v.is_ok()) return v.status();
      version_ = *v;
      return Status::ok();
    });
  }

  Status transact(TxMode mode, const std::function<Status(Transaction&)>& fn) override {
    return retry_busy(kMaxAttempts, [&] { return run(pool_, mode, fn); });
  }

  Status transact_background(TxMode mode, const std::function<Status(Transaction&)>& fn) override {
    return retry_busy(kMaxAttempts, [&] { return run(background_, mode, fn); });
  }

  Status ping() override {
    return transact(TxMode::kRead, [](Transaction& tx) { return tx.query_one("SELECT 1").status(); });
  }

  Status listen(const std::string& channel, std::function<void(const Event&)> fn) override {
    if (!valid_channel(channel)) return Status::invalid("invalid event channel");
    std::unique_lock lock(listen_mu_);
    if (!listener_.joinable()) listener_ = std::thread([this] { listen_loop(); });
    bool known = listeners_.count(channel) > 0;
    listeners_.emplace(channel, std::move(fn));
    if (known) return Status::ok();
    // Returns once the listening connection runs LISTEN for it.
    pending_.push_back(channel);
    listen_cv_.notify_all();
    bool ok = listen_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return listening_.count(channel) > 0 || stopping_; });
    if (!ok || stopping_) return Status::unavailable("cannot listen for events: " + listen_error_);
    return Status::ok();
  }

  Status purge_deleted() override {
    // Dead rows of the erased secrets are removed from their pages (outside a transaction).
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    Status s = (*c)->exec_script("VACUUM space_keys; VACUUM spaces");
    pool_.release(std::move(*c));
    return s;
  }

  int schema_version() const override { return version_; }
  const Capabilities& capabilities() const override { return caps_; }

 private:
  Status run(Pool& pool, TxMode mode, const std::function<Status(Transaction&)>& fn) {
    // One transaction per thread at a time: a second one, taken while the first holds its
    // connection, can wait for a connection forever once every worker does the same (the pool
    // holds one per worker). Refused at once, so that tests find it.
    static thread_local bool in_transaction = false;
    if (in_transaction) return Status::internal("a transaction was started inside another on the same thread");
    in_transaction = true;
    struct Leave {
      ~Leave() { in_transaction = false; }
    } leave;
    auto got = pool.acquire();
    if (!got.is_ok()) return got.status();
    std::unique_ptr<Connection> c = std::move(*got);
    c->defer_begin(mode == TxMode::kReadEach ? nullptr
                   : mode == TxMode::kWrite  ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgTransaction tx(*c, mode);
    Status s = run_function(fn, tx);
    if (s.is_ok()) s = tx.send_held();
    c->cancel_begin();  // a transaction that ran no statement never began
    if (s.is_ok() && mode == TxMode::kWrite && c->begun() && !c->broken()) {
      // Durable, and where serialization failures surface; with what was sent without
      // waiting, which may have failed.
      s = c->commit();
    } else {
      if (s.is_ok()) s = c->flush_deferred();  // what was sent without waiting may have failed
      if (c->begun() && !c->broken()) {
        // A read-only transaction's COMMIT, or a ROLLBACK, changes nothing that the caller
        // waits for: its answer is read before the connection's next use.
        Status end = c->send_and_forget(s.is_ok() ? "COMMIT" : "ROLLBACK");
        if (s.is_ok()) s = end;
      }
    }
    pool.release(std::move(c));
    return s;
  }

  // The listening connection's thread: LISTEN for every channel asked, hand notifications
  // over; after a lost connection, reconnect (with back-off) and tell listeners of the gap.
  void listen_loop() {
    std::unique_ptr<Connection> conn;
    bool lost = false;
    int backoff_ms = 50;
    std::unique_lock lock(listen_mu_);
    while (!stopping_) {
      if (!conn) {
        std::vector<std::string> channels;
        for (auto& [c, fn] : listeners_) channels.push_back(c);
        lock.unlock();
        auto c = Connection::open(options_.conninfo);
        Status s = c.is_ok() ? Status::ok() : c.status();
        for (size_t i = 0; s.is_ok() && i < channels.size(); ++i) {
          if (i > 0 && channels[i] == channels[i - 1]) continue;
          s = (*c)->exec_script("LISTEN \"" + channels[i] + "\"");
        }
        lock.lock();
        if (!s.is_ok()) {
          listen_error_ = s.message();
          log::warn("event_listener_disconnected", {{"error", s.message()}});
          listen_cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping_; });
          backoff_ms = std::min(backoff_ms * 2, 5000);
          continue;
        }
        conn = std::move(*c);
        backoff_ms = 50;
        listening_.insert(channels.begin(), channels.end());
        if (lost) {
          auto listeners = listeners_;
          lock.unlock();
          for (auto& [channel, fn] : listeners) fn(Event{channel, "", true});
          lock.lock();
          lost = false;
        }
        listen_cv_.notify_all();
      }
      while (!pending_.empty()) {
        std::string channel = pending_.front();
        pending_.erase(pending_.begin());
        lock.unlock();
        Status s = conn->exec_script("LISTEN \"" + channel + "\"");
        lock.lock();
        if (s.is_ok()) {
          listening_.insert(channel);
        } else {
          listen_error_ = s.message();
          pending_.push_back(channel);
          break;
        }
      }
      listen_cv_.notify_all();
      lock.unlock();
      pollfd p{PQsocket(conn->raw()), POLLIN, 0};
      ::poll(&p, 1, 100);
      std::vector<Event> events;
      bool broken = PQconsumeInput(conn->raw()) == 0 || conn->broken();
      while (PGnotify* n = PQnotifies(conn->raw())) {
        events.push_back({n->relname, n->extra ? n->extra : "", false});
        PQfreemem(n);
      }
      lock.lock();
      auto listeners = listeners_;
      lock.unlock();
      for (const Event& e : events) {
        auto range = listeners.equal_range(e.channel);
        for (auto it = range.first; it != range.second; ++it) it->second(e);
      }
      lock.lock();
      if (broken) {
        log::warn("event_listener_disconnected", {{"error", std::string(PQerrorMessage(conn->raw()))}});
        conn.reset();
        listening_.clear();
        lost = true;
      }
    }
  }

  PostgresOptions options_;
  Capabilities caps_;
  std::mutex listen_mu_;
  std::condition_variable listen_cv_;
  std::multimap<std::string, std::function<void(const Event&)>> listeners_;
  std::vector<std::string> pending_;
  std::set<std::string> listening_;
  std::string listen_error_ = "no connection yet";
  bool stopping_ = false;
  std::thread listener_;
  int version_ = 0;
  Pool pool_{options_.conninfo, options_.connections};  // one connection per worker
  Pool background_{options_.conninfo, 1};               // transact_background()
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const PostgresOptions& options) {
  if (options.connections < 1) return Status::invalid("PostgreSQL pool needs at least one connection");
  auto store = std::make_unique<PostgresStore>(options);
  Status s = store->open();
  if (!s.is_ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace carnet::store
