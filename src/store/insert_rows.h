// Many rows in few statements: on a database server each statement is a round trip, so a
// resource's index rows, a batch of audit events or a batch of enrolled spaces go as
// multi-row INSERTs.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace carnet::store {

// Runs `INSERT INTO <table> (<columns>) VALUES (...), (...) <suffix>` for `rows` (each with
// one value per column, moved from), in statements of 64 rows, then of 32 or 16 while more
// than 16 are left, then one of what is left: one statement up to 16 rows, and a few statement
// texts (each prepared once per connection) cover every count. `suffix` (e.g.
// "ON CONFLICT DO NOTHING") must not update a row twice. The number of rows inserted.
Result<int64_t> insert_rows(Transaction& tx, std::string_view table, std::string_view columns,
                            std::vector<std::vector<Value>> rows, std::string_view suffix = {});

// The same through Transaction::exec_deferred, at once: rows no conflict can refuse (a
// resource's index rows), sent without waiting for each statement's answer. Callers use
// Transaction::insert_deferred, which may hold rows to merge them with more.
Status insert_rows_deferred(Transaction& tx, std::string_view table, std::string_view columns,
                            std::vector<std::vector<Value>> rows);

// The same with a RETURNING clause at the end of `suffix` ("ON CONFLICT (k) DO NOTHING
// RETURNING id"): calls `each` for every row the statements return, e.g. the rows actually
// inserted. Conflicts are found by the unique index the insert maintains anyway, with no
// look-up whose plan could go stale while a table grows.
Status insert_rows_returning(Transaction& tx, std::string_view table, std::string_view columns,
                             std::vector<std::vector<Value>> rows, std::string_view suffix,
                             const std::function<Status(const Row&)>& each);

}  // namespace carnet::store
