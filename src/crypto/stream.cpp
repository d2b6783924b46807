// libsodium adapter: chunked stream encryption (crypto_secretstream_xchacha20poly1305).
#include "crypto/stream.h"

#include <sodium.h>

#include <vector>

namespace carnet::crypto {
namespace {

constexpr char kMagic[4] = {'C', 'N', 'S', '1'};
static_assert(kStreamHeaderBytes == 4 + crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(kStreamChunkOverhead == 4 + crypto_secretstream_xchacha20poly1305_ABYTES);

void put_u32(std::string& out, uint32_t v) {
  out += char(v >> 24);
  out += char(v >> 16);
  out += char(v >> 8);
  out += char(v);
}

uint32_t get_u32(std::string_view s) {
  return (uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) |
         (uint32_t(uint8_t(s[2])) << 8) | uint32_t(uint8_t(s[3]));
}

}  // namespace

struct StreamEncryptor::State {
  crypto_secretstream_xchacha20poly1305_state st;
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  ~State() { sodium_memzero(&st, sizeof st); }
};

StreamEncryptor::StreamEncryptor(const SecretKey& key, std::string_view ad)
    : state_(std::make_unique<State>()), ad_(ad) {
  initialize();
  crypto_secretstream_xchacha20poly1305_init_push(&state_->st, state_->header, key.data());
}

StreamEncryptor::~StreamEncryptor() = default;

std::string StreamEncryptor::header() const {
  std::string out(kMagic, sizeof kMagic);
  out.append(reinterpret_cast<const char*>(state_->header), sizeof state_->header);
  return out;
}

std::string StreamEncryptor::push(std::string_view chunk, bool last) {
  std::string out;
  size_t clen = chunk.size() + crypto_secretstream_xchacha20poly1305_ABYTES;
  out.reserve(4 + clen);
  put_u32(out, uint32_t(clen));
  size_t off = out.size();
  out.resize(off + clen);
  unsigned long long written = 0;
  crypto_secretstream_xchacha20poly1305_push(
      &state_->st, reinterpret_cast<unsigned char*>(out.data() + off), &written,
      reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(),
      reinterpret_cast<const unsigned char*>(ad_.data()), ad_.size(),
      last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
  return out;
}

struct StreamDecryptor::State {
  crypto_secretstream_xchacha20poly1305_state st;
  ~State() { sodium_memzero(&st, sizeof st); }
};

StreamDecryptor::StreamDecryptor(const SecretKey& key, std::string_view ad)
    : state_(std::make_unique<State>()), key_(key), ad_(ad) {
  initialize();
}

StreamDecryptor::~StreamDecryptor() = default;

Status StreamDecryptor::feed(std::string_view bytes, std::string& out) {
  pending_.append(bytes.data(), bytes.size());
  return consume(out);
}

Status StreamDecryptor::consume(std::string& out) {
  size_t pos = 0;
  if (!header_read_) {
    if (pending_.size() < kStreamHeaderBytes) return Status::ok();
    if (pending_.compare(0, 4, kMagic, 4) != 0) return Status::corrupt("not an encrypted stream");
    if (crypto_secretstream_xchacha20poly1305_init_pull(
            &state_->st, reinterpret_cast<const unsigned char*>(pending_.data() + 4), key_.data()) != 0) {
      return Status::corrupt("invalid stream header");
    }
    header_read_ = true;
    pos = kStreamHeaderBytes;
  }
  while (pending_.size() - pos >= 4) {
    if (finished_) return Status::corrupt("data after the end of the encrypted stream");
    uint32_t clen = get_u32(std::string_view(pending_).substr(pos, 4));
    if (clen < crypto_secretstream_xchacha20poly1305_ABYTES ||
        clen > kMaxStreamChunk + crypto_secretstream_xchacha20poly1305_ABYTES) {
      return Status::corrupt("invalid chunk length in encrypted stream");
    }
    if (pending_.size() - pos - 4 < clen) break;
    size_t off = out.size();
    out.resize(off + clen - crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &state_->st, reinterpret_cast<unsigned char*>(out.data() + off), &mlen, &tag,
            reinterpret_cast<const unsigned char*>(pending_.data() + pos + 4), clen,
            reinterpret_cast<const unsigned char*>(ad_.data()), ad_.size()) != 0) {
      sodium_memzero(out.data() + off, out.size() - off);
      out.resize(off);
      return Status::corrupt("encrypted stream chunk failed authentication");
    }
    out.resize(off + mlen);
    pos += 4 + clen;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) finished_ = true;
  }
  if (finished_ && pos < pending_.size()) {
    return Status::corrupt("data after the end of the encrypted stream");
  }
  pending_.erase(0, pos);
  return Status::ok();
}

Status StreamDecryptor::finish() const {
  if (!finished_ || !pending_.empty()) return Status::corrupt("encrypted stream is truncated");
  return Status::ok();
}

Status encrypt_stream(const SecretKey& key, std::string_view ad, const ReadFn& read,
                      const WriteFn& write, size_t chunk_size) {
  if (chunk_size == 0 || chunk_size > kMaxStreamChunk) return Status::invalid("bad chunk size");
  StreamEncryptor enc(key, ad);
  CARNET_RETURN_IF_ERROR(write(enc.header()));
  std::vector<char> cur(chunk_size), next(chunk_size);
  // Read one chunk ahead so the last real chunk carries the FINAL tag.
  auto fill = [&](std::vector<char>& buf) -> Result<size_t> {
    size_t got = 0;
    while (got < buf.size()) {
      auto n = read(buf.data() + got, buf.size() - got);
      if (!n.is_ok()) return n.status();
      if (*n == 0) break;
      got += *n;
    }
    return got;
  };
  auto cur_len = fill(cur);
  if (!cur_len.is_ok()) return cur_len.status();
  for (;;) {
    size_t next_len = 0;
    if (*cur_len == chunk_size) {
      auto n = fill(next);
      if (!n.is_ok()) return n.status();
      next_len = *n;
    }
    bool last = next_len == 0;
    CARNET_RETURN_IF_ERROR(write(enc.push(std::string_view(cur.data(), *cur_len), last)));
    if (last) break;
    std::swap(cur, next);
    cur_len = next_len;
  }
  sodium_memzero(cur.data(), cur.size());
  sodium_memzero(next.data(), next.size());
  return Status::ok();
}

Status decrypt_stream(const SecretKey& key, std::string_view ad, const ReadFn& read,
                      const WriteFn& write) {
  StreamDecryptor dec(key, ad);
  std::vector<char> buf(64 * 1024);
  std::string out;
  for (;;) {
    auto n = read(buf.data(), buf.size());
    if (!n.is_ok()) return n.status();
    if (*n == 0) break;
    out.clear();
    CARNET_RETURN_IF_ERROR(dec.feed(std::string_view(buf.data(), *n), out));
    if (!out.empty()) CARNET_RETURN_IF_ERROR(write(out));
  }
  return dec.finish();
}

}  // namespace carnet::crypto
