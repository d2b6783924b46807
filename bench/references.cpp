// The references benchmarks compare Carnet with, measured on this machine in the same run:
//   references disk DIR MB     sequential write of MB mebibytes in 1 MiB writes, then
//                              fdatasync (what a document upload must at least do); MB/s
//   references cipher MB       the vault's chunked encryption (ChaCha20-Poly1305, 64 KiB
//                              chunks, crypto/stream.h) over MB mebibytes; MB/s
//   references fsync DIR SECS  4 KiB appended then fdatasync, again and again for SECS
//                              seconds, in a file of DIR (what one durable commit must at
//                              least do); fsyncs/s
// Each prints its figure alone on a line.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/stream.h"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  if (argc < 3) {
    std::fprintf(stderr, "usage: references disk DIR MB | cipher MB | fsync DIR SECS\n");
    return 2;
  }
  std::string mode = argv[1];
  if (carnet::Status st = carnet::crypto::initialize(); !st.is_ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::string chunk = carnet::crypto::random_bytes(1 << 20);
  if (mode == "disk" && argc == 4) {
    long mb = std::atol(argv[3]);
    std::string path = std::string(argv[2]) + "/disk-bench.tmp";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 1;
    auto start = Clock::now();
    for (long i = 0; i < mb; ++i) {
      if (::write(fd, chunk.data(), chunk.size()) != ssize_t(chunk.size())) return 1;
    }
    ::fdatasync(fd);
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(fd);
    ::unlink(path.c_str());
    std::printf("%.1f\n", double(mb) / secs);
    return 0;
  }
  if (mode == "cipher") {
    long mb = std::atol(argv[2]);
    auto key = carnet::crypto::random_key();
    auto start = Clock::now();
    carnet::crypto::StreamEncryptor enc(key, "bench");
    size_t out = enc.header().size();
    constexpr size_t kPiece = 64 * 1024;
    for (long i = 0; i < mb; ++i) {
      for (size_t off = 0; off < chunk.size(); off += kPiece) {
        auto framed = enc.push(std::string_view(chunk).substr(off, kPiece), i == mb - 1 && off + kPiece >= chunk.size());
        if (!framed.is_ok()) return 1;
        out += framed->size();
      }
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    if (out == 0) return 1;
    std::printf("%.1f\n", double(mb) / secs);
    return 0;
  }
  if (mode == "fsync" && argc == 4) {
    double limit = std::atof(argv[3]);
    std::string path = std::string(argv[2]) + "/fsync-bench.tmp";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd < 0) return 1;
    std::string page = chunk.substr(0, 4096);
    long n = 0;
    auto start = Clock::now();
    double secs = 0;
    while (secs < limit) {
      if (::write(fd, page.data(), page.size()) != ssize_t(page.size()) || ::fdatasync(fd) != 0) return 1;
      ++n;
      secs = std::chrono::duration<double>(Clock::now() - start).count();
    }
    ::close(fd);
    ::unlink(path.c_str());
    std::printf("%.0f\n", double(n) / secs);
    return 0;
  }
  std::fprintf(stderr, "usage: references disk DIR MB | cipher MB | fsync DIR SECS\n");
  return 2;
}
