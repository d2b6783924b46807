// libsodium adapter: Argon2id password hashing.
#include "crypto/password.h"
#include "crypto/secret.h"

#include <sodium.h>

namespace carnet::crypto {

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  initialize();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.ops,
                            size_t(cost_.memory_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::internal("password hashing ran out of memory");
  }
  return std::string(out);
}

PasswordCheck PasswordHasher::verify(std::string_view stored_hash, std::string_view password) const {
  initialize();
  PasswordCheck check;
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return check;
  char buf[crypto_pwhash_STRBYTES] = {};
  stored_hash.copy(buf, stored_hash.size());
  if (stored_hash.rfind("$argon2id$", 0) != 0) return check;
  check.match = crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
  if (check.match) {
    check.needs_rehash =
        crypto_pwhash_str_needs_rehash(buf, cost_.ops, size_t(cost_.memory_bytes)) != 0;
  }
  return check;
}

PasswordCheck PasswordHasher::verify_and_upgrade(std::string_view stored_hash, std::string_view password) const {
  PasswordCheck check = verify(stored_hash, password);
  if (check.match && check.needs_rehash) {
    auto fresh = hash(password);
    if (fresh.is_ok()) check.upgraded_hash = std::move(fresh.value());
  }
  return check;
}

Result<std::string> argon2id_raw(std::string_view password, std::string_view salt, uint64_t ops,
                                 uint64_t memory_bytes, size_t out_len) {
  initialize();
  if (salt.size() != crypto_pwhash_SALTBYTES) return Status::invalid("salt must be 16 bytes");
  std::string out(out_len, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(out.data()), out_len, password.data(),
                    password.size(), reinterpret_cast<const unsigned char*>(salt.data()), ops,
                    size_t(memory_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::internal("argon2id failed (parameters out of range or out of memory)");
  }
  return out;
}

}  // namespace carnet::crypto
