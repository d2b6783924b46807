#include "store/blobs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "core/temp_dir_for_testing.h"

namespace carnet::store {
namespace {

using std::chrono::system_clock;

std::string read_all(BlobReader& r) {
  std::string out;
  char buf[7];
  for (;;) {
    auto n = r.read(buf, sizeof buf);
    EXPECT_TRUE(n.is_ok());
    if (!n.is_ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

size_t files_in(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

TEST(FileBlobStore, WritesCommitsAndReads) {
  testing::TempDir dir;
  auto blobs = open_file_blob_store(dir.file("blobs"));
  ASSERT_TRUE(blobs.is_ok());
  auto w = (*blobs)->create("0123abcd");
  ASSERT_TRUE(w.is_ok());
  ASSERT_TRUE((*w)->append("hello ").is_ok());
  ASSERT_TRUE((*w)->append("world").is_ok());
  EXPECT_EQ((*blobs)->open("0123abcd").status().code(), ErrorCode::kNotFound);  // not before commit
  ASSERT_TRUE((*w)->commit().is_ok());
  auto r = (*blobs)->open("0123abcd");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ((*r)->size(), 11u);
  EXPECT_EQ(read_all(**r), "hello world");
  EXPECT_EQ((*blobs)->create("0123abcd").status().code(), ErrorCode::kConflict);
  ASSERT_TRUE((*blobs)->remove("0123abcd").is_ok());
  EXPECT_EQ((*blobs)->open("0123abcd").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE((*blobs)->remove("0123abcd").is_ok());
}

TEST(FileBlobStore, AnAbandonedWriterLeavesNothing) {
  testing::TempDir dir;
  auto blobs = open_file_blob_store(dir.file("blobs"));
  ASSERT_TRUE(blobs.is_ok());
  {
    auto w = (*blobs)->create("aa00");
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->append(std::string(100000, 'x')).is_ok());
  }
  EXPECT_EQ(files_in(dir.path()), 0u);
}

TEST(FileBlobStore, RefusesHostileIds) {
  testing::TempDir dir;
  auto blobs = open_file_blob_store(dir.file("blobs"));
  ASSERT_TRUE(blobs.is_ok());
  for (std::string id : std::vector<std::string>{"", "a", "../../etc/passwd", "ab/cd", "ABCD", std::string(65, 'a')}) {
    EXPECT_FALSE((*blobs)->create(id).is_ok()) << id;
    EXPECT_FALSE((*blobs)->open(id).is_ok()) << id;
  }
}

TEST(FileBlobStore, CollectRemovesOrphansOnly) {
  testing::TempDir dir;
  auto blobs = open_file_blob_store(dir.file("blobs"));
  ASSERT_TRUE(blobs.is_ok());
  for (std::string id : {"11aa", "22bb"}) {
    auto w = (*blobs)->create(id);
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->append("x").is_ok());
    ASSERT_TRUE((*w)->commit().is_ok());
  }
  auto unfinished = (*blobs)->create("33cc");  // a writer still at work, or one whose process died
  ASSERT_TRUE(unfinished.is_ok());
  auto referenced = [](std::string_view id) -> Result<bool> { return id == "11aa"; };
  // Nothing is old enough yet.
  auto none = (*blobs)->collect(system_clock::now() - std::chrono::hours(1), referenced);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, 0);
  auto two = (*blobs)->collect(system_clock::now() + std::chrono::seconds(2), referenced);
  ASSERT_TRUE(two.is_ok());
  EXPECT_EQ(*two, 2);  // 22bb (named by nobody) and the unfinished 33cc
  EXPECT_TRUE((*blobs)->open("11aa").is_ok());
  EXPECT_FALSE((*blobs)->open("22bb").is_ok());
}

}  // namespace
}  // namespace carnet::store
