// The blob store suite, run on every backend: files (store_tests), the database on SQLite
// (store_tests) and on PostgreSQL (store_postgres_tests, with CARNET_CONFORMANCE_POSTGRES).
#include "store/blobs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "core/temp_dir_for_testing.h"
#include "store/postgres_for_testing.h"
#include "store/store.h"

namespace carnet::store {
namespace {

using std::chrono::system_clock;

// A backend's blobs in a fresh place; `stored()` counts what it keeps (files or rows).
struct BlobPlace {
  testing::TempDir dir;
  std::unique_ptr<testing::TestDatabase> database;
  std::unique_ptr<Store> store;
  std::unique_ptr<BlobStore> blobs;
  std::function<size_t()> stored;
};

size_t rows_in(Store& store) {
  size_t n = 0;
  EXPECT_TRUE(store.transact(TxMode::kRead, [&](Transaction& tx) -> Status {
    auto a = tx.query_one("SELECT (SELECT COUNT(*) FROM blob_objects) + (SELECT COUNT(*) FROM blob_chunks)");
    if (!a.is_ok()) return a.status();
    n = size_t((*a)->integer(0));
    return Status::ok();
  }).is_ok());
  return n;
}

struct BlobBackend {
  const char* name;
  std::function<Status(BlobPlace&)> open;
};

Status open_in_database(BlobPlace& p, Result<std::unique_ptr<Store>> store) {
  if (!store.is_ok()) return store.status();
  p.store = std::move(*store);
  auto b = open_database_blob_store(*p.store);
  if (!b.is_ok()) return b.status();
  p.blobs = std::move(*b);
  p.stored = [&p] { return rows_in(*p.store); };
  return Status::ok();
}

#ifdef CARNET_CONFORMANCE_POSTGRES
const BlobBackend kBlobBackends[] = {
    {"database_postgres",
     [](BlobPlace& p) -> Status {
       p.database = std::make_unique<testing::TestDatabase>();
       if (p.database->conninfo().empty()) return Status::unavailable(p.database->error());
       return open_in_database(p, open_postgres({p.database->conninfo(), 4}));
     }},
};
#else
size_t files_in(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

const BlobBackend kBlobBackends[] = {
    {"files",
     [](BlobPlace& p) -> Status {
       auto b = open_file_blob_store(p.dir.file("blobs"));
       if (!b.is_ok()) return b.status();
       p.blobs = std::move(*b);
       p.stored = [&p] { return files_in(p.dir.file("blobs")); };
       return Status::ok();
     }},
    {"database_sqlite",
     [](BlobPlace& p) { return open_in_database(p, open_sqlite({p.dir.file("carnet.db")})); }},
};
#endif

void PrintTo(const BlobBackend& b, std::ostream* os) { *os << b.name; }

class Blobs : public ::testing::TestWithParam<BlobBackend> {
 protected:
  void SetUp() override {
    Status s = GetParam().open(p_);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  }
  BlobStore& blobs() { return *p_.blobs; }

  BlobPlace p_;
};

std::string read_all(BlobReader& r, size_t step = 7) {
  std::string out;
  std::vector<char> buf(step);
  for (;;) {
    auto n = r.read(buf.data(), buf.size());
    EXPECT_TRUE(n.is_ok());
    if (!n.is_ok() || *n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST_P(Blobs, WritesCommitsAndReads) {
  auto w = blobs().create("0123abcd");
  ASSERT_TRUE(w.is_ok());
  ASSERT_TRUE((*w)->append("hello ").is_ok());
  ASSERT_TRUE((*w)->append("world").is_ok());
  EXPECT_EQ(blobs().open("0123abcd").status().code(), ErrorCode::kNotFound);  // not before commit
  ASSERT_TRUE((*w)->commit().is_ok());
  auto r = blobs().open("0123abcd");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ((*r)->size(), 11u);
  EXPECT_EQ(read_all(**r), "hello world");
  EXPECT_EQ(blobs().create("0123abcd").status().code(), ErrorCode::kConflict);
  ASSERT_TRUE(blobs().remove("0123abcd").is_ok());
  EXPECT_EQ(blobs().open("0123abcd").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(blobs().remove("0123abcd").is_ok());
  EXPECT_EQ(p_.stored(), 0u);
}

TEST_P(Blobs, LargeAndEmptyBlobsRoundTrip) {
  // Several database chunks, written in pieces that do not line up with them.
  std::string big;
  for (size_t i = 0; big.size() < (5u << 20) + 12345; ++i) big += char('a' + i * 7919 % 26);
  auto w = blobs().create("b16b");
  ASSERT_TRUE(w.is_ok());
  for (size_t at = 0; at < big.size(); at += 65557) ASSERT_TRUE((*w)->append(std::string_view(big).substr(at, 65557)).is_ok());
  ASSERT_TRUE((*w)->commit().is_ok());
  auto r = blobs().open("b16b");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ((*r)->size(), big.size());
  EXPECT_TRUE(read_all(**r, 100000) == big);

  auto e = blobs().create("e0");
  ASSERT_TRUE(e.is_ok());
  ASSERT_TRUE((*e)->commit().is_ok());
  auto er = blobs().open("e0");
  ASSERT_TRUE(er.is_ok());
  EXPECT_EQ((*er)->size(), 0u);
  EXPECT_EQ(read_all(**er), "");
}

TEST_P(Blobs, AnAbandonedWriterLeavesNothing) {
  {
    auto w = blobs().create("aa00");
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->append(std::string(3u << 20, 'x')).is_ok());  // past a database chunk
  }
  EXPECT_EQ(p_.stored(), 0u);
  EXPECT_EQ(blobs().open("aa00").status().code(), ErrorCode::kNotFound);
}

TEST_P(Blobs, RefusesHostileIds) {
  for (std::string id : std::vector<std::string>{"", "a", "../../etc/passwd", "ab/cd", "ABCD", "ab'; DROP TABLE x; --",
                                                 std::string(65, 'a')}) {
    EXPECT_FALSE(blobs().create(id).is_ok()) << id;
    EXPECT_FALSE(blobs().open(id).is_ok()) << id;
  }
}

TEST_P(Blobs, CollectRemovesOrphansOnly) {
  for (std::string id : {"11aa", "22bb"}) {
    auto w = blobs().create(id);
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->append("x").is_ok());
    ASSERT_TRUE((*w)->commit().is_ok());
  }
  // A writer still at work, or one whose process died, with bytes already stored.
  auto unfinished = blobs().create("33cc");
  ASSERT_TRUE(unfinished.is_ok());
  ASSERT_TRUE((*unfinished)->append(std::string(3u << 20, 'y')).is_ok());
  auto referenced = [](std::string_view id) -> Result<bool> { return id == "11aa"; };
  // Nothing is old enough yet.
  auto none = blobs().collect(system_clock::now() - std::chrono::hours(1), referenced);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, 0);
  auto two = blobs().collect(system_clock::now() + std::chrono::seconds(2), referenced);
  ASSERT_TRUE(two.is_ok()) << two.status().to_string();
  EXPECT_EQ(*two, 2);  // 22bb (named by nobody) and the unfinished 33cc
  EXPECT_TRUE(blobs().open("11aa").is_ok());
  EXPECT_FALSE(blobs().open("22bb").is_ok());
  // The unfinished writer learns its blob is gone rather than publishing a partial one.
  EXPECT_FALSE((*unfinished)->commit().is_ok());
  EXPECT_FALSE(blobs().open("33cc").is_ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, Blobs, ::testing::ValuesIn(kBlobBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace carnet::store
