// PostgreSQL backend (libpq): a pool of connections, each with its own cache of prepared
// statements. Write transactions run SERIALIZABLE, reads REPEATABLE READ READ ONLY, so the
// domain code sees the same guarantees as on SQLite (whose writes are serialised): a
// serialization failure or a deadlock surfaces as kBusy and the whole transaction is
// retried with randomised back-off.
//
// SQL arrives portable (store.h): `?` placeholders become $1, $2... Parameters travel as
// text of unknown type, so the server types each from its context (a column, a LIMIT), as
// SQLite would accept them; bytes travel as binary bytea. Results come back as text and
// are typed from the column's type.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <bit>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/clock.h"
#include "core/log.h"
#include "store/migrations.h"
#include "store/retry.h"
#include "store/store.h"

namespace carnet::store {
namespace {

constexpr int kMaxAttempts = 40;  // hot rows under SERIALIZABLE: conflicts are expected
constexpr size_t kStatementCacheLimit = 512;
// Serialises migrations of several instances starting at once (any constant will do).
constexpr int64_t kMigrationLock = 0x6361726e6574;  // "carnet"

// Type OIDs (pg_type.h), for reading results.
constexpr Oid kBool = 16, kBytea = 17, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kOid = 26,
              kFloat4 = 700, kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kNumeric = 1700;

// Result columns read in binary as well as in text: a statement whose columns are all of
// these gets its rows in binary (bytes arrive as they are, not hex-encoded at twice the size).
bool binary_readable(Oid type) {
  switch (type) {
    case kBool: case kBytea: case kName: case kInt8: case kInt2: case kInt4: case kText: case kOid:
    case kFloat4: case kFloat8: case kBpchar: case kVarchar:
      return true;
    default:
      return false;
  }
}

uint64_t big_endian(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | uint8_t(p[i]);
  return v;
}

// A column in binary format (see binary_readable).
Value read_binary(Oid type, const char* p, size_t len) {
  switch (type) {
    case kBool: return int64_t(len > 0 && p[0] != 0);
    case kInt2: return int64_t(int16_t(big_endian(p, 2)));
    case kInt4: return int64_t(int32_t(big_endian(p, 4)));
    case kOid: return int64_t(uint32_t(big_endian(p, 4)));
    case kInt8: return int64_t(big_endian(p, 8));
    case kFloat4: return double(std::bit_cast<float>(uint32_t(big_endian(p, 4))));
    case kFloat8: return std::bit_cast<double>(big_endian(p, 8));
    case kBytea: return Blob{std::string(p, len)};
    default: return std::string(p, len);
  }
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Rewrites `?` placeholders to $1, $2...; those inside quoted literals, quoted identifiers
// and comments are text and stay. Returns the number of parameters in `count`.
std::string number_placeholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = sql.find(c, i + 1);
      while (end != std::string_view::npos && end + 1 < sql.size() && sql[end + 1] == c) end = sql.find(c, end + 2);
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  *count = n;
  return out;
}

// The Status for a failed command, from its SQLSTATE.
Status pg_error(const PGresult* r, PGconn* conn, std::string_view what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg(what);
  msg += ": ";
  const char* text = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  msg += (text && *text) ? text : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string_view s = state ? state : "";
  if (s == "40001" || s == "40P01" || s == "55P03") return Status::busy(msg);  // serialization, deadlock, lock
  if (s.substr(0, 2) == "23") return Status::conflict(msg);                    // integrity constraints
  if (s == "25006") return Status::internal(msg + " (write attempted in a read transaction)");
  if (s.empty() || s.substr(0, 2) == "08" || s.substr(0, 2) == "57" || s.substr(0, 2) == "53") {
    return Status::unavailable(msg);  // connection lost, server shutting down, out of resources
  }
  if (s == "XX001" || s == "XX002") return Status::corrupt(msg);
  return Status::internal(msg);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in the server's text output ("\x0a1b..."; the hex format, default since 9.0).
std::string decode_bytea(const char* text, size_t len) {
  std::string out;
  if (len < 2 || text[0] != '\\' || text[1] != 'x') {
    size_t n = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
    if (raw) out.assign(reinterpret_cast<char*>(raw), n);
    PQfreemem(raw);
    return out;
  }
  out.resize((len - 2) / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = char(hex_value(text[2 + 2 * i]) << 4 | hex_value(text[3 + 2 * i]));
  }
  return out;
}

Value read_value(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return nullptr;
  const char* text = PQgetvalue(r, row, col);
  size_t len = size_t(PQgetlength(r, row, col));
  if (PQfformat(r, col) == 1) return read_binary(PQftype(r, col), text, len);
  switch (PQftype(r, col)) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      int64_t v = 0;
      std::from_chars(text, text + len, v);
      return v;
    }
    case kBool: return int64_t(text[0] == 't' ? 1 : 0);
    case kFloat4:
    case kFloat8: return std::strtod(text, nullptr);
    case kNumeric: {
      // SUM() and AVG() of integers: whole numbers stay integers.
      if (std::memchr(text, '.', len) == nullptr) {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(text, text + len, v);
        if (ec == std::errc() && end == text + len) return v;
      }
      return std::strtod(text, nullptr);
    }
    case kBytea: return Blob{decode_bytea(text, len)};
    default: return std::string(text, len);
  }
}

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    auto conn = std::unique_ptr<Connection>(new Connection(c));
    if (!c || PQstatus(c) != CONNECTION_OK) {
      std::string msg = c ? PQerrorMessage(c) : "out of memory";
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return Status::unavailable("cannot connect to PostgreSQL: " + msg);
    }
    // Quiet the server's NOTICE messages (e.g. "relation already exists, skipping").
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    CARNET_RETURN_IF_ERROR(conn->exec_script("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
    return conn;
  }

  ~Connection() { PQfinish(conn_); }

  PGconn* raw() const { return conn_; }
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }

  Status exec_script(std::string_view sql) {
    CARNET_RETURN_IF_ERROR(flush_deferred());
    CARNET_RETURN_IF_ERROR(settle());
    if (begin_) {
      const char* begin = begin_;
      begin_ = nullptr;
      begun_ = true;
      CARNET_RETURN_IF_ERROR(exec_script(begin));
    }
    std::string s(sql);
    PgResult r(PQexec(conn_, s.c_str()));
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
      return pg_error(r.get(), conn_, "executing script");
    }
    return Status::ok();
  }

  // Runs a statement (prepared once per connection) and returns its complete result.
  Result<PgResult> run(std::string_view sql, const Params& params) {
    CARNET_RETURN_IF_ERROR(flush_deferred());
    CARNET_RETURN_IF_ERROR(settle());
    auto prepared = prepare(sql, params);
    if (!prepared.is_ok()) return prepared.status();
    const Prepared& stmt = **prepared;
    const size_t n = params.size();
    auto bound = bind(stmt, params);
    if (!bound.is_ok()) return bound.status();
    auto& [values, lengths, formats, text] = *bound;
    PgResult r;
    if (begin_) {
      // The transaction's BEGIN travels with its first statement: one round trip for both.
      const char* begin = begin_;
      begin_ = nullptr;
      begun_ = true;
      if (!PQenterPipelineMode(conn_) || !PQsendQueryParams(conn_, begin, 0, nullptr, nullptr, nullptr, nullptr, 0) ||
          !PQsendQueryPrepared(conn_, stmt.name.c_str(), int(n), values.data(), lengths.data(), formats.data(),
                               stmt.result_format) ||
          !PQpipelineSync(conn_)) {
        return pg_error(nullptr, conn_, "sending statement");
      }
      auto results = collect(2);
      if (!results.is_ok()) return results.status();
      ExecStatusType bst = PQresultStatus((*results)[0].get());
      if (bst != PGRES_COMMAND_OK) return pg_error((*results)[0].get(), conn_, "starting transaction");
      r = std::move((*results)[1]);
    } else {
      r.reset(PQexecPrepared(conn_, stmt.name.c_str(), int(n), values.data(), lengths.data(), formats.data(),
                             stmt.result_format));
    }
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(r.get(), conn_, "running statement");
    return r;
  }

  // An INSERT sent without waiting for its answer (Transaction::exec_deferred): up to
  // kMaxDeferred of them travel in one pipeline, and their answers are read, the first error
  // returned, before the connection's next statement (flush_deferred()).
  Status send_deferred(std::string_view sql, const Params& params) {
    CARNET_RETURN_IF_ERROR(settle());
    // Preparing waits for the server, which pipeline mode does not allow.
    if (deferred_ > 0 && !cache_.contains(std::string(sql))) CARNET_RETURN_IF_ERROR(flush_deferred());
    auto prepared = prepare(sql, params);
    if (!prepared.is_ok()) return prepared.status();
    const Prepared& stmt = **prepared;
    auto bound = bind(stmt, params);
    if (!bound.is_ok()) return bound.status();
    auto& [values, lengths, formats, text] = *bound;
    if (deferred_ == 0) {
      if (!PQenterPipelineMode(conn_)) return pg_error(nullptr, conn_, "entering pipeline mode");
      if (begin_) {
        // The transaction's BEGIN travels with its first statement.
        if (!PQsendQueryParams(conn_, begin_, 0, nullptr, nullptr, nullptr, nullptr, 0)) {
          return pg_error(nullptr, conn_, "sending statement");
        }
        begin_ = nullptr;
        begun_ = true;
        ++deferred_;
      }
    }
    if (!PQsendQueryPrepared(conn_, stmt.name.c_str(), int(params.size()), values.data(), lengths.data(),
                             formats.data(), stmt.result_format)) {
      return pg_error(nullptr, conn_, "sending statement");
    }
    if (++deferred_ >= kMaxDeferred) return flush_deferred();
    return Status::ok();
  }

  // Reads the answers of the statements send_deferred() sent; the first error, if any.
  Status flush_deferred() {
    if (deferred_ == 0) return Status::ok();
    int sent = std::exchange(deferred_, 0);
    if (!PQpipelineSync(conn_)) return pg_error(nullptr, conn_, "sending statement");
    auto results = collect(sent);
    if (!results.is_ok()) return results.status();
    for (const auto& r : *results) {
      ExecStatusType st = PQresultStatus(r.get());
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(r.get(), conn_, "running statement");
    }
    return Status::ok();
  }

  // Transactions start lazily: `begin` is sent with the first statement (or never, when the
  // transaction runs none). nullptr: statements run on their own (kReadEach). Called at every
  // transaction's start, so that nothing of the connection's previous transaction carries over.
  void defer_begin(const char* begin) {
    begin_ = begin;
    begun_ = false;
  }
  void cancel_begin() { begin_ = nullptr; }
  bool begun() const { return begun_; }

  // Sends `sql` (COMMIT of a read-only transaction, ROLLBACK) without waiting for its answer,
  // which settle() reads before the connection's next use.
  Status send_and_forget(const char* sql) {
    Status deferred = flush_deferred();
    if (!deferred.is_ok() && broken()) return deferred;
    begun_ = false;
    if (!PQenterPipelineMode(conn_) || !PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) ||
        !PQpipelineSync(conn_)) {
      return pg_error(nullptr, conn_, "sending statement");
    }
    unsettled_ = sql;
    return Status::ok();
  }

  // Reads the answer send_and_forget() left; an error there is logged (the transaction ended
  // either way).
  Status settle() {
    if (!unsettled_) return Status::ok();
    const char* what = unsettled_;
    unsettled_ = nullptr;
    auto results = collect(1);
    if (!results.is_ok()) return results.status();
    if (PQresultStatus((*results)[0].get()) != PGRES_COMMAND_OK) {
      log::warn("postgres_statement_failed", {{"statement", what}, {"error", pg_error((*results)[0].get(), conn_, what).message()}});
    }
    return Status::ok();
  }
  bool unsettled() const { return unsettled_ != nullptr; }

 private:
  explicit Connection(PGconn* c) : conn_(c) {}

  // The results of the `commands` sent since entering pipeline mode, then its sync; leaves
  // pipeline mode.
  Result<std::vector<PgResult>> collect(int commands) {
    std::vector<PgResult> out;
    for (int i = 0; i < commands; ++i) {
      PgResult r(PQgetResult(conn_));
      if (!r) return pg_error(nullptr, conn_, "reading results");
      while (PGresult* more = PQgetResult(conn_)) PQclear(more);  // up to the command's end
      out.push_back(std::move(r));
    }
    PgResult sync(PQgetResult(conn_));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) return pg_error(sync.get(), conn_, "reading results");
    if (!PQexitPipelineMode(conn_)) return pg_error(nullptr, conn_, "leaving pipeline mode");
    return out;
  }

  struct Prepared {
    std::string name;
    std::vector<Oid> types;  // as the server inferred them
    int result_format = 0;   // 1 (binary) when every result column is binary_readable
  };

  // A statement's parameters as libpq takes them (pointers into `text` and `params`).
  struct Bound {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    std::vector<std::string> text;
  };
  static Result<Bound> bind(const Prepared& stmt, const Params& params) {
    const size_t n = params.size();
    Bound b{std::vector<const char*>(n, nullptr), std::vector<int>(n, 0), std::vector<int>(n, 0),
            std::vector<std::string>(n)};
    size_t i = 0;
    for (const Value& v : params) {
      if (auto p = std::get_if<int64_t>(&v)) {
        b.text[i] = std::to_string(*p);
        b.values[i] = b.text[i].c_str();
      } else if (auto d = std::get_if<double>(&v)) {
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof buf, *d);
        b.text[i].assign(buf, res.ptr);
        b.values[i] = b.text[i].c_str();
      } else if (auto s = std::get_if<std::string>(&v); s && stmt.types[i] == kBytea) {
        b.values[i] = s->data();  // bytes kept in a std::string, for a bytea column
        b.lengths[i] = int(s->size());
        b.formats[i] = 1;
      } else if (s) {
        if (s->find('\0') != std::string::npos) {
          return Status::invalid("text parameter " + std::to_string(i + 1) + " contains a NUL character");
        }
        b.values[i] = s->c_str();
      } else if (auto bl = std::get_if<Blob>(&v)) {
        b.values[i] = bl->bytes.data();
        b.lengths[i] = int(bl->bytes.size());
        b.formats[i] = 1;
      }
      ++i;
    }
    return b;
  }

  // The prepared statement. Parameter types: bytea for bytes, left to the server for the
  // rest; then asked back, so that bytes held in a std::string go to a bytea as bytes.
  Result<const Prepared*> prepare(std::string_view sql, const Params& params) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    if (cache_.size() >= kStatementCacheLimit) {
      CARNET_RETURN_IF_ERROR(exec_script("DEALLOCATE ALL"));
      cache_.clear();
    }
    int expected = 0;
    std::string text = number_placeholders(sql, &expected);
    if (expected != int(params.size())) {
      return Status::internal("statement expects " + std::to_string(expected) + " parameters, got " +
                              std::to_string(params.size()));
    }
    std::vector<Oid> types;
    for (const Value& v : params) types.push_back(std::holds_alternative<Blob>(v) ? kBytea : 0);
    std::string name = "s" + std::to_string(++next_statement_);
    PgResult r(PQprepare(conn_, name.c_str(), text.c_str(), int(types.size()), types.data()));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return pg_error(r.get(), conn_, "preparing statement");
    PgResult d(PQdescribePrepared(conn_, name.c_str()));
    if (!d || PQresultStatus(d.get()) != PGRES_COMMAND_OK) return pg_error(d.get(), conn_, "describing statement");
    Prepared p{name, {}, 0};
    for (int i = 0; i < PQnparams(d.get()); ++i) p.types.push_back(PQparamtype(d.get(), i));
    bool binary = PQnfields(d.get()) > 0;
    for (int i = 0; i < PQnfields(d.get()); ++i) binary = binary && binary_readable(PQftype(d.get(), i));
    p.result_format = binary ? 1 : 0;
    return &cache_.emplace(std::move(key), std::move(p)).first->second;
  }

  PGconn* conn_;
  const char* begin_ = nullptr;      // a BEGIN not sent yet
  bool begun_ = false;               // a transaction is open on the server
  const char* unsettled_ = nullptr;  // sent, answer not read yet
  int deferred_ = 0;                 // statements sent by send_deferred(), answers not read yet
  static constexpr int kMaxDeferred = 64;
  std::unordered_map<std::string, Prepared> cache_;
  uint64_t next_statement_ = 0;
};

class PgTransaction final : public Transaction {
 public:
  PgTransaction(Connection& c, TxMode mode) : c_(c), read_each_(mode == TxMode::kReadEach), write_(mode == TxMode::kWrite) {}

  Result<int64_t> exec(std::string_view sql, Params params) override {
    CARNET_RETURN_IF_ERROR(allowed(sql));
    auto r = c_.run(sql, params);
    if (!r.is_ok()) return r.status();
    const char* n = PQcmdTuples(r->get());
    return int64_t(n && *n ? std::atoll(n) : 0);
  }

  Status exec_deferred(std::string_view sql, Params params) override {
    CARNET_RETURN_IF_ERROR(allowed(sql));
    if (read_each_) return exec(sql, std::move(params)).status();
    return c_.send_deferred(sql, params);
  }

  Status query_each(std::string_view sql, Params params,
                    const std::function<Status(const Row&)>& each) override {
    // The whole result is read before the first row is handed over, so `each` may run other
    // statements on this transaction (one connection runs one command at a time).
    CARNET_RETURN_IF_ERROR(allowed(sql));
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
    return c_.exec_script(sql);
  }

  bool lateral_joins() const override { return true; }

  Status publish(std::string_view channel, std::string_view payload) override {
    if (!valid_channel(channel)) return Status::invalid("invalid event channel");
    if (payload.size() > 1000) return Status::invalid("event payload over 1000 bytes");
    // NOTIFY is transactional: delivered at commit, dropped by a rollback.
    if (!write_) return Status::internal("publishing needs a write transaction");
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

  Connection& c_;
  bool read_each_, write_;
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
    Status s;
    try {
      s = fn(tx);
    } catch (const std::exception& e) {
      s = Status::internal(std::string("exception in transaction: ") + e.what());
    }
    c->cancel_begin();  // a transaction that ran no statement never began
    if (s.is_ok()) s = c->flush_deferred();  // what was sent without waiting may have failed
    if (c->begun() && !c->broken()) {
      if (s.is_ok() && mode == TxMode::kWrite) {
        s = c->exec_script("COMMIT");  // durable, and where serialization failures surface
      } else {
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
