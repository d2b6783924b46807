// The file backend of BlobStore (see blobs.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "store/blobs.h"

namespace carnet::store {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

Status fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::unavailable("cannot open " + path + ": " + errno_text());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::unavailable("cannot sync " + path + ": " + errno_text());
  return Status::ok();
}

// Group commit of blobs: a commit waits until one syncfs() of the blob filesystem, started
// after its rename, has completed. Concurrent commits share that syncfs (the first waiter
// runs it for everyone queued), so many documents cost one flush instead of two fsyncs each
// (the file's data, then its directory entry).
class GroupSync {
 public:
  explicit GroupSync(int dir_fd) : fd_(dir_fd) {}
  ~GroupSync() { ::close(fd_); }

  Status wait() {
    std::unique_lock lock(mu_);
    uint64_t mine = ++requested_;
    while (completed_ < mine) {
      if (syncing_) {
        cv_.wait(lock);
        continue;
      }
      syncing_ = true;
      uint64_t covers = requested_;
      lock.unlock();
      int rc = ::syncfs(fd_);
      int err = errno;
      lock.lock();
      syncing_ = false;
      if (rc != 0) {
        failures_ = covers;  // everyone this flush was for learns it failed
        failure_ = std::string("cannot sync documents to disk: ") + std::strerror(err);
      }
      completed_ = covers;
      cv_.notify_all();
    }
    if (failures_ >= mine) return Status::unavailable(failure_);
    return Status::ok();
  }

 private:
  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0, completed_ = 0, failures_ = 0;
  bool syncing_ = false;
  std::string failure_;
};

class FileWriter final : public BlobWriter {
 public:
  FileWriter(int fd, std::string part, std::string final_path, GroupSync& sync)
      : fd_(fd), part_(std::move(part)), final_(std::move(final_path)), sync_(sync) {}
  ~FileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(part_.c_str());
  }

  Status append(std::string_view bytes) override {
    if (fd_ < 0) return Status::internal("blob writer already closed");
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::unavailable("cannot write a document: " + errno_text());
      }
      bytes.remove_prefix(size_t(n));
    }
    return Status::ok();
  }

  Status commit() override {
    if (fd_ < 0) return Status::internal("blob writer already closed");
    ::close(fd_);
    fd_ = -1;
    // Named first, durable next: until the flush completes nothing refers to the blob, so a
    // crash in between leaves an orphan, never a record without its bytes.
    if (::rename(part_.c_str(), final_.c_str()) != 0) {
      return Status::unavailable("cannot store a document: " + errno_text());
    }
    committed_ = true;
    return sync_.wait();
  }

 private:
  int fd_;
  std::string part_, final_;
  GroupSync& sync_;
  bool committed_ = false;
};

class FileReader final : public BlobReader {
 public:
  FileReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FileReader() override { ::close(fd_); }
  Result<size_t> read(char* buf, size_t cap) override {
    for (;;) {
      ssize_t n = ::read(fd_, buf, cap);
      if (n >= 0) return size_t(n);
      if (errno != EINTR) return Status::unavailable("cannot read a document: " + errno_text());
    }
  }
  uint64_t size() const override { return size_; }

 private:
  int fd_;
  uint64_t size_;
};

class FileBlobStore final : public BlobStore {
 public:
  FileBlobStore(std::string dir, int dir_fd) : dir_(std::move(dir)), sync_(dir_fd) {}

  // REQUIRES: valid_blob_id(id).
  std::string shard(std::string_view id) const { return dir_ + "/" + std::string(id.substr(id.size() - 2)); }

  Result<std::unique_ptr<BlobWriter>> create(std::string_view id) override {
    if (!valid_blob_id(id)) return Status::invalid("invalid blob id");
    std::string d = shard(id);
    std::string final_path = d + "/" + std::string(id);
    if (::access(final_path.c_str(), F_OK) == 0) return Status::conflict("blob exists");
    std::string part = final_path + ".part";
    int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) return Status::conflict("blob is being written");
      return Status::unavailable("cannot create a document file: " + errno_text());
    }
    return std::unique_ptr<BlobWriter>(std::make_unique<FileWriter>(fd, std::move(part), std::move(final_path), sync_));
  }

  Result<std::unique_ptr<BlobReader>> open(std::string_view id) const override {
    if (!valid_blob_id(id)) return Status::not_found("no such blob");
    std::string path = shard(id) + "/" + std::string(id);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::not_found("document bytes missing");
      return Status::unavailable("cannot open a document: " + errno_text());
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Status::unavailable("cannot open a document: " + errno_text());
    }
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<BlobReader>(std::make_unique<FileReader>(fd, uint64_t(st.st_size)));
  }

  Status remove(std::string_view id) override {
    if (!valid_blob_id(id)) return Status::ok();
    std::string path = shard(id) + "/" + std::string(id);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::unavailable("cannot remove a document: " + errno_text());
    }
    return Status::ok();
  }

  Result<int64_t> collect(std::chrono::system_clock::time_point before,
                          const std::function<Result<bool>(std::string_view id)>& referenced) override {
    int64_t removed = 0;
    std::error_code ec;
    for (fs::directory_iterator shard_it(dir_, ec), end; !ec && shard_it != end; shard_it.increment(ec)) {
      if (!shard_it->is_directory()) continue;
      std::error_code ec2;
      for (fs::directory_iterator it(shard_it->path(), ec2); !ec2 && it != end; it.increment(ec2)) {
        std::string name = it->path().filename().string();
        struct stat st {};
        if (::stat(it->path().c_str(), &st) != 0) continue;
        auto written = std::chrono::system_clock::from_time_t(st.st_mtime);
        if (written >= before) continue;
        bool part = name.size() > 5 && name.compare(name.size() - 5, 5, ".part") == 0;
        if (!part) {
          if (!valid_blob_id(name)) continue;
          auto named = referenced(name);
          if (!named.is_ok()) return named.status();
          if (*named) continue;
        }
        if (::unlink(it->path().c_str()) == 0) ++removed;
      }
    }
    if (ec) return Status::unavailable("cannot list " + dir_ + ": " + ec.message());
    return removed;
  }

 private:
  std::string dir_;
  GroupSync sync_;
};

}  // namespace

bool valid_blob_id(std::string_view id) {
  if (id.size() < 2 || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::unique_ptr<BlobStore>> open_file_blob_store(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::unavailable("cannot create " + dir + ": " + ec.message());
  bool created = false;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    std::string d = dir + "/" + kHex[i >> 4] + kHex[i & 15];
    if (fs::create_directory(d, ec)) created = true;
    if (ec) return Status::unavailable("cannot create " + d + ": " + ec.message());
  }
  if (created) CARNET_RETURN_IF_ERROR(fsync_path(dir));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::unavailable("cannot open " + dir + ": " + errno_text());
  return std::unique_ptr<BlobStore>(std::make_unique<FileBlobStore>(dir, fd));
}

}  // namespace carnet::store
