// Internal to store/: one connection to PostgreSQL (libpq) for postgres_store.cpp — its
// statements, each prepared once and cached; a lazy BEGIN sent with the first statement;
// inserts sent in a pipeline without waiting (send_deferred); and results read back as
// store::Value. Not for other modules: they use store.h. libpq's own header stays in the
// .cpp files (scripts/check-architecture): its two handle types are declared here as it does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "store/store.h"

extern "C" {
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
}

namespace carnet::store::pg {

struct ResultDeleter {
  void operator()(PGresult* r) const;
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// The Status for a failed command, from its SQLSTATE.
Status pg_error(const PGresult* r, PGconn* conn, std::string_view what);
// One column of one row of a result, typed from the column's type.
Value read_value(const PGresult* r, int row, int col);

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo);

  ~Connection();

  PGconn* raw() const { return conn_; }
  bool broken() const;

  Status exec_script(std::string_view sql);

  // Runs a statement (prepared once per connection) and returns its complete result.
  Result<PgResult> run(std::string_view sql, const Params& params);

  // An INSERT sent without waiting for its answer (Transaction::exec_deferred): up to
  // kMaxDeferred of them travel in one pipeline, and their answers are read, the first error
  // returned, before the connection's next statement (flush_deferred()).
  Status send_deferred(std::string_view sql, const Params& params);

  // Reads the answers of the statements send_deferred() sent; the first error, if any.
  Status flush_deferred();

  // Commits the open transaction and waits for its answer. COMMIT travels in the pipeline of
  // what send_deferred() sent, if anything: one round trip for both. When one of those failed,
  // the COMMIT behind it did not run and a ROLLBACK ends the transaction (answer read later).
  Status commit();

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
  Status send_and_forget(const char* sql);

  // Reads the answer send_and_forget() left; an error there is logged (the transaction ended
  // either way).
  Status settle();
  bool unsettled() const { return unsettled_ != nullptr; }

 private:
  explicit Connection(PGconn* c) : conn_(c) {}

  // The results of the `commands` sent since entering pipeline mode, then its sync; leaves
  // pipeline mode.
  Result<std::vector<PgResult>> collect(int commands);

  struct Prepared {
    std::string name;
    std::vector<unsigned int> types;  // type Oids, as the server inferred them
    int result_format = 0;   // 1 (binary) when every result column is binary_readable
  };

  // A statement's parameters as libpq takes them (pointers into `text` and `params`).
  struct Bound {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    std::vector<std::string> text;
  };
  static Result<Bound> bind(const Prepared& stmt, const Params& params);

  // The prepared statement. Parameter types: bytea for bytes, left to the server for the
  // rest; then asked back, so that bytes held in a std::string go to a bytea as bytes.
  Result<const Prepared*> prepare(std::string_view sql, const Params& params);

  PGconn* conn_;
  const char* begin_ = nullptr;      // a BEGIN not sent yet
  bool begun_ = false;               // a transaction is open on the server
  const char* unsettled_ = nullptr;  // sent, answer not read yet
  int deferred_ = 0;                 // statements sent by send_deferred(), answers not read yet
  static constexpr int kMaxDeferred = 64;
  std::unordered_map<std::string, Prepared> cache_;
  uint64_t next_statement_ = 0;
};

}  // namespace carnet::store::pg
