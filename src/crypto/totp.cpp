// OpenSSL adapter: HMAC-SHA1 for HOTP/TOTP.
#include "crypto/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

#include "crypto/random.h"

namespace carnet::crypto {
namespace {

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string hotp(std::string_view secret, uint64_t counter, int digits) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), int(secret.size()), msg, sizeof msg, mac, &mac_len);
  int offset = mac[mac_len - 1] & 0x0f;
  uint32_t bin = (uint32_t(mac[offset] & 0x7f) << 24) | (uint32_t(mac[offset + 1]) << 16) |
                 (uint32_t(mac[offset + 2]) << 8) | uint32_t(mac[offset + 3]);
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*u", digits, bin % mod);
  return buf;
}

std::optional<uint64_t> totp_match(std::string_view secret, std::string_view code, int64_t unix_seconds, int window) {
  if (code.size() != 6) return std::nullopt;
  uint64_t now = totp_step(unix_seconds);
  std::optional<uint64_t> found;
  for (int d = -window; d <= window; ++d) {
    if (d < 0 && now < uint64_t(-d)) continue;
    uint64_t step = now + uint64_t(int64_t(d));
    if (constant_time_equal(hotp(secret, step), code) && !found) found = step;
  }
  return found;
}

std::string base32_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret) {
  return "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(account) +
         "?secret=" + base32_encode(secret) + "&issuer=" + percent_encode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace carnet::crypto
