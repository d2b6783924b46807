// SQLite's write-ahead log under continuous writes: whatever runs the checkpoints
// (sqlite_store.cpp), the log must restart from its beginning, or it grows for as long as
// writes go on and every read looks its pages up in an ever longer log index. (Tried, issue
// 18: checkpoints on a connection of their own, off the writers' turn. A log copied while
// writers append to it never restarted; truncating it made each commit extend the file, and
// writes were no faster than with SQLite's automatic checkpoint inside the commit.)
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/temp_dir_for_testing.h"
#include "store/store.h"

namespace carnet::store {
namespace {

TEST(SqliteLog, StaysSmallWhileWritesNeverPause) {
  testing::TempDir dir;
  auto opened = open_sqlite({dir.file("carnet.db"), 2, std::chrono::milliseconds(5000)});
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  auto& store = **opened;
  ASSERT_TRUE(store.transact(TxMode::kWrite, [](Transaction& tx) {
    return tx.exec_script("CREATE TABLE t_log (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);");
  }).is_ok());

  // 4 writers and a reader, with no pause long enough for the idle checkpoint: 8,000 rows
  // of 8 KiB, about 70 MB of log frames, seventeen times what one checkpoint is due at.
  constexpr int kWriters = 4, kRowsEach = 2000;
  const std::string payload(8192, 'x');
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::atomic<uintmax_t> largest_log{0};
  const std::string log_path = dir.file("carnet.db-wal");
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kRowsEach; ++i) {
        Status s = store.transact(TxMode::kWrite, [&](Transaction& tx) {
          return tx.exec("INSERT INTO t_log (payload) VALUES (?)", {Blob{payload}}).status();
        });
        if (!s.is_ok()) failures++;
      }
    });
  }
  std::thread reader([&] {
    while (writing) {
      Status s = store.transact(TxMode::kRead, [](Transaction& tx) {
        return tx.query_one("SELECT length(payload) FROM t_log ORDER BY id DESC LIMIT 1").status();
      });
      if (!s.is_ok()) failures++;
      std::error_code ec;
      uintmax_t size = std::filesystem::file_size(log_path, ec);
      if (!ec && size > largest_log) largest_log = size;
    }
  });
  for (auto& t : writers) t.join();
  writing = false;
  reader.join();

  EXPECT_EQ(failures.load(), 0);
  // A checkpoint is due at 1,000 pages (4 MB). A log that never restarted from its
  // beginning would hold all 70 MB.
  EXPECT_LT(largest_log.load(), uintmax_t(16) << 20) << "the log did not restart from its beginning";
}

}  // namespace
}  // namespace carnet::store
