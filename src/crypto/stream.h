// Chunked encryption for payloads too large to hold in memory (documents): each chunk is
// sealed with ChaCha20-Poly1305 under a per-stream subkey (derived from the caller's key and
// a random salt), nonce = chunk index, the "STREAM" construction.
//
// Stored format:  "CNS2" || salt (24 bytes) || chunks
//   chunk = frame (4 bytes, big endian: bit 31 the final flag, the rest the length of the
//           ciphertext that follows) || ciphertext || tag (16)
// Every chunk is authenticated together with the caller's associated data, its index and its
// final flag; the last chunk carries the flag, so a stream cut at a chunk boundary is
// detected, as is any reorder, duplication, bit flip or a chunk cut in the middle.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret.h"

namespace carnet::crypto {

inline constexpr size_t kStreamHeaderBytes = 4 + 24;  // magic + salt
inline constexpr size_t kStreamChunkOverhead = 4 + 16;  // frame + tag
inline constexpr size_t kMaxStreamChunk = 1 << 20;

class StreamEncryptor {
 public:
  StreamEncryptor(const SecretKey& key, std::string_view associated_data);
  ~StreamEncryptor();
  StreamEncryptor(const StreamEncryptor&) = delete;
  StreamEncryptor& operator=(const StreamEncryptor&) = delete;

  // The stream's first bytes: magic and header. Call once, first.
  std::string header() const;
  // Encrypts one chunk (REQUIRES: size <= kMaxStreamChunk) and returns it framed.
  // `last` must be true for the final chunk, which may be empty. Fails (kInternal) only when
  // OpenSSL cannot run the cipher.
  Result<std::string> push(std::string_view chunk, bool last);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string ad_;
};

class StreamDecryptor {
 public:
  StreamDecryptor(const SecretKey& key, std::string_view associated_data);
  ~StreamDecryptor();
  StreamDecryptor(const StreamDecryptor&) = delete;
  StreamDecryptor& operator=(const StreamDecryptor&) = delete;

  // Feeds stored bytes in any slicing; decrypted plaintext is appended to `out`. Returns
  // kCorrupt on tampering, data after the final chunk, or a bad header.
  Status feed(std::string_view bytes, std::string& out);
  // Call at end of input: kCorrupt if the final chunk was never seen (truncated stream).
  Status finish() const;

 private:
  Status consume(std::string& out);
  struct State;
  std::unique_ptr<State> state_;
  SecretKey key_;
  std::string ad_;
  std::string pending_;
  bool header_read_ = false;
  bool finished_ = false;
};

// Convenience over the classes above for callbacks-based I/O. `read` fills its buffer and
// returns bytes read (0 at end) or an error; `write` consumes output.
using ReadFn = std::function<Result<size_t>(char* buf, size_t cap)>;
using WriteFn = std::function<Status(std::string_view)>;
Status encrypt_stream(const SecretKey& key, std::string_view associated_data, const ReadFn& read,
                      const WriteFn& write, size_t chunk_size = 64 * 1024);
Status decrypt_stream(const SecretKey& key, std::string_view associated_data, const ReadFn& read,
                      const WriteFn& write);

}  // namespace carnet::crypto
