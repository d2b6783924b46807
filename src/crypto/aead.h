// Authenticated encryption with associated data: XChaCha20-Poly1305 (IETF), random 192-bit
// nonces (safe to draw at random for any number of messages under one key).
// Sealed format: nonce (24) || ciphertext || tag (16).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret.h"

namespace carnet::crypto {

inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kAeadOverhead = kAeadNonceBytes + kAeadTagBytes;

// `associated_data` is authenticated, not encrypted: bind the ciphertext to where it lives
// (space, resource type, id, version) so it cannot be moved elsewhere.
std::string seal(const SecretKey& key, std::string_view plaintext, std::string_view associated_data);

// kCorrupt when the ciphertext, its nonce or the associated data were changed or truncated.
Result<std::string> open(const SecretKey& key, std::string_view sealed, std::string_view associated_data);

// Deterministic variant for known-answer tests only. Returns ciphertext || tag (no nonce).
std::string seal_with_nonce_for_testing(const SecretKey& key, std::string_view nonce,
                                        std::string_view plaintext, std::string_view associated_data);

}  // namespace carnet::crypto
