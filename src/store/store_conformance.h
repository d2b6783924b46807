// The storage conformance suite's fixture: every backend must pass the suite unchanged. Its
// tests are built twice: for SQLite (store_tests) and for PostgreSQL (store_postgres_tests,
// with CARNET_CONFORMANCE_POSTGRES; it needs the server scripts/postgres-test-server starts,
// and fails without it).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>

#include "core/temp_dir_for_testing.h"
#include "store/postgres_for_testing.h"
#include "store/store.h"

namespace carnet::store::conformance {

// Where a test's data lives: a directory, and for PostgreSQL a database of its own.
struct Place {
  testing::TempDir dir;
  std::unique_ptr<testing::TestDatabase> database;
};

struct Backend {
  const char* name;
  const char* ddl;  // the test tables
  // A trigger that refuses an item named 'abort' and aborts its whole transaction (on
  // SQLite, the shared transaction of a batch).
  const char* abort_trigger;
  std::function<Result<std::unique_ptr<Store>>(const Place&)> open;
};

inline void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }


class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
#ifdef CARNET_CONFORMANCE_POSTGRES
    place_.database = std::make_unique<testing::TestDatabase>();
#endif
    auto s = GetParam().open(place_);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s.value());
    ASSERT_TRUE(store_
                    ->transact(TxMode::kWrite,
                               [](Transaction& tx) {
                                 CARNET_RETURN_IF_ERROR(tx.exec_script(GetParam().ddl));
                                 return tx.exec_script("INSERT INTO t_accounts VALUES (1, 1000), (2, 1000);");
                               })
                    .is_ok());
  }

  int64_t count_items() {
    int64_t n = -1;
    EXPECT_TRUE(store_->transact(TxMode::kRead, [&](Transaction& tx) {
      auto r = tx.query_one("SELECT COUNT(*) FROM t_items");
      if (!r.is_ok()) return r.status();
      n = (*r)->integer(0);
      return Status::ok();
    }).is_ok());
    return n;
  }

  Place place_;
  std::unique_ptr<Store> store_;
};

}  // namespace carnet::store::conformance
