// One connection to PostgreSQL (postgres_connection.h).
//
// SQL arrives portable (store.h): `?` placeholders become $1, $2... Parameters travel as
// text of unknown type, so the server types each from its context (a column, a LIMIT), as
// SQLite would accept them; bytes travel as binary bytea. Results come back as text and
// are typed from the column's type.
#include "store/postgres_connection.h"

#include <libpq-fe.h>

#include <bit>
#include <charconv>
#include <cstring>
#include <utility>

#include "core/log.h"

namespace carnet::store::pg {
namespace {

constexpr size_t kStatementCacheLimit = 512;

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

}  // namespace

void ResultDeleter::operator()(PGresult* r) const { PQclear(r); }

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

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo) {
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

Status Connection::exec_script(std::string_view sql) {
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

Result<PgResult> Connection::run(std::string_view sql, const Params& params) {
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

Status Connection::send_deferred(std::string_view sql, const Params& params) {
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

Status Connection::flush_deferred() {
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

Status Connection::commit() {
  if (deferred_ == 0) return exec_script("COMMIT");
  if (!PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0)) {
    return pg_error(nullptr, conn_, "sending statement");
  }
  ++deferred_;
  Status s = flush_deferred();
  if (!s.is_ok() && !broken() && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    Status end = send_and_forget("ROLLBACK");
    if (!end.is_ok()) log::warn("postgres_rollback_failed", {{"error", end.message()}});
  }
  return s;
}

Status Connection::send_and_forget(const char* sql) {
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

Status Connection::settle() {
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

Result<std::vector<PgResult>> Connection::collect(int commands) {
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

Result<Connection::Bound> Connection::bind(const Prepared& stmt, const Params& params) {
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

Result<const Connection::Prepared*> Connection::prepare(std::string_view sql, const Params& params) {
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

}  // namespace carnet::store::pg
