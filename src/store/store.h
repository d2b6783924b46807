// The storage interface every backend implements (SQLite embedded, PostgreSQL).
// Domain code sees only this header: transactions are functions handed to the store, which
// begins, commits, rolls back and retries them. SQL is written once, portable between
// backends: `?` placeholders bound in order, no backend-specific syntax in domain queries
// (backend differences go behind Capabilities or into the backend's own migrations).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/status.h"

namespace carnet::store {

// Binary data; distinct from text so backends store it as BLOB/bytea.
struct Blob {
  std::string bytes;
};

using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

// A boolean SQL expression with its parameters, for one layer to have a statement of
// another check something in the same round trip.
struct Condition {
  std::string sql;
  std::vector<Value> params;
};

// A view over parameters: built from a braced list at the call site or from a vector.
class Params {
 public:
  Params() = default;
  // The list's array lives until the end of the caller's full expression, which covers the
  // call: Params is a parameter type only, never stored.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
  Params(std::initializer_list<Value> list) : data_(list.begin()), size_(list.size()) {}
#pragma GCC diagnostic pop
  Params(const std::vector<Value>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
  const Value* begin() const { return data_; }
  const Value* end() const { return data_ + size_; }
  size_t size() const { return size_; }

 private:
  const Value* data_ = nullptr;
  size_t size_ = 0;
};

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }
  // Integer column; 0 for NULL. REQUIRES: i < size().
  int64_t integer(size_t i) const;
  double real(size_t i) const;
  // Text or blob bytes; empty for NULL.
  const std::string& text(size_t i) const;
  const Value& value(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

enum class TxMode {
  kRead,   // may run concurrently with other reads and one write; writes are refused
  // A read whose statements do not depend on one another: each sees the latest committed
  // data, with no snapshot held across them (on PostgreSQL: no BEGIN/COMMIT, the cheapest
  // read). Only SELECT statements.
  kReadEach,
  kWrite,  // serialised with other writes
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  // Runs one statement; returns the number of rows changed.
  virtual Result<int64_t> exec(std::string_view sql, Params params = {}) = 0;
  // Runs an INSERT whose row count the caller does not need and whose failure it does not
  // handle (a fault, or a conflict the whole transaction retries): a database server gets it
  // without a wait for its answer, which is read with the transaction's next statement or
  // at its commit, failing that one. By default, exec().
  virtual Status exec_deferred(std::string_view sql, Params params) { return exec(sql, std::move(params)).status(); }
  // Inserts `rows` (one value per column each) into `table` as exec_deferred does, maybe
  // later: a database server's transaction holds them until its next other statement or its
  // commit, and sends the rows held for one table and column list as one multi-row INSERT
  // (a body weight and the body-mass index it derives: five statements instead of ten). Rows
  // no conflict can refuse only; tables with no trigger or foreign key between them (the
  // order of inserts into different tables may change). By default, insert_rows_deferred's
  // statements at once.
  virtual Status insert_deferred(std::string_view table, std::string_view columns, std::vector<std::vector<Value>> rows);
  // Calls `each` for every row, streaming (constant memory); stops at the first non-OK.
  virtual Status query_each(std::string_view sql, Params params,
                            const std::function<Status(const Row&)>& each) = 0;
  // Runs several ';'-separated statements without parameters (migrations).
  virtual Status exec_script(std::string_view sql) = 0;
  // Publishes an event when, and only if, this transaction commits: the listeners of
  // `channel` in every instance sharing the database get it (Store::listen). Channels:
  // 1-63 characters of [a-z0-9_.-]; payloads: up to 1000 bytes of UTF-8 text, never health
  // data (identifiers of what changed, for listeners to read it themselves).
  virtual Status publish(std::string_view channel, std::string_view payload) = 0;
  // True when the backend's SQL has LATERAL subqueries (PostgreSQL): a join can then look
  // each row's partner up by its whole key, whatever the planner's estimates.
  virtual bool lateral_joins() const { return false; }

  Result<std::vector<Row>> query(std::string_view sql, Params params = {});
  // The first row, or nullopt when there is none.
  Result<std::optional<Row>> query_one(std::string_view sql, Params params = {});

  // What the transaction read once and may reuse until it ends, by a key its reader chooses
  // (a space's wrapped data key, read once however many resources a Bundle writes into the
  // space: on a database server each read is a round trip). Never secrets in the clear.
  std::unordered_map<std::string, std::string>& memo() { return memo_; }

 private:
  std::unordered_map<std::string, std::string> memo_;
};

// An event as a listener gets it. `gap`: events may have been missed (the listener lost its
// connection for a while, payload empty); a listener then re-reads what it keeps.
struct Event {
  std::string channel;
  std::string payload;
  bool gap = false;
};

// True for a valid channel name (see Transaction::publish).
bool valid_channel(std::string_view channel);

struct Capabilities {
  std::string backend;       // "sqlite", "postgres"
  bool concurrent_writers;   // several write transactions may run at once
  bool multi_instance;       // several carnetd processes may share it
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in a transaction: commits if it returns OK, rolls back otherwise and returns
  // its status. A transient conflict (kBusy from the backend or from `fn`) is retried with
  // randomised back-off, so `fn` may run more than once and must have no effect outside the
  // transaction. Safe to call from many threads at once.
  virtual Status transact(TxMode mode, const std::function<Status(Transaction&)>& fn) = 0;

  // transact() for a background thread that writes for many requests at once (the audit
  // trail's group commit): on a connection kept for such threads, so that it neither waits
  // for a connection a worker holds nor holds one a worker waits for. The pool stays one
  // connection per worker. SQLite, whose writes share one connection, runs it as transact().
  virtual Status transact_background(TxMode mode, const std::function<Status(Transaction&)>& fn) {
    return transact(mode, fn);
  }

  // Cheap round trip proving the database answers (readiness probe).
  virtual Status ping() = 0;

  // Calls `fn` on a background thread, one event at a time in commit order per publisher,
  // for every event published on `channel` (by any instance, this one included) after
  // listen() returns. PostgreSQL: LISTEN/NOTIFY on a connection of its own; SQLite: a table
  // polled every 100 ms (so carnet tools and other processes on the file are heard too).
  virtual Status listen(const std::string& channel, std::function<void(const Event&)> fn) = 0;

  // After erasing secrets (crypto-shredding a data key), make sure no copy of the deleted
  // rows survives in the backend's own files (journal, free pages). Outside transactions.
  virtual Status purge_deleted() = 0;

  virtual int schema_version() const = 0;
  virtual const Capabilities& capabilities() const = 0;

  // Write transactions committed, and the flushes to disk that made them durable (a group
  // commit makes several durable with one flush); zeros where the backend does not count
  // them (PostgreSQL: the server's pg_stat_wal counts its own).
  struct WriteCounts {
    uint64_t transactions = 0;
    uint64_t flushes = 0;
  };
  virtual WriteCounts write_counts() const { return {}; }
};

struct SqliteOptions {
  std::string path;  // database file; created if absent
  int readers = 4;   // read connections in the pool
  std::chrono::milliseconds busy_timeout{5000};
};

// Opens (creating if needed) and migrates the database. Refuses a database whose schema is
// newer than this binary knows.
Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options);

struct PostgresOptions {
  std::string conninfo;  // libpq connection string or postgresql:// URI
  int connections = 8;   // pool size (opened on demand)
  // Besides the pool: one connection for transact_background(), one for listen().
};

// Connects, and migrates the database (instances starting together take turns). Refuses a
// database whose schema is newer than this binary knows.
Result<std::unique_ptr<Store>> open_postgres(const PostgresOptions& options);

// The backend a --database setting names: "postgresql://..." or "postgres://..." (or a
// libpq "key=value" string containing "dbname=" or "host="): PostgreSQL; "sqlite:PATH": that
// SQLite file; empty: SQLite in <data_dir>/carnet.db. `connections`: pool size / readers.
Result<std::unique_ptr<Store>> open_store(const std::string& database, const std::string& data_dir, int connections);

// The version of the reference data instances cache (the access matrix, the directory):
// every change bumps it in its own transaction, and a cache kept at an older version is
// stale. Several instances thus never serve a cache older than the database.
// Bumping also publishes an event on kReferenceDataChannel, so instances drop their copies at
// once rather than at their next check.
Result<int64_t> reference_version(Transaction& tx);
// The statement reference_version() runs, for a larger statement to read it as a column.
inline constexpr char kReferenceVersionQuery[] = "SELECT version FROM reference_data_version WHERE id = 1";
Status bump_reference_version(Transaction& tx);
inline constexpr char kReferenceDataChannel[] = "reference-data";

// True when `database` names a PostgreSQL server (see open_store).
bool is_postgres_url(std::string_view database);

}  // namespace carnet::store
