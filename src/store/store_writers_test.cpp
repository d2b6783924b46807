// The storage conformance suite (store_conformance.h): concurrent writers. On SQLite their
// functions run one after the other in shared transactions (group commit by flat combining);
// on PostgreSQL each in its own serializable transaction. Either way, each writer gets its
// own outcome and only its own changes.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "store/store_conformance.h"

namespace carnet::store::conformance {
namespace {

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

// Writers that fail among others committed together: a failure undoes that writer's changes
// only, whether it changed rows before failing or not, and every other writer's changes are
// kept once (SQLite runs again the writers of a batch that a failure rolled back).
TEST_P(StoreConformance, AFailingWriterUndoesItsOwnChangesOnly) {
  constexpr int kThreads = 8, kPerThread = 60;
  std::atomic<int> unexpected{0};
  std::mutex mu;
  std::set<std::string> kept;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "w" + std::to_string(t) + "-" + std::to_string(i);
        const bool dirty = i % 7 == 3, clean = i % 5 == 4;
        Status s = store_->transact(TxMode::kWrite, [&](Transaction& tx) -> Status {
          if (clean) return Status::invalid("refused before writing");
          CARNET_RETURN_IF_ERROR(tx.exec("INSERT INTO t_items (name, qty) VALUES (?, ?)", {name, int64_t(i)}).status());
          CARNET_RETURN_IF_ERROR(tx.exec("UPDATE t_accounts SET balance = balance + 1 WHERE id = 2").status());
          if (dirty) return Status::invalid("refused after writing");
          return Status::ok();
        });
        if (dirty || clean) {
          if (s.code() != ErrorCode::kInvalid) unexpected++;
        } else if (s.is_ok()) {
          std::lock_guard lock(mu);
          kept.insert(name);
        } else {
          unexpected++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected.load(), 0);
  std::set<std::string> stored;
  int64_t balance = 0;
  ASSERT_TRUE(store_->transact(TxMode::kRead, [&](Transaction& tx) -> Status {
    CARNET_RETURN_IF_ERROR(tx.query_each("SELECT name FROM t_items", {}, [&](const Row& r) {
      stored.insert(r.text(0));
      return Status::ok();
    }));
    auto b = tx.query_one("SELECT balance FROM t_accounts WHERE id = 2");
    if (!b.is_ok()) return b.status();
    balance = (*b)->integer(0);
    return Status::ok();
  }).is_ok());
  EXPECT_EQ(stored, kept);
  EXPECT_EQ(count_items(), int64_t(kept.size()));
  EXPECT_EQ(balance, 1000 + int64_t(kept.size()));
}

// Writers that call while another's function runs: on SQLite they queue behind it and run in
// its batch. Runs a first writer inserting 'first', which waits until `n` other threads have
// called transact with write(i) (and 200 ms for them to queue); returns their outcomes.
std::vector<Status> write_behind_a_blocked_writer(Store& store, int n,
                                                  const std::function<Status(Transaction&, int)>& write) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  int calling = 0;
  std::thread first([&] {
    Status s = store.transact(TxMode::kWrite, [&](Transaction& tx) -> Status {
      CARNET_RETURN_IF_ERROR(tx.exec("INSERT INTO t_items (name) VALUES ('first')").status());
      std::unique_lock lock(mu);
      entered = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  std::vector<Status> outcomes(static_cast<size_t>(n));
  std::vector<std::thread> writers;
  for (int i = 0; i < n; ++i) {
    writers.emplace_back([&, i] {
      {
        std::lock_guard lock(mu);
        ++calling;
        cv.notify_all();
      }
      outcomes[size_t(i)] = store.transact(TxMode::kWrite, [&](Transaction& tx) { return write(tx, i); });
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return calling == n; });
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lock.lock();
    release = true;
    cv.notify_all();
  }
  first.join();
  for (auto& w : writers) w.join();
  return outcomes;
}

std::set<std::string> item_names(Store& store) {
  std::set<std::string> names;
  EXPECT_TRUE(store.transact(TxMode::kRead, [&](Transaction& tx) {
    return tx.query_each("SELECT name FROM t_items", {}, [&](const Row& r) {
      names.insert(r.text(0));
      return Status::ok();
    });
  }).is_ok());
  return names;
}

Status insert_item(Transaction& tx, int i) {
  return tx.exec("INSERT INTO t_items (name, qty) VALUES (?, ?)", {"w" + std::to_string(i), int64_t(i)}).status();
}

// Inserts by `n` writers queued behind a blocked one, all kept: the transactions and flushes
// they took (zeros where the backend does not count them).
Store::WriteCounts queued_inserts(Store& store, int n) {
  const Store::WriteCounts before = store.write_counts();
  auto outcomes = write_behind_a_blocked_writer(store, n, insert_item);
  for (const Status& s : outcomes) EXPECT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(item_names(store).size(), size_t(n) + 1);
  const Store::WriteCounts after = store.write_counts();
  return {after.transactions - before.transactions, after.flushes - before.flushes};
}

TEST_P(StoreConformance, WritersQueuedBehindAnotherShareItsFlush) {
  constexpr int kWriters = 12;
  const Store::WriteCounts took = queued_inserts(*store_, kWriters);
  if (took.transactions > 0) {  // a backend that counts them (SQLite)
    EXPECT_EQ(took.transactions, uint64_t(kWriters + 1));
    EXPECT_LT(took.flushes, took.transactions);
  }
}

// More writers queued than a batch holds (SQLite: 256) are committed in several batches.
TEST_P(StoreConformance, ABatchHoldsABoundedNumberOfWriters) {
  constexpr int kWriters = 300;
  const Store::WriteCounts took = queued_inserts(*store_, kWriters);
  if (took.transactions > 0) {
    EXPECT_EQ(took.transactions, uint64_t(kWriters + 1));
    // The blocked writer's batch is older than 20 ms when its function returns: committed
    // alone. The 300 others need two batches at least.
    EXPECT_GE(took.flushes, 3u);
  }
}

// A statement that aborts its whole transaction (SQLite: the batch's, which SQLite rolls back
// itself) fails its own writer only: the others' work is kept.
TEST_P(StoreConformance, AWriterWhoseStatementAbortsTheTransactionFailsAlone) {
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [](Transaction& tx) {
    return tx.exec_script(GetParam().abort_trigger);
  }).is_ok());
  constexpr int kWriters = 9, kAborting = 4;
  auto outcomes = write_behind_a_blocked_writer(*store_, kWriters, [](Transaction& tx, int i) -> Status {
    if (i == kAborting) return tx.exec("INSERT INTO t_items (name) VALUES ('abort')").status();
    return insert_item(tx, i);
  });
  std::set<std::string> expected = {"first"};
  for (int i = 0; i < kWriters; ++i) {
    if (i == kAborting) {
      EXPECT_EQ(outcomes[size_t(i)].code(), ErrorCode::kConflict) << outcomes[size_t(i)].to_string();
    } else {
      EXPECT_TRUE(outcomes[size_t(i)].is_ok()) << "writer " << i << ": " << outcomes[size_t(i)].to_string();
      expected.insert("w" + std::to_string(i));
    }
  }
  EXPECT_EQ(item_names(*store_), expected);
}

// Each writer of a batch gets its own outcome: one refused before or after writing, or
// throwing (a std::exception or anything else), fails alone, its changes undone; the others'
// are kept, and writes go on afterwards.
TEST_P(StoreConformance, WritersQueuedBehindAnotherKeepTheirOwnOutcomes) {
  enum Kind { kOk, kRefusedBefore, kRefusedAfter, kThrowsStd, kThrowsOther, kKinds };
  constexpr int kPerKind = 3, kWriters = kKinds * kPerKind;
  const Store::WriteCounts before = store_->write_counts();
  auto outcomes = write_behind_a_blocked_writer(*store_, kWriters, [](Transaction& tx, int i) -> Status {
    const Kind kind = Kind(i % kKinds);
    if (kind == kRefusedBefore) return Status::invalid("refused before writing");
    CARNET_RETURN_IF_ERROR(insert_item(tx, i));
    if (kind == kRefusedAfter) return Status::invalid("refused after writing");
    if (kind == kThrowsStd) throw std::runtime_error("thrown after writing");
    if (kind == kThrowsOther) throw 42;
    return Status::ok();
  });
  std::set<std::string> expected = {"first"};
  for (int i = 0; i < kWriters; ++i) {
    const Kind kind = Kind(i % kKinds);
    const ErrorCode want = kind == kOk                                      ? ErrorCode::kOk
                           : kind == kRefusedBefore || kind == kRefusedAfter ? ErrorCode::kInvalid
                                                                             : ErrorCode::kInternal;
    EXPECT_EQ(outcomes[size_t(i)].code(), want) << "writer " << i << ": " << outcomes[size_t(i)].to_string();
    if (kind == kOk) expected.insert("w" + std::to_string(i));
  }
  EXPECT_EQ(item_names(*store_), expected);
  const Store::WriteCounts after = store_->write_counts();
  if (after.transactions > 0) {
    EXPECT_EQ(after.transactions - before.transactions, uint64_t(1 + kPerKind));
  }
  EXPECT_TRUE(store_->transact(TxMode::kWrite, [](Transaction& tx) {
    return tx.exec("INSERT INTO t_items (name) VALUES ('after')").status();
  }).is_ok());
  EXPECT_EQ(count_items(), int64_t(expected.size()) + 1);
}

// Concurrent writers' functions may run on another writer's thread (SQLite runs them all on
// one): each still logs under its own request's id, and the calling thread's id is as it was.
TEST_P(StoreConformance, AWritersFunctionLogsUnderItsOwnRequest) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = "request-" + std::to_string(t);
      log::ScopedRequestId scoped(id);
      for (int i = 0; i < kPerThread; ++i) {
        Status s = store_->transact(TxMode::kWrite, [&](Transaction& tx) -> Status {
          if (log::current_request_id() != id) wrong++;
          return tx.exec("INSERT INTO t_items (name, qty) VALUES (?, ?)", {id + "-" + std::to_string(i), int64_t(t)})
              .status();
        });
        if (!s.is_ok() || log::current_request_id() != id) wrong++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(count_items(), kThreads * kPerThread);
}

}  // namespace
}  // namespace carnet::store::conformance
