// Many rows in few statements: on a database server each statement is a round trip, so a
// resource's index rows, a batch of audit events or a batch of enrolled spaces go as
// multi-row INSERTs, and a batch's look-ups as one SELECT ... IN (...) per 64 keys.
#pragma once

#include <functional>
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

// Runs `<select> WHERE <column> IN (?, ...)` for `keys`, in statements of 64, 32, ... 1 keys
// like insert_rows, calling `each` for every row found (in no particular order; a key given
// twice in different statements finds its rows twice).
Status query_in(Transaction& tx, std::string_view select, std::string_view column, const std::vector<Value>& keys,
                const std::function<Status(const Row&)>& each);

}  // namespace carnet::store
