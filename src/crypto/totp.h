// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, 6 digits, 30 s
// steps — what authenticator apps expect from an otpauth:// URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carnet::crypto {

inline constexpr int kTotpStepSeconds = 30;
inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 recommends

// HOTP value for `counter`, `digits` long (6 or 8), zero-padded.
std::string hotp(std::string_view secret, uint64_t counter, int digits = 6);
// The time step of a Unix time.
inline uint64_t totp_step(int64_t unix_seconds) { return uint64_t(unix_seconds) / kTotpStepSeconds; }

// Checks `code` against steps now-window..now+window (constant time per step). Returns the
// matching step, so the caller can refuse a step already used (replay).
std::optional<uint64_t> totp_match(std::string_view secret, std::string_view code, int64_t unix_seconds,
                                   int window = 1);

// RFC 4648 base32 without padding (authenticator apps' secret format).
std::string base32_encode(std::string_view bytes);

// otpauth://totp/Carnet:<account>?secret=...&issuer=Carnet&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace carnet::crypto
