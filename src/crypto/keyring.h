// The key ring: one master key for the installation, and per-space data keys that exist on
// disk only wrapped (encrypted) by the master key. Destroying a wrapped data key makes all
// data sealed under it unreadable, backups included (crypto-shredding).
//
// Subkeys are derived from the master key for each purpose (wrapping, lookup hashing), so
// the master key itself never touches data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret.h"

namespace carnet::crypto {

struct KeyRingOptions {
  // Used when env_key is empty. Created with mode 0600 (and its directory 0700) when absent;
  // refused when group or others may read it, when it is a symlink or not a regular file.
  std::string key_file;
  // The CARNET_MASTER_KEY value: 32 bytes as base64 or 64 hex digits. Wins over key_file.
  std::optional<std::string> env_key;
};

// Keys of the service itself (not of a person's space), derived from the master key.
enum class ServiceKey : uint64_t {
  kOutbox = 16,    // sealed notification payloads
  kSessions = 17,  // session and one-time code material, account factors
  kDirectory = 18,  // FHIR resources of the shared professionals' directory
};

class KeyRing {
 public:
  static Result<KeyRing> open(const KeyRingOptions& options);
  static KeyRing from_master_key(const SecretKey& master);

  struct DataKey {
    SecretKey key;
    std::string wrapped;  // store this; never the key
  };
  // A fresh random data key for `key_id` (a space id); the wrapping binds the id.
  DataKey new_data_key(std::string_view key_id) const;
  // kCorrupt when `wrapped` was changed, belongs to another id, or to another master key.
  Result<SecretKey> unwrap(std::string_view key_id, std::string_view wrapped) const;

  // Keyed hash (BLAKE2b, 32 bytes, raw) of an identifier for look-ups (INS, e-mail, phone):
  // deterministic for a (purpose, value) pair, not computable or invertible without the
  // master key. Different purposes never collide on purpose.
  std::string lookup_hash(std::string_view purpose, std::string_view value) const;

  SecretKey service_key(ServiceKey which) const;

  // 16 hex digits identifying the master key; safe to log and to store.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  KeyRing() = default;
  SecretKey master_;
  SecretKey wrap_key_;
  SecretKey lookup_key_;
  std::string fingerprint_;
};

// Parses a master key given as 64 hex digits or base64 (either alphabet) of 32 bytes.
Result<SecretKey> parse_master_key(std::string_view text);

}  // namespace carnet::crypto
