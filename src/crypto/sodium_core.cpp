// libsodium adapter: randomness, constant-time comparison, AEAD, and SecretKey hygiene.
#include <sodium.h>

#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>

#include "crypto/aead.h"
#include "crypto/initialized.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace carnet::crypto {

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kAeadNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

Status initialize() {
  // libsodium's internal generator: ChaCha20 keyed from getrandom(2), re-keyed after fork,
  // instead of one getrandom(2) system call per request for random bytes (nonces, keys,
  // ids: several per enrolled person).
  static const bool ready = [] {
    randombytes_set_implementation(&randombytes_internal_implementation);
    return sodium_init() >= 0;
  }();
  if (!ready) return Status::internal("libsodium failed to start: the system gives no random source");
  return Status::ok();
}

void require_initialized() {
  Status st = initialize();
  if (!st.is_ok()) {
    std::fprintf(stderr, "carnet: %s\n", st.message().c_str());
    std::abort();
  }
}

SecretKey SecretKey::from_bytes(std::string_view raw) {
  SecretKey k;
  if (raw.size() == kKeyBytes) std::memcpy(k.bytes_.data(), raw.data(), kKeyBytes);
  return k;
}

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

std::string random_bytes(size_t n) {
  require_initialized();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

SecretKey random_key() {
  require_initialized();
  SecretKey k;
  randombytes_buf(k.data(), k.size());
  return k;
}

std::string random_token(size_t bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string raw = random_bytes(bytes);
  std::string out;
  out.reserve((bytes * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  sodium_memzero(raw.data(), raw.size());
  return out;
}

namespace {

std::string format_uuid(const std::string& b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[(uint8_t(b[i]) >> 4) & 15];
    out += kHex[uint8_t(b[i]) & 15];
  }
  return out;
}

}  // namespace

std::string random_uuid() {
  std::string b = random_bytes(16);
  b[6] = char((b[6] & 0x0f) | 0x40);
  b[8] = char((b[8] & 0x3f) | 0x80);
  return format_uuid(b);
}

std::string time_ordered_uuid() {
  std::string b = random_bytes(16);
  uint64_t ms = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count());
  for (int i = 0; i < 6; ++i) b[size_t(i)] = char((ms >> (40 - 8 * i)) & 0xff);
  b[6] = char((b[6] & 0x0f) | 0x70);
  b[8] = char((b[8] & 0x3f) | 0x80);
  return format_uuid(b);
}

std::string random_string(size_t length, std::string_view alphabet) {
  require_initialized();
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) out += alphabet[randombytes_uniform(uint32_t(alphabet.size()))];
  return out;
}

uint32_t random_uniform(uint32_t upper_bound) {
  require_initialized();
  return randombytes_uniform(upper_bound);
}

std::string digest(std::string_view data) {
  require_initialized();
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr, 0);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

std::string seal_raw(const SecretKey& key, const unsigned char* nonce, std::string_view plaintext,
                     std::string_view ad) {
  std::string out(plaintext.size() + kAeadTagBytes, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data()), &len,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key.data());
  out.resize(len);
  return out;
}

}  // namespace

std::string seal(const SecretKey& key, std::string_view plaintext, std::string_view associated_data) {
  require_initialized();
  unsigned char nonce[kAeadNonceBytes];
  randombytes_buf(nonce, sizeof nonce);
  std::string out(reinterpret_cast<const char*>(nonce), sizeof nonce);
  out += seal_raw(key, nonce, plaintext, associated_data);
  return out;
}

std::string seal_with_nonce_for_testing(const SecretKey& key, std::string_view nonce,
                                        std::string_view plaintext, std::string_view ad) {
  require_initialized();
  if (nonce.size() != kAeadNonceBytes) return {};
  return seal_raw(key, reinterpret_cast<const unsigned char*>(nonce.data()), plaintext, ad);
}

Result<std::string> open(const SecretKey& key, std::string_view sealed, std::string_view ad) {
  require_initialized();
  if (sealed.size() < kAeadOverhead) return Status::corrupt("sealed data is truncated");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string_view body = sealed.substr(kAeadNonceBytes);
  std::string out(body.size() - kAeadTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(body.data()), body.size(),
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce, key.data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return Status::corrupt("authentication failed: data altered or bound to other context");
  }
  out.resize(len);
  return out;
}

}  // namespace carnet::crypto
