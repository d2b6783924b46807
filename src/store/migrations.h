// Numbered SQL migrations, embedded in the binary (cmake/embed.cmake), one directory per
// backend dialect: migrations/<backend>/NNNN_description.sql. Applied at start, all pending
// ones in a single transaction, each recorded in the schema_version table.
#pragma once

#include <string>
#include <vector>

#include "core/embedded.h"
#include "core/status.h"
#include "store/store.h"

namespace carnet::store {

struct Migration {
  int version;
  std::string name;  // file name
  std::string sql;
};

// Parses and orders embedded files; rejects names without a number, duplicates and gaps.
Result<std::vector<Migration>> parse_migrations(const std::vector<EmbeddedFile>& files);

// The embedded migrations of each backend: the same numbers, each in its own dialect.
const std::vector<EmbeddedFile>& sqlite_migration_files();
const std::vector<EmbeddedFile>& postgres_migration_files();

// Inside an open write transaction: creates schema_version if needed, refuses a newer
// on-disk schema, applies the missing migrations. Returns the resulting version.
// `now` is recorded as applied_at.
Result<int> apply_migrations(Transaction& tx, const std::vector<Migration>& migrations,
                             const std::string& now, const std::string& where);

}  // namespace carnet::store
