// The storage conformance suite: every backend must pass it unchanged. Backends are listed
// in kBackends; PostgreSQL joins when it exists.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "core/temp_dir_for_testing.h"
#include "store/store.h"

namespace carnet::store {
namespace {

struct Backend {
  const char* name;
  std::function<Result<std::unique_ptr<Store>>(const testing::TempDir&)> open;
};

const Backend kBackends[] = {
    {"sqlite", [](const testing::TempDir& d) { return open_sqlite({d.file("carnet.db"), 4, std::chrono::milliseconds(5000)}); }},
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto s = GetParam().open(dir_);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s.value());
    ASSERT_TRUE(store_
                    ->transact(TxMode::kWrite,
                               [](Transaction& tx) {
                                 return tx.exec_script(
                                     "CREATE TABLE t_items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, "
                                     "qty INTEGER, price REAL, payload BLOB);"
                                     "CREATE TABLE t_accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);"
                                     "INSERT INTO t_accounts VALUES (1, 1000), (2, 1000);");
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

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformance, ValuesRoundTrip) {
  std::string binary("\x00\x01\xff\x00zz", 6);
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    return tx.exec("INSERT INTO t_items (id, name, qty, price, payload) VALUES (?, ?, ?, ?, ?)",
                   {int64_t(1), std::string("é\"'; DROP TABLE t_items; --"), int64_t(-5), 2.5, Blob{binary}})
        .status();
  }).is_ok());
  ASSERT_TRUE(store_->transact(TxMode::kRead, [&](Transaction& tx) {
    auto rows = tx.query("SELECT id, name, qty, price, payload, NULL FROM t_items WHERE id = ?", {int64_t(1)});
    if (!rows.is_ok()) return rows.status();
    EXPECT_EQ(rows->size(), 1u);
    const Row& r = rows->front();
    EXPECT_EQ(r.integer(0), 1);
    EXPECT_EQ(r.text(1), "é\"'; DROP TABLE t_items; --");
    EXPECT_EQ(r.integer(2), -5);
    EXPECT_DOUBLE_EQ(r.real(3), 2.5);
    EXPECT_EQ(r.text(4), binary);
    EXPECT_TRUE(r.is_null(5));
    return Status::ok();
  }).is_ok());
  EXPECT_TRUE(store_->ping().is_ok());
}

TEST_P(StoreConformance, FailureRollsBackEverything) {
  Status s = store_->transact(TxMode::kWrite, [](Transaction& tx) {
    auto r = tx.exec("INSERT INTO t_items (name) VALUES (?)", {std::string("a")});
    if (!r.is_ok()) return r.status();
    return Status::invalid("changed my mind");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalid);
  EXPECT_EQ(count_items(), 0);

  s = store_->transact(TxMode::kWrite, [](Transaction& tx) -> Status {
    (void)tx.exec("INSERT INTO t_items (name) VALUES (?)", {std::string("b")});
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInternal);
  EXPECT_EQ(count_items(), 0);
}

TEST_P(StoreConformance, ConstraintViolationIsAConflict) {
  auto insert = [&](const char* name) {
    return store_->transact(TxMode::kWrite, [&](Transaction& tx) {
      return tx.exec("INSERT INTO t_items (name) VALUES (?)", {std::string(name)}).status();
    });
  };
  EXPECT_TRUE(insert("x").is_ok());
  EXPECT_EQ(insert("x").code(), ErrorCode::kConflict);
  EXPECT_EQ(count_items(), 1);
}

TEST_P(StoreConformance, ReadTransactionsCannotWrite) {
  Status s = store_->transact(TxMode::kRead, [](Transaction& tx) {
    return tx.exec("INSERT INTO t_items (name) VALUES ('r')").status();
  });
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(count_items(), 0);
}

TEST_P(StoreConformance, BadSqlAndParameterMismatchAreErrors) {
  EXPECT_FALSE(store_->transact(TxMode::kRead, [](Transaction& tx) {
    return tx.query("SELEC nonsense").status();
  }).is_ok());
  EXPECT_FALSE(store_->transact(TxMode::kRead, [](Transaction& tx) {
    return tx.query("SELECT * FROM t_items WHERE id = ?", {}).status();
  }).is_ok());
  EXPECT_FALSE(store_->transact(TxMode::kWrite, [](Transaction& tx) {
    return tx.exec("DELETE FROM t_items; DELETE FROM t_accounts").status();
  }).is_ok());
}

TEST_P(StoreConformance, QueryEachStreamsAndStops) {
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [](Transaction& tx) {
    for (int i = 0; i < 100; ++i) {
      auto r = tx.exec("INSERT INTO t_items (qty) VALUES (?)", {int64_t(i)});
      if (!r.is_ok()) return r.status();
    }
    return Status::ok();
  }).is_ok());
  int seen = 0;
  Status s = store_->transact(TxMode::kRead, [&](Transaction& tx) {
    return tx.query_each("SELECT qty FROM t_items ORDER BY qty", {}, [&](const Row&) {
      return ++seen == 10 ? Status::invalid("enough") : Status::ok();
    });
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalid);
  EXPECT_EQ(seen, 10);
}

// The same statement used again inside a loop over its own results.
TEST_P(StoreConformance, NestedUseOfTheSameQuery) {
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [](Transaction& tx) {
    for (int i = 0; i < 5; ++i) {
      auto r = tx.exec("INSERT INTO t_items (qty) VALUES (?)", {int64_t(i)});
      if (!r.is_ok()) return r.status();
    }
    return Status::ok();
  }).is_ok());
  int outer = 0, inner = 0;
  ASSERT_TRUE(store_->transact(TxMode::kRead, [&](Transaction& tx) {
    return tx.query_each("SELECT qty FROM t_items WHERE qty >= ? ORDER BY qty", {int64_t(0)}, [&](const Row&) {
      ++outer;
      return tx.query_each("SELECT qty FROM t_items WHERE qty >= ? ORDER BY qty", {int64_t(3)}, [&](const Row&) {
        ++inner;
        return Status::ok();
      });
    });
  }).is_ok());
  EXPECT_EQ(outer, 5);
  EXPECT_EQ(inner, 10);
}

// Read-modify-write from many threads: no lost update, and concurrent readers always see
// a consistent snapshot (money is only moved, never created).
TEST_P(StoreConformance, ConcurrentWritersAndReadersAreCorrect) {
  constexpr int kThreads = 8, kPerThread = 100;
  std::atomic<int> failures{0}, inconsistent{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = store_->transact(TxMode::kWrite, [&](Transaction& tx) {
          auto row = tx.query_one("SELECT balance FROM t_accounts WHERE id = 1");
          if (!row.is_ok()) return row.status();
          int64_t b = (*row)->integer(0);
          auto a = tx.exec("UPDATE t_accounts SET balance = ? WHERE id = 1", {b - 1});
          if (!a.is_ok()) return a.status();
          auto c = tx.exec("UPDATE t_accounts SET balance = balance + 1 WHERE id = 2");
          if (!c.is_ok()) return c.status();
          return tx.exec("INSERT INTO t_items (name, qty) VALUES (?, ?)",
                         {"t" + std::to_string(t) + "-" + std::to_string(i), int64_t(t)})
              .status();
        });
        if (!s.is_ok()) failures++;
      }
    });
  }
  std::thread reader([&] {
    while (writing) {
      Status s = store_->transact(TxMode::kRead, [&](Transaction& tx) {
        auto r = tx.query_one("SELECT SUM(balance) FROM t_accounts");
        if (!r.is_ok()) return r.status();
        if ((*r)->integer(0) != 2000) inconsistent++;
        return Status::ok();
      });
      if (!s.is_ok()) failures++;
    }
  });
  for (auto& th : threads) th.join();
  writing = false;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_EQ(count_items(), kThreads * kPerThread);
  ASSERT_TRUE(store_->transact(TxMode::kRead, [](Transaction& tx) {
    auto r = tx.query_one("SELECT balance FROM t_accounts WHERE id = 1");
    EXPECT_EQ((*r)->integer(0), 1000 - kThreads * kPerThread);
    return Status::ok();
  }).is_ok());
}

// Two store instances on the same data (two processes: carnetd and the carnet tool).
TEST_P(StoreConformance, SecondInstanceWritesSafely) {
  auto other = GetParam().open(dir_);
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (Store* s : {store_.get(), other->get()}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, s] {
        for (int i = 0; i < 50; ++i) {
          if (!s->transact(TxMode::kWrite, [](Transaction& tx) {
                 return tx.exec("UPDATE t_accounts SET balance = balance + 1 WHERE id = 1").status();
               }).is_ok()) {
            failures++;
          }
        }
      });
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(store_->transact(TxMode::kRead, [](Transaction& tx) {
    EXPECT_EQ((*tx.query_one("SELECT balance FROM t_accounts WHERE id = 1"))->integer(0), 1200);
    return Status::ok();
  }).is_ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace carnet::store
