#include "store/migrations.h"

#include <algorithm>
#include <charconv>

namespace carnet::store {

Result<std::vector<Migration>> parse_migrations(const std::vector<EmbeddedFile>& files) {
  std::vector<Migration> out;
  for (const auto& f : files) {
    int version = 0;
    auto [end, ec] = std::from_chars(f.name.data(), f.name.data() + f.name.size(), version);
    if (ec != std::errc() || end == f.name.data() || *end != '_' || version <= 0) {
      return Status::internal("migration file " + f.name + " must be named NNNN_description.sql");
    }
    out.push_back({version, f.name, f.contents});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].version != int(i) + 1) {
      return Status::internal("migrations must be numbered 1, 2, 3... without gaps; found " + out[i].name);
    }
  }
  return out;
}

Result<int> apply_migrations(Transaction& tx, const std::vector<Migration>& migrations,
                             const std::string& now, const std::string& where) {
  CARNET_RETURN_IF_ERROR(tx.exec_script(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      "  version INTEGER PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  applied_at TEXT NOT NULL)"));
  auto row = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!row.is_ok()) return row.status();
  int current = int((*row)->integer(0));
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return Status::conflict("the database " + where + " has schema version " + std::to_string(current) +
                            " but this carnetd knows only up to version " + std::to_string(latest) +
                            "; upgrade carnetd (refusing to start)");
  }
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    Status s = tx.exec_script(m.sql);
    if (!s.is_ok()) return s.with_context("applying migration " + m.name);
    auto ins = tx.exec("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                       {int64_t(m.version), m.name, now});
    if (!ins.is_ok()) return ins.status();
  }
  return latest;
}

}  // namespace carnet::store
