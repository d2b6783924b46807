#include "fhir/resource_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"
#include "store/migrations.h"
#include "store/scalar_for_testing.h"
#include "store/space_keys.h"

namespace carnet::fhir {
namespace {

using json = nlohmann::json;

const char kObservation[] =
    R"({"resourceType":"Observation","status":"final","code":{"text":"Tension artérielle de Mme Rousseau"},)"
    R"("meta":{"tag":[{"code":"demo"}]}})";

class ResourceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_sqlite({dir_.file("carnet.db")}).value());
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      for (const char* s : {"space-a", "space-b"}) {
        auto k = store::SpaceKeys(ring_).create(tx, s, "now");
        if (!k.is_ok()) return k.status();
      }
      return Status::ok();
    }).is_ok());
  }
  template <typename F>
  auto tx(F f) {
    decltype(f(std::declval<store::Transaction&>())) result = Status::internal("not run");
    Status s = store_->transact(store::TxMode::kWrite, [&](store::Transaction& t) {
      result = f(t);
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return result;
  }
  // Space A's Observations in the order of their type's history, each version once, read in
  // pages of `count`.
  std::vector<std::string> type_history(int count) {
    std::vector<std::string> out;
    std::string cursor;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = tx([&](store::Transaction& t) { return resources_.type_history(t, "space-a", "Observation", "", cursor, count); });
      EXPECT_TRUE(page.is_ok()) << page.status().to_string();
      if (!page.is_ok()) break;
      for (const auto& v : page->versions) out.push_back(v.id + "/" + std::to_string(v.version));
      cursor = page->next_cursor;
      if (cursor.empty()) break;
    }
    return out;
  }
  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  ResourceStore resources_{ring_, clock_};
  std::unique_ptr<store::Store> store_;
};

TEST_F(ResourceStoreTest, CreateReadVersionsHistory) {
  auto created = tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation); });
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->id.size(), 36u);
  json doc = json::parse(created->json);
  EXPECT_EQ(doc["id"], created->id);
  EXPECT_EQ(doc["meta"]["versionId"], "1");
  EXPECT_EQ(doc["meta"]["lastUpdated"], "2026-11-22T10:00:00.000Z");
  EXPECT_EQ(doc["meta"]["tag"][0]["code"], "demo");  // other meta kept

  clock_.t += std::chrono::minutes(5);
  std::string changed = R"({"resourceType":"Observation","status":"amended","code":{"text":"x"}})";
  auto v2 = tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", created->id, changed, 1); });
  ASSERT_TRUE(v2.is_ok()) << v2.status().to_string();
  EXPECT_EQ(v2->version, 2);
  auto stale = tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", created->id, changed, 1); });
  EXPECT_EQ(stale.status().code(), ErrorCode::kPreconditionFailed);

  auto current = tx([&](store::Transaction& t) { return resources_.read(t, "space-a", "Observation", created->id); });
  EXPECT_EQ(json::parse(current->json)["status"], "amended");
  auto first = tx([&](store::Transaction& t) { return resources_.vread(t, "space-a", "Observation", created->id, 1); });
  EXPECT_EQ(json::parse(first->json)["status"], "final");
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.vread(t, "space-a", "Observation", created->id, 9); }).status().code(),
            ErrorCode::kNotFound);

  auto deleted = tx([&](store::Transaction& t) { return resources_.remove(t, "space-a", "Observation", created->id); });
  ASSERT_TRUE(deleted.is_ok());
  EXPECT_EQ(**deleted, 3);
  auto again = tx([&](store::Transaction& t) { return resources_.remove(t, "space-a", "Observation", created->id); });
  EXPECT_FALSE(again->has_value());  // idempotent
  auto gone = tx([&](store::Transaction& t) { return resources_.read(t, "space-a", "Observation", created->id); });
  EXPECT_EQ(gone.status().code(), ErrorCode::kGone);

  std::vector<int64_t> versions;
  std::vector<bool> deletions;
  ASSERT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& t) {
    return resources_.history(t, "space-a", "Observation", created->id, [&](const ResourceVersion& v) {
      versions.push_back(v.version);
      deletions.push_back(v.deleted);
      return Status::ok();
    });
  }).is_ok());
  EXPECT_EQ(versions, (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(deletions, (std::vector<bool>{true, false, false}));

  // Update after delete re-creates with the next version.
  auto back = tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", created->id, changed); });
  EXPECT_EQ(back->version, 4);
}

TEST_F(ResourceStoreTest, TheCurrentBodyLivesOnItsRowAndEarlierVersionsAreKept) {
  auto a = tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation, "a"); });
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM resource_versions"), "0");
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM resources WHERE body IS NOT NULL"), "1");
  clock_.t += std::chrono::seconds(1);
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", "a", kObservation); }).is_ok());
  // Version 1 moved to the versions kept; version 2 is the row's.
  EXPECT_EQ(testing::scalar(*store_, "SELECT GROUP_CONCAT(version) FROM resource_versions"), "1");
  EXPECT_EQ(testing::scalar(*store_, "SELECT version FROM resources WHERE body IS NOT NULL"), "2");
  for (int64_t v : {1, 2}) {
    auto r = tx([&](store::Transaction& t) { return resources_.vread(t, "space-a", "Observation", "a", v); });
    ASSERT_TRUE(r.is_ok()) << v;
    EXPECT_EQ(json::parse(r->json)["meta"]["versionId"], std::to_string(v));
  }
  clock_.t += std::chrono::seconds(1);
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.remove(t, "space-a", "Observation", "a"); }).is_ok());
  EXPECT_EQ(testing::scalar(*store_, "SELECT GROUP_CONCAT(version) FROM (SELECT version FROM resource_versions ORDER BY 1)"),
            "1,2,3");
  EXPECT_EQ(testing::scalar(*store_, "SELECT body IS NULL FROM resources"), "1");
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.read(t, "space-a", "Observation", "a"); }).status().code(),
            ErrorCode::kGone);
  clock_.t += std::chrono::seconds(1);
  auto back = tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", "a", kObservation); });
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->version, 4);
  std::vector<int64_t> versions;
  ASSERT_TRUE(tx([&](store::Transaction& t) -> Result<int> {
    CARNET_RETURN_IF_ERROR(resources_.history(t, "space-a", "Observation", "a", [&](const ResourceVersion& v) {
      versions.push_back(v.version);
      return Status::ok();
    }));
    return 0;
  }).is_ok());
  EXPECT_EQ(versions, (std::vector<int64_t>{4, 3, 2, 1}));
  EXPECT_EQ(type_history(3), (std::vector<std::string>{"a/4", "a/3", "a/2", "a/1"}));
}

TEST_F(ResourceStoreTest, VersionsWrittenBeforeTheirRowsHeldABodyStillReadAndChange) {
  for (const char* id : {"a", "b", "c"}) {
    clock_.t += std::chrono::seconds(1);
    ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation, id); }).is_ok());
  }
  clock_.t += std::chrono::seconds(1);
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", "a", kObservation); }).is_ok());
  // As a store written before migration 27 holds them: every version in resource_versions.
  ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [](store::Transaction& t) {
    CARNET_RETURN_IF_ERROR(t.exec("INSERT INTO resource_versions SELECT compartment, resource_type, resource_id, version, "
                                  "last_updated, deleted, body FROM resources WHERE body IS NOT NULL").status());
    return t.exec("UPDATE resources SET body = NULL").status();
  }).is_ok());
  auto a = tx([&](store::Transaction& t) { return resources_.read(t, "space-a", "Observation", "a"); });
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->version, 2);
  EXPECT_NE(a->json.find("Rousseau"), std::string::npos);
  EXPECT_TRUE(tx([&](store::Transaction& t) { return resources_.vread(t, "space-a", "Observation", "a", 1); }).is_ok());
  EXPECT_EQ(type_history(2), (std::vector<std::string>{"a/2", "c/1", "b/1", "a/1"}));
  // Changed: the version replaced stays where it was, once; the new one is the row's.
  clock_.t += std::chrono::seconds(1);
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", "b", kObservation); }).is_ok());
  clock_.t += std::chrono::seconds(1);
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.remove(t, "space-a", "Observation", "c"); }).is_ok());
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM resource_versions WHERE resource_id = 'b'"), "1");
  EXPECT_EQ(type_history(2), (std::vector<std::string>{"c/2", "b/2", "a/2", "c/1", "b/1", "a/1"}));
  EXPECT_EQ(type_history(100), type_history(1));
  auto b = tx([&](store::Transaction& t) { return resources_.read(t, "space-a", "Observation", "b"); });
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->version, 2);
}

// An Observation of `code` for `patient`, taken at `when` (its place in the index rows).
std::string measured(const std::string& code, const std::string& patient, const std::string& when) {
  return json{{"resourceType", "Observation"},
              {"status", "final"},
              {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", code}}}}}},
              {"subject", {{"reference", "Patient/" + patient}}},
              {"effectiveDateTime", when}}
      .dump();
}

TEST_F(ResourceStoreTest, AnUpdateOrADeletionReplacesExactlyTheIndexRowsItsRowNames) {
  auto count = [&](const std::string& table, const std::string& id) {
    return testing::scalar(*store_, "SELECT COUNT(*) FROM " + table + " WHERE resource_id = '" + id + "'");
  };
  for (const char* id : {"a", "b"}) {
    ASSERT_TRUE(tx([&](store::Transaction& t) {
      return resources_.create(t, "space-a", "Observation", measured("8867-4", "p1", "2024-01-02"), id);
    }).is_ok());
  }
  EXPECT_EQ(testing::scalar(*store_, "SELECT keys FROM index_keys WHERE resource_id = 'a'"),
            R"({"r":[["subject","Patient/p1"]],"t":[["code","8867-4","http://loinc.org"],)"
            R"(["status","final",""]]})");
  // Another code, patient and time: none of the first version's rows is left.
  auto changed = [&](const std::string& id) {
    return tx([&](store::Transaction& t) {
      return resources_.update(t, "space-a", "Observation", id, measured("29463-7", "p2", "2025-03-04"));
    });
  };
  ASSERT_TRUE(changed("a").is_ok());
  EXPECT_EQ(testing::scalar(*store_, "SELECT GROUP_CONCAT(code) FROM search_tokens WHERE resource_id = 'a' AND param = 'code'"),
            "29463-7");
  EXPECT_EQ(testing::scalar(*store_, "SELECT GROUP_CONCAT(target) FROM search_references WHERE resource_id = 'a'"),
            "Patient/p2");
  EXPECT_EQ(count("search_dates", "a"), "1");
  // A resource written before its keys were kept still has its rows replaced.
  ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [](store::Transaction& t) {
    return t.exec("DELETE FROM index_keys WHERE resource_id = 'b'").status();
  }).is_ok());
  ASSERT_TRUE(changed("b").is_ok());
  EXPECT_EQ(count("search_tokens", "b"), "2");
  EXPECT_EQ(count("search_references", "b"), "1");
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM search_tokens WHERE code = '8867-4'"), "0");
  // Deleted: no rows, no keys; created again: its rows and keys again.
  for (const char* id : {"a", "b"}) {
    ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.remove(t, "space-a", "Observation", id); }).is_ok());
    for (const char* table : {"search_tokens", "search_references", "search_dates"}) EXPECT_EQ(count(table, id), "0") << table;
  }
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM index_keys"), "0");
  ASSERT_TRUE(changed("a").is_ok());
  EXPECT_EQ(count("search_tokens", "a"), "2");
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM index_keys"), "1");
}

TEST_F(ResourceStoreTest, Migration28FillsInTheKeysOfRowsWrittenBefore) {
  ASSERT_TRUE(tx([&](store::Transaction& t) {
    return resources_.create(t, "space-a", "Observation", measured("8867-4", "p1", "2024-01-02"), "a");
  }).is_ok());
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation, "b"); }).is_ok());
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation, "c"); }).is_ok());
  ASSERT_TRUE(tx([&](store::Transaction& t) { return resources_.remove(t, "space-a", "Observation", "c"); }).is_ok());
  const std::string written = testing::scalar(*store_, "SELECT keys FROM index_keys WHERE resource_id = 'a'");
  // Back to the schema before migration 28, then migration 28 as it is run.
  std::string sql;
  for (const auto& f : store::sqlite_migration_files()) {
    if (f.name.starts_with("0028_")) sql = f.contents;
  }
  ASSERT_FALSE(sql.empty());
  ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& t) -> Status {
    CARNET_RETURN_IF_ERROR(t.exec_script(
        "DROP TABLE index_keys;"
        "CREATE INDEX search_tokens_owner ON search_tokens (compartment, resource_type, resource_id, param, code);"
        "CREATE INDEX search_references_owner ON search_references (compartment, resource_type, resource_id, param, "
        "target);"));
    return t.exec_script(sql);
  }).is_ok());
  auto keys = [&](const std::string& id) {
    return json::parse(testing::scalar(*store_, "SELECT keys FROM index_keys WHERE resource_id = '" + id + "'"));
  };
  auto sorted = [](json k) {
    for (const char* part : {"t", "r"}) std::sort(k[part].begin(), k[part].end());
    return k;
  };
  EXPECT_EQ(sorted(keys("a")), sorted(json::parse(written)));
  EXPECT_EQ(keys("b"), json::parse(R"({"t": [["status", "final", ""]], "r": []})"));
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM index_keys WHERE resource_id = 'c'"), "0");
  // The rows it names are the ones an update replaces.
  ASSERT_TRUE(tx([&](store::Transaction& t) {
    return resources_.update(t, "space-a", "Observation", "a", measured("29463-7", "p2", "2025-03-04"));
  }).is_ok());
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM search_tokens WHERE code = '8867-4'"), "0");
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM search_references WHERE target = 'Patient/p1'"), "0");
}

TEST_F(ResourceStoreTest, CompartmentsAreSeparateAndSealed) {
  auto a = tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation, "obs-1"); });
  ASSERT_TRUE(a.is_ok());
  // Same id in another space is another resource; not visible across.
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.read(t, "space-b", "Observation", "obs-1"); }).status().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(tx([&](store::Transaction& t) { return resources_.create(t, "space-b", "Observation", kObservation, "obs-1"); }).is_ok());
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", kObservation, "obs-1"); }).status().code(),
            ErrorCode::kConflict);
  // Moving a sealed body to another space or id is detected.
  ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [](store::Transaction& t) {
    return t.exec("UPDATE resources SET body = (SELECT body FROM resources WHERE compartment = 'space-a') "
                  "WHERE compartment = 'space-b'").status();
  }).is_ok());
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.read(t, "space-b", "Observation", "obs-1"); }).status().code(),
            ErrorCode::kCorrupt);
  // No plaintext on disk.
  ASSERT_TRUE(store_->purge_deleted().is_ok());
  std::ifstream in(dir_.file("carnet.db"), std::ios::binary);
  std::stringstream raw;
  raw << in.rdbuf();
  std::ifstream wal(dir_.file("carnet.db-wal"), std::ios::binary);
  raw << wal.rdbuf();
  EXPECT_EQ(raw.str().find("Rousseau"), std::string::npos);
  EXPECT_EQ(raw.str().find("artérielle"), std::string::npos);
}

TEST_F(ResourceStoreTest, BadInputChangesNothing) {
  for (const char* bad : {"not json", "[]", R"({"resourceType":"Patient"})", R"({"status":"final"})"}) {
    auto r = tx([&](store::Transaction& t) { return resources_.create(t, "space-a", "Observation", bad); });
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalid) << bad;
  }
  for (const std::string& bad_id : std::vector<std::string>{"has space", "../x", std::string(65, 'a'), "é"}) {
    auto r = tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", bad_id, kObservation); });
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalid) << bad_id;
  }
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.create(t, "no-such-space", "Observation", kObservation); }).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(testing::scalar(*store_, "SELECT (SELECT COUNT(*) FROM resources) + (SELECT COUNT(*) FROM resource_versions)"),
            "0");
  EXPECT_EQ(tx([&](store::Transaction& t) { return resources_.update(t, "space-a", "Observation", "nope", kObservation, 1); }).status().code(),
            ErrorCode::kPreconditionFailed);
}

TEST_F(ResourceStoreTest, DirectoryCompartmentUsesTheServiceKey) {
  auto p = tx([&](store::Transaction& t) {
    return resources_.create(t, kDirectoryCompartment, "Practitioner", R"({"resourceType":"Practitioner","active":true})");
  });
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_TRUE(tx([&](store::Transaction& t) { return resources_.read(t, kDirectoryCompartment, "Practitioner", p->id); }).is_ok());
}

}  // namespace
}  // namespace carnet::fhir
