#include "store/migrations.h"

#include <gtest/gtest.h>

#include <set>

#include "core/temp_dir_for_testing.h"

namespace carnet::store {
namespace {

TEST(Migrations, EmbeddedSqliteMigrationsAreWellFormed) {
  auto m = parse_migrations(sqlite_migration_files());
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  ASSERT_FALSE(m->empty());
  EXPECT_EQ(m->front().version, 1);
}

// Both backends have the same migrations (same numbers, same names), each in its dialect.
TEST(Migrations, EveryBackendHasTheSameMigrations) {
  auto sqlite = parse_migrations(sqlite_migration_files());
  auto postgres = parse_migrations(postgres_migration_files());
  ASSERT_TRUE(sqlite.is_ok() && postgres.is_ok());
  ASSERT_EQ(sqlite->size(), postgres->size());
  for (size_t i = 0; i < sqlite->size(); ++i) EXPECT_EQ((*sqlite)[i].name, (*postgres)[i].name);
}

TEST(Migrations, RejectsBadNamesAndGaps) {
  EXPECT_FALSE(parse_migrations({{"init.sql", ""}}).is_ok());
  EXPECT_FALSE(parse_migrations({{"0001_a.sql", ""}, {"0003_c.sql", ""}}).is_ok());
  EXPECT_FALSE(parse_migrations({{"0001_a.sql", ""}, {"0001_b.sql", ""}}).is_ok());
  auto ok = parse_migrations({{"0002_b.sql", "B"}, {"0001_a.sql", "A"}});
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ((*ok)[0].sql, "A");
}

TEST(Migrations, AppliedOnceAndRecorded) {
  testing::TempDir dir;
  std::string path = dir.file("carnet.db");
  int version;
  {
    auto s = open_sqlite({path});
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    version = (*s)->schema_version();
    EXPECT_GE(version, 1);
  }
  auto s = open_sqlite({path});  // re-open: nothing re-applied, no error
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_TRUE((*s)->transact(TxMode::kRead, [&](Transaction& tx) {
    auto r = tx.query_one("SELECT COUNT(*), MAX(version) FROM schema_version");
    EXPECT_EQ((*r)->integer(0), version);
    EXPECT_EQ((*r)->integer(1), version);
    return Status::ok();
  }).is_ok());
}

TEST(Migrations, RefusesNewerSchema) {
  testing::TempDir dir;
  std::string path = dir.file("carnet.db");
  {
    auto s = open_sqlite({path});
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE((*s)->transact(TxMode::kWrite, [](Transaction& tx) {
      return tx.exec("INSERT INTO schema_version VALUES (999, '0999_future.sql', 'x')").status();
    }).is_ok());
  }
  auto s = open_sqlite({path});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("schema version 999"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("upgrade carnetd"), std::string::npos);
}

TEST(Migrations, FailingMigrationLeavesNothingBehind) {
  testing::TempDir dir;
  auto s = open_sqlite({dir.file("carnet.db")});
  ASSERT_TRUE(s.is_ok());
  auto migrations = *parse_migrations(sqlite_migration_files());
  int before = (*s)->schema_version();
  migrations.push_back({before + 1, "next.sql", "CREATE TABLE t1 (x INTEGER); CREATE TABLE oops ("});
  Status st = (*s)->transact(TxMode::kWrite, [&](Transaction& tx) {
    return apply_migrations(tx, migrations, "now", "test").status();
  });
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("next.sql"), std::string::npos);
  ASSERT_TRUE((*s)->transact(TxMode::kRead, [&](Transaction& tx) {
    auto r = tx.query_one("SELECT COUNT(*) FROM sqlite_master WHERE name = 't1'");
    EXPECT_EQ((*r)->integer(0), 0);
    auto v = tx.query_one("SELECT MAX(version) FROM schema_version");
    EXPECT_EQ((*v)->integer(0), before);
    return Status::ok();
  }).is_ok());
}

}  // namespace
}  // namespace carnet::store

namespace carnet::store {
namespace {

// Distribution by space (docs/scaling.md): every table is classified, and each table holding
// a person's data has the space id (named space_id, or compartment for resources) as the
// first column of its primary key. A new table must be added to one of these lists.
TEST(Migrations, SpaceDataIsKeyedBySpaceFirst) {
  const std::set<std::string> space_data = {
      "space_keys", "shredded_spaces", "spaces", "representatives", "resource_versions", "resources",
      "search_tokens", "search_dates", "search_references", "care_relationships", "blocked_professionals",
      "resource_access", "space_access_settings", "audit_events", "audit_heads", "notification_prefs",
      "professional_accesses", "consultation_codes", "delegations", "binary_contents", "latest_measures",
      "index_keys"};
  // Shared by every space (Citus reference tables), or service state keyed otherwise.
  const std::set<std::string> reference = {"schema_version", "job_leases", "directory_entries", "access_matrix",
                                           "reference_data_version"};
  const std::set<std::string> service = {"outbox", "accounts", "recovery_codes", "challenges", "sessions", "throttle",
                                         "invitations", "events", "password_resets", "factor_changes", "sqlite_sequence"};
  // Encrypted document bytes (--document-storage database): named by a random blob id and
  // only readable with the key held in a space's row, so distributed by that id.
  const std::set<std::string> blob_bytes = {"blob_objects", "blob_chunks"};
  testing::TempDir dir;
  auto s = open_sqlite({dir.file("carnet.db")});
  ASSERT_TRUE(s.is_ok());
  ASSERT_TRUE((*s)->transact(TxMode::kRead, [&](Transaction& tx) -> Status {
    auto tables = tx.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    if (!tables.is_ok()) return tables.status();
    for (const Row& t : *tables) {
      std::string name = t.text(0);
      bool known = space_data.count(name) || reference.count(name) || service.count(name) || blob_bytes.count(name);
      EXPECT_TRUE(known) << name << ": classify this table (space data, reference or service)";
      if (!space_data.count(name)) continue;
      auto cols = tx.query("SELECT name, pk FROM pragma_table_info(?) WHERE pk = 1", {name});
      if (!cols.is_ok()) return cols.status();
      EXPECT_EQ(cols->size(), 1u) << name;
      std::string first = cols->empty() ? "" : cols->front().text(0);
      EXPECT_TRUE(first == "space_id" || first == "compartment") << name << " leads its key with " << first;
    }
    return Status::ok();
  }).is_ok());
}

}  // namespace
}  // namespace carnet::store
