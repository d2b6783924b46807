// Randomness and comparisons that must not leak timing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secret.h"

namespace carnet::crypto {

// Cryptographically secure random bytes (the kernel's CSPRNG through libsodium).
std::string random_bytes(size_t n);
SecretKey random_key();
// `bytes` random bytes as unpadded base64url: 32 bytes give 43 characters, 256 bits.
std::string random_token(size_t bytes = 32);
// A random (version 4) UUID, lower case: "3f2b8c1e-...". Used as resource and space ids.
std::string random_uuid();
// A time-ordered (version 7) UUID: 48 bits of Unix milliseconds, then 74 random bits. Ids
// created one after the other sort together, so B-tree inserts append instead of touching
// pages all over an index (the write cost of random keys grows with the table).
std::string time_ordered_uuid();
// `length` characters drawn uniformly from `alphabet` (REQUIRES: 1 < alphabet size <= 256).
std::string random_string(size_t length, std::string_view alphabet);

// Uniform in [0, upper_bound). REQUIRES: upper_bound > 0.
uint32_t random_uniform(uint32_t upper_bound);

// BLAKE2b-256 of `data` (unkeyed): content fingerprints, stable ids from natural keys.
std::string digest(std::string_view data);

// True when a and b are equal; time depends only on the lengths, not on the contents.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace carnet::crypto
