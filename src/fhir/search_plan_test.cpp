// Searches in a full space (issue 18): results and their order against a computation over
// the data, page after page, and what every statement a search runs reads for the searches a
// lifetime of readings makes frequent. Built twice: on SQLite (fhir_tests) the plan of each
// statement — no scan of a space's rows or index, no sort of all the matches —; on
// PostgreSQL (fhir_postgres_tests, label "postgres") the pages a first page of results reads,
// which must not grow when the space holds eight times more.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"
#include "fhir/datetime.h"
#include "fhir/resource_store.h"
#include "fhir/search.h"
#include "store/postgres_for_testing.h"
#include "store/space_keys.h"

namespace carnet::fhir {
namespace {

using json = nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr char kSpace[] = "space-life";

// Forwards to a transaction and keeps the statements that read.
class Recording final : public store::Transaction {
 public:
  explicit Recording(store::Transaction& tx) : tx_(tx) {}
  Result<int64_t> exec(std::string_view sql, store::Params params) override { return tx_.exec(sql, params); }
  Status query_each(std::string_view sql, store::Params params, const std::function<Status(const store::Row&)>& each) override {
    statements.push_back({std::string(sql), std::vector<store::Value>(params.begin(), params.end())});
    return tx_.query_each(sql, params, each);
  }
  Status exec_script(std::string_view sql) override { return tx_.exec_script(sql); }
  Status publish(std::string_view channel, std::string_view payload) override { return tx_.publish(channel, payload); }
  bool lateral_joins() const override { return tx_.lateral_joins(); }
  std::vector<std::pair<std::string, std::vector<store::Value>>> statements;

 private:
  store::Transaction& tx_;
};

struct Made {
  std::string id, code;
  int64_t at;  // kNoTime without a date
};

class SearchPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef CARNET_PLAN_POSTGRES
    ASSERT_FALSE(database_.conninfo().empty()) << database_.error();
    auto opened = store::open_postgres({database_.conninfo(), 2});
#else
    auto opened = store::open_sqlite({dir_.file("carnet.db")});
#endif
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    store_ = std::move(opened.value());
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
      return store::SpaceKeys(ring_).create(tx, kSpace, "now").status();
    }).is_ok());
    populate(3000);
  }

  // `n` more readings in the space over ten years: one in twenty a heart rate, the others
  // body weights.
  void populate(int n) {
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        std::string code = rng_() % 20 == 0 ? "8867-4" : "29463-7";
        json o = {{"resourceType", "Observation"},
                  {"status", "final"},
                  {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", code}}}}}},
                  {"subject", {{"reference", std::string("Patient/") + kSpace}}}};
        // Some readings share a time; one in fifty has none; one in a hundred names its code
        // in two systems (it must still come once).
        int64_t at = kNoTime;
        if (i % 50 != 7) {
          int64_t s = 1500000000 + int64_t(rng_() % 3000) * 86400;
          o["effectiveDateTime"] = instant_text(s);
          at = s;
        }
        if (i % 100 == 3) o["code"]["coding"].push_back({{"system", "urn:other"}, {"code", code}});
        auto v = resources_.create(tx, kSpace, "Observation", o.dump());
        if (!v.is_ok()) return v.status();
        made_.push_back({v->id, code, at});
      }
      return Status::ok();
    }).is_ok());
  }

  // Every page of a search, following `next` links: the ids in order, and the statements run.
  std::vector<std::string> all_pages(const Pairs& params, Recording** last = nullptr) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int page = 0; page < 200; ++page) {
      Pairs p = params;
      if (!cursor.empty()) p.push_back({"_cursor", cursor});
      auto q = parse_search("Observation", p, true);
      EXPECT_TRUE(q.is_ok()) << q.status().to_string();
      if (!q.is_ok()) return ids;
      Status s = store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
        recorded_ = std::make_unique<Recording>(tx);
        auto got = Searcher(resources_.index()).run(*recorded_, kSpace, *q, /*with_current=*/true);
        if (!got.is_ok()) return got.status();
        for (const auto& [id, version] : got->matches) ids.push_back(id);
        cursor = got->next_cursor;
        return Status::ok();
      });
      EXPECT_TRUE(s.is_ok()) << s.to_string();
      if (last) *last = recorded_.get();
      if (cursor.empty()) break;
    }
    return ids;
  }

  // The expected order: newest first (or oldest), those without a time at the end of
  // newest-first, then by id the same way.
  std::vector<std::string> expected(const std::function<bool(const Made&)>& keep, bool descending) {
    std::vector<Made> m;
    for (const auto& x : made_) {
      if (keep(x)) m.push_back(x);
    }
    std::sort(m.begin(), m.end(), [&](const Made& a, const Made& b) {
      return descending ? std::tie(a.at, a.id) > std::tie(b.at, b.id) : std::tie(a.at, a.id) < std::tie(b.at, b.id);
    });
    std::vector<std::string> ids;
    for (const auto& x : m) ids.push_back(x.id);
    return ids;
  }

  // The plan of each statement a search ran: index look-ups only.
  void expect_index_only(const Recording& r) {
    ASSERT_FALSE(r.statements.empty());
    for (const auto& [sql, params] : r.statements) {
      std::string plan;
      Status s = store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) {
        return tx.query_each("EXPLAIN QUERY PLAN " + sql, params, [&](const store::Row& row) {
          plan += row.text(row.size() - 1) + "\n";
          return Status::ok();
        });
      });
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << plan;
      for (size_t at = plan.find("SCAN "); at != std::string::npos; at = plan.find("SCAN ", at + 1)) {
        // Only a list of values the statement names may be read whole, and a candidate's own
        // index keys (json_each over its row of index_keys).
        bool own_keys = plan.compare(at, 28, "SCAN x VIRTUAL TABLE INDEX 3") == 0 &&
                        sql.find("json_each(k.keys") != std::string::npos;
        EXPECT_TRUE(plan.compare(at, 6, "SCAN w") == 0 || own_keys) << sql << "\n" << plan;
      }
    }
  }

  testing::TempDir dir_;
#ifdef CARNET_PLAN_POSTGRES
  testing::TestDatabase database_;
#endif
  std::mt19937_64 rng_{7};
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  ResourceStore resources_{ring_, clock_};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Recording> recorded_;
  std::vector<Made> made_;
};

TEST_F(SearchPlanTest, PagesComeNewestFirstWithEachResourceOnce) {
  auto heart = [](const Made& m) { return m.code == "8867-4"; };
  EXPECT_EQ(all_pages({{"code", "8867-4"}, {"_count", "7"}}), expected(heart, true));
  EXPECT_EQ(all_pages({{"code", "http://loinc.org|8867-4"}, {"_count", "7"}}), expected(heart, true));
  EXPECT_EQ(all_pages({{"patient", std::string("Patient/") + kSpace}, {"code", "8867-4"}, {"_sort", "date"}, {"_count", "9"}}),
            expected(heart, false));
  EXPECT_EQ(all_pages({{"_count", "200"}}), expected([](const Made&) { return true; }, true));
  int64_t from = 1500000000 + 1000 * 86400, to = 1500000000 + 1400 * 86400;
  auto in_range = [&](const Made& m) { return m.code == "29463-7" && m.at >= from && m.at < to; };
  EXPECT_EQ(all_pages({{"code", "29463-7"}, {"date", "ge" + instant_text(from)}, {"date", "lt" + instant_text(to)},
                       {"_count", "50"}}),
            expected(in_range, true));
  EXPECT_EQ(all_pages({{"code", "29463-7"}, {"date", "ge" + instant_text(from)}, {"date", "lt" + instant_text(to)},
                       {"_sort", "date"}, {"_count", "50"}}),
            expected(in_range, false));
  // Newest change first: all were written at the same instant, so by id.
  auto by_update = all_pages({{"code", "8867-4"}, {"_sort", "-_lastUpdated"}, {"_count", "11"}});
  auto ids = expected(heart, true);
  std::sort(ids.rbegin(), ids.rend());
  EXPECT_EQ(by_update, ids);
}

// The searches a lifetime of readings makes frequent.
std::vector<Pairs> frequent_searches() {
  std::string patient = std::string("Patient/") + kSpace;
  return {Pairs{{"patient", patient}, {"code", "http://loinc.org|8867-4"}, {"_count", "25"}},
          Pairs{{"patient", patient}, {"code", "http://loinc.org|8867-4"}, {"_sort", "-date"}, {"_count", "25"}},
          Pairs{{"patient", patient}, {"code", "8867-4"}, {"date", "ge2019-01-01"}, {"date", "lt2020-01-01"}},
          Pairs{{"patient", patient}, {"code", "8867-4"}, {"_lastUpdated", "ge2020-01-01"}},
          Pairs{{"_sort", "-_lastUpdated"}, {"_count", "50"}},
          Pairs{{"_count", "25"}},
          Pairs{{"code", "http://loinc.org|29463-7"}, {"status:not", "entered-in-error"}, {"_sort", "-date"}, {"_count", "1"}}};
}

#ifndef CARNET_PLAN_POSTGRES
TEST_F(SearchPlanTest, FrequentSearchesReadIndexesInOrder) {
  for (const Pairs& p : frequent_searches()) {
    Recording* r = nullptr;
    all_pages(p, &r);
    ASSERT_NE(r, nullptr);
    expect_index_only(*r);
  }
}
#else
// PostgreSQL chooses its plans from statistics: what counts is what they read. The pages a
// first page of results reads (shared buffers hit or read, as EXPLAIN ANALYZE counts them)
// when the space holds 3,000 readings, then 24,000.
TEST_F(SearchPlanTest, FirstPagesReadAsMuchInASpaceEightTimesFuller) {
  auto pages_read = [&](const Pairs& p) {
    auto q = parse_search("Observation", p, true);
    EXPECT_TRUE(q.is_ok()) << q.status().to_string();
    int64_t pages = 0;
    Status s = store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
      Recording r(tx);
      CARNET_RETURN_IF_ERROR(Searcher(resources_.index()).run(r, kSpace, *q, /*with_current=*/true).status());
      for (const auto& [sql, params] : r.statements) {
        auto plan = tx.query_one("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params);
        if (!plan.is_ok()) return plan.status();
        json top = json::parse((*plan)->text(0))[0]["Plan"];
        pages += top["Shared Hit Blocks"].get<int64_t>() + top["Shared Read Blocks"].get<int64_t>();
      }
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return pages;
  };
  auto analyze = [&] {
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [](store::Transaction& tx) { return tx.exec_script("ANALYZE"); }).is_ok());
  };
  analyze();
  std::vector<int64_t> before;
  for (const Pairs& p : frequent_searches()) before.push_back(pages_read(p));
  populate(21000);
  analyze();
  auto searches = frequent_searches();
  for (size_t i = 0; i < searches.size(); ++i) {
    int64_t after = pages_read(searches[i]);
    // One more level in an index's tree costs a page per descent; a read of the space's
    // matches would cost eight times more.
    EXPECT_LE(after, before[i] * 3 / 2 + 8) << "search " << i << ": " << before[i] << " pages at 3,000 readings";
  }
}
#endif

}  // namespace
}  // namespace carnet::fhir
