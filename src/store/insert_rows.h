// Many rows into one table in few statements: on a database server each statement is a
// round trip, so a resource's index rows or a batch of audit events go as multi-row INSERTs.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace carnet::store {

// Runs `INSERT INTO <table> (<columns>) VALUES (...), (...) <suffix>` for `rows` (each with
// one value per column, moved from), in statements of 64, 32, ... 1 rows, so that a handful
// of statement texts (each prepared once per connection) covers every count. `suffix` (e.g.
// "ON CONFLICT DO NOTHING") must not update a row twice. The number of rows inserted.
Result<int64_t> insert_rows(Transaction& tx, std::string_view table, std::string_view columns,
                            std::vector<std::vector<Value>> rows, std::string_view suffix = {});

}  // namespace carnet::store
