// Chunked stream encryption (see stream.h): ChaCha20-Poly1305 (RFC 8439) from OpenSSL for
// the chunks (its vectorised code is several times faster than libsodium 1.0.18's on this
// kind of machine), under a per-stream subkey that libsodium derives (keyed BLAKE2b) from
// the caller's key and a random salt, so that counter nonces never repeat even when a key
// serves several streams. The "STREAM" construction: chunk i has nonce i; its final flag
// travels in clear in the frame and is authenticated with the caller's associated data and
// i, so that truncation, reordering, duplication and flag flips all fail authentication.
#include "crypto/stream.h"
#include "crypto/initialized.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <vector>

namespace carnet::crypto {
namespace {

constexpr char kMagic[4] = {'C', 'N', 'S', '2'};
constexpr size_t kSaltBytes = 24;
constexpr size_t kTagBytes = 16;
constexpr uint32_t kFinalFlag = 0x80000000u;
static_assert(kStreamHeaderBytes == 4 + kSaltBytes);
static_assert(kStreamChunkOverhead == 4 + kTagBytes);

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

// The per-stream subkey: BLAKE2b-256 keyed by the caller's key over a label and the salt.
SecretKey subkey(const SecretKey& key, const unsigned char* salt) {
  static constexpr char kLabel[] = "carnet/stream/v2";
  unsigned char msg[sizeof kLabel - 1 + kSaltBytes];
  std::memcpy(msg, kLabel, sizeof kLabel - 1);
  std::memcpy(msg + sizeof kLabel - 1, salt, kSaltBytes);
  SecretKey k;
  crypto_generichash(k.data(), kKeyBytes, msg, sizeof msg, key.data(), kKeyBytes);
  return k;
}

void nonce_for(uint64_t index, unsigned char out[12]) {
  std::memset(out, 0, 4);
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<unsigned char>(index >> (56 - 8 * i));
}

// Associated data of chunk `index`: the caller's, then the index and the final flag.
void chunk_ad(std::string& out, std::string_view ad, uint64_t index, bool last) {
  out.assign(ad.data(), ad.size());
  for (int i = 0; i < 8; ++i) out += char(index >> (56 - 8 * i));
  out += last ? '\x01' : '\x00';
}

// OpenSSL's context for one stream; `ready` is false when OpenSSL could not set it up (out of
// memory), which every use of it reports as an error.
struct Cipher {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  bool ready = false;
  Cipher(const SecretKey& key, bool encrypt) {
    ready = ctx && (encrypt ? EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr)
                            : EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr)) == 1;
  }
  ~Cipher() { EVP_CIPHER_CTX_free(ctx); }
  Cipher(const Cipher&) = delete;
  Cipher& operator=(const Cipher&) = delete;
};

Status cipher_unavailable() { return Status::internal("OpenSSL could not set up ChaCha20-Poly1305"); }

}  // namespace

struct StreamEncryptor::State {
  unsigned char salt[kSaltBytes];
  std::unique_ptr<Cipher> cipher;
  uint64_t index = 0;
  std::string ad;  // scratch
};

StreamEncryptor::StreamEncryptor(const SecretKey& key, std::string_view ad)
    : state_(std::make_unique<State>()), ad_(ad) {
  require_initialized();
  randombytes_buf(state_->salt, kSaltBytes);
  state_->cipher = std::make_unique<Cipher>(subkey(key, state_->salt), true);
}

StreamEncryptor::~StreamEncryptor() = default;

std::string StreamEncryptor::header() const {
  std::string out(kMagic, sizeof kMagic);
  out.append(reinterpret_cast<const char*>(state_->salt), kSaltBytes);
  return out;
}

Result<std::string> StreamEncryptor::push(std::string_view chunk, bool last) {
  if (!state_->cipher->ready) return cipher_unavailable();
  std::string out;
  out.reserve(4 + chunk.size() + kTagBytes);
  put_u32(out, uint32_t(chunk.size() + kTagBytes) | (last ? kFinalFlag : 0));
  size_t off = out.size();
  out.resize(off + chunk.size() + kTagBytes);
  unsigned char nonce[12];
  nonce_for(state_->index, nonce);
  chunk_ad(state_->ad, ad_, state_->index, last);
  ++state_->index;
  EVP_CIPHER_CTX* ctx = state_->cipher->ctx;
  int len = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + off);
  bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(state_->ad.data()),
                              int(state_->ad.size())) == 1 &&
            EVP_EncryptUpdate(ctx, dst, &len, reinterpret_cast<const unsigned char*>(chunk.data()), int(chunk.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, dst + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, int(kTagBytes), dst + chunk.size()) == 1;
  if (!ok) return Status::internal("ChaCha20-Poly1305 encryption failed");
  return out;
}

struct StreamDecryptor::State {
  std::unique_ptr<Cipher> cipher;
  uint64_t index = 0;
  std::string ad;  // scratch
};

StreamDecryptor::StreamDecryptor(const SecretKey& key, std::string_view ad)
    : state_(std::make_unique<State>()), key_(key), ad_(ad) {
  require_initialized();
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
    state_->cipher =
        std::make_unique<Cipher>(subkey(key_, reinterpret_cast<const unsigned char*>(pending_.data() + 4)), false);
    if (!state_->cipher->ready) return cipher_unavailable();
    header_read_ = true;
    pos = kStreamHeaderBytes;
  }
  while (pending_.size() - pos >= 4) {
    if (finished_) return Status::corrupt("data after the end of the encrypted stream");
    uint32_t frame = get_u32(std::string_view(pending_).substr(pos, 4));
    bool last = (frame & kFinalFlag) != 0;
    uint32_t clen = frame & ~kFinalFlag;
    if (clen < kTagBytes || clen > kMaxStreamChunk + kTagBytes) {
      return Status::corrupt("invalid chunk length in encrypted stream");
    }
    if (pending_.size() - pos - 4 < clen) break;
    size_t mlen = clen - kTagBytes;
    size_t off = out.size();
    out.resize(off + mlen);
    unsigned char nonce[12];
    nonce_for(state_->index, nonce);
    chunk_ad(state_->ad, ad_, state_->index, last);
    EVP_CIPHER_CTX* ctx = state_->cipher->ctx;
    const auto* src = reinterpret_cast<const unsigned char*>(pending_.data() + pos + 4);
    unsigned char tag[kTagBytes];
    std::memcpy(tag, src + mlen, kTagBytes);
    int len = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + off);
    bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
              EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(state_->ad.data()),
                                int(state_->ad.size())) == 1 &&
              EVP_DecryptUpdate(ctx, dst, &len, src, int(mlen)) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, int(kTagBytes), tag) == 1 &&
              EVP_DecryptFinal_ex(ctx, dst + len, &len) == 1;
    if (!ok) {
      sodium_memzero(out.data() + off, mlen);
      out.resize(off);
      return Status::corrupt("encrypted stream chunk failed authentication");
    }
    ++state_->index;
    pos += 4 + clen;
    if (last) finished_ = true;
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
    auto framed = enc.push(std::string_view(cur.data(), *cur_len), last);
    if (!framed.is_ok()) return framed.status();
    CARNET_RETURN_IF_ERROR(write(*framed));
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
