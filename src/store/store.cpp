#include "store/store.h"
#include "store/insert_rows.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "store/retry.h"

namespace carnet::store {

int64_t Row::integer(size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto d = std::get_if<double>(&v)) return int64_t(*d);
  return 0;
}

double Row::real(size_t i) const {
  const Value& v = values_.at(i);
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto p = std::get_if<int64_t>(&v)) return double(*p);
  return 0;
}

const std::string& Row::text(size_t i) const {
  static const std::string kEmpty;
  const Value& v = values_.at(i);
  if (auto s = std::get_if<std::string>(&v)) return *s;
  if (auto b = std::get_if<Blob>(&v)) return b->bytes;
  return kEmpty;
}

Result<std::vector<Row>> Transaction::query(std::string_view sql, Params params) {
  std::vector<Row> rows;
  Status s = query_each(sql, params, [&](const Row& r) {
    rows.push_back(r);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return rows;
}

Result<std::optional<Row>> Transaction::query_one(std::string_view sql, Params params) {
  std::optional<Row> first;
  Status s = query_each(sql, params, [&](const Row& r) {
    first = r;
    return Status::busy("stop");  // sentinel: first row is enough
  });
  if (!first && !s.is_ok()) return s;
  return first;
}

Status run_function(const std::function<Status(Transaction&)>& fn, Transaction& tx) {
  try {
    return fn(tx);
  } catch (const std::exception& e) {
    return Status::internal(std::string("exception in transaction: ") + e.what());
  } catch (...) {
    return Status::internal("exception in transaction (not a std::exception)");
  }
}

Status retry_busy(int max_attempts, const std::function<Status()>& attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  Status s;
  for (int i = 0; i < max_attempts; ++i) {
    s = attempt();
    if (s.code() != ErrorCode::kBusy) return s;
    int cap = 1 << std::min(i, 6);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (uint32_t(cap) * 1000 + 1)));
  }
  return s.with_context("database busy after " + std::to_string(max_attempts) + " attempts");
}

bool valid_channel(std::string_view channel) {
  if (channel.empty() || channel.size() > 63) return false;
  for (char c : channel) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

namespace {

// Splits `count` items into runs and calls `run(start, n)` for each: 64 at a time, and what
// is left as one run when it is 16 or fewer (a resource's index rows for one table nearly
// always are: one statement each), else in runs of 32, 16... So a few statement texts (1 to
// 16, 32 and 64 rows, each prepared once per connection) cover every count.
Status in_chunks(size_t count, const std::function<Status(size_t start, size_t n)>& run) {
  for (size_t start = 0; start < count;) {
    size_t left = count - start, n = 64;
    if (left < 64) {
      n = left;
      if (left > 16) n = left >= 32 ? 32 : 16;
    }
    CARNET_RETURN_IF_ERROR(run(start, n));
    start += n;
  }
  return Status::ok();
}

std::string placeholders(size_t n) {
  std::string list = "(";
  for (size_t c = 0; c < n; ++c) list += c ? ", ?" : "?";
  return list + ")";
}

}  // namespace

namespace {

// INSERT statements of the runs of `rows` in_chunks() makes; `run` executes each (sql, params).
Status insert_chunks(std::string_view table, std::string_view columns, std::vector<std::vector<Value>>& rows,
                     std::string_view suffix, const std::function<Status(const std::string&, std::vector<Value>&)>& run) {
  if (rows.empty()) return Status::ok();
  const size_t width = rows.front().size();
  const std::string tuple = placeholders(width);
  return in_chunks(rows.size(), [&](size_t start, size_t n) -> Status {
    std::string sql = "INSERT INTO " + std::string(table) + " (" + std::string(columns) + ") VALUES ";
    std::vector<Value> params;
    params.reserve(n * width);
    for (size_t i = start; i < start + n; ++i) {
      if (rows[i].size() != width) return Status::internal("insert_rows: rows of different widths");
      sql += i == start ? tuple : ", " + tuple;
      for (auto& v : rows[i]) params.push_back(std::move(v));
    }
    if (!suffix.empty()) sql += " " + std::string(suffix);
    return run(sql, params);
  });
}

}  // namespace

Result<int64_t> insert_rows(Transaction& tx, std::string_view table, std::string_view columns,
                            std::vector<std::vector<Value>> rows, std::string_view suffix) {
  int64_t inserted = 0;
  Status s = insert_chunks(table, columns, rows, suffix, [&](const std::string& sql, std::vector<Value>& params) -> Status {
    auto changed = tx.exec(sql, params);
    if (!changed.is_ok()) return changed.status();
    inserted += *changed;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return inserted;
}

Status insert_rows_deferred(Transaction& tx, std::string_view table, std::string_view columns,
                            std::vector<std::vector<Value>> rows) {
  return insert_chunks(table, columns, rows, {},
                       [&](const std::string& sql, std::vector<Value>& params) { return tx.exec_deferred(sql, params); });
}

Status Transaction::insert_deferred(std::string_view table, std::string_view columns,
                                   std::vector<std::vector<Value>> rows) {
  return insert_rows_deferred(*this, table, columns, std::move(rows));
}

Status insert_rows_returning(Transaction& tx, std::string_view table, std::string_view columns,
                             std::vector<std::vector<Value>> rows, std::string_view suffix,
                             const std::function<Status(const Row&)>& each) {
  return insert_chunks(table, columns, rows, suffix,
                       [&](const std::string& sql, std::vector<Value>& params) { return tx.query_each(sql, params, each); });
}

Result<int64_t> reference_version(Transaction& tx) {
  auto row = tx.query_one(kReferenceVersionQuery);
  if (!row.is_ok()) return row.status();
  return *row ? (*row)->integer(0) : int64_t{0};
}

Status bump_reference_version(Transaction& tx) {
  CARNET_RETURN_IF_ERROR(tx.exec("UPDATE reference_data_version SET version = version + 1 WHERE id = 1").status());
  return tx.publish(kReferenceDataChannel, "");
}

bool is_postgres_url(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://") ||
         database.find("dbname=") != std::string_view::npos || database.find("host=") != std::string_view::npos;
}

Result<std::unique_ptr<Store>> open_store(const std::string& database, const std::string& data_dir, int connections) {
  if (is_postgres_url(database)) return open_postgres({database, connections});
  if (database.empty()) return open_sqlite({data_dir + "/carnet.db", connections});
  if (database.starts_with("sqlite:") && database.size() > 7) return open_sqlite({database.substr(7), connections});
  return Status::invalid("--database: expected postgresql://..., postgres://... or sqlite:PATH, got \"" + database + "\"");
}

}  // namespace carnet::store
