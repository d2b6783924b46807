// libsodium adapter: master key loading, subkey derivation, data-key wrapping, keyed hashes.
#include "crypto/keyring.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/initialized.h"

namespace carnet::crypto {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES] = {'c', 'a', 'r', 'n', 'e', 't', 'k', 'r'};
constexpr uint64_t kSubkeyWrap = 1;
constexpr uint64_t kSubkeyLookup = 2;
constexpr uint64_t kSubkeyFingerprint = 3;
constexpr char kWrapFormat = 0x01;
constexpr size_t kFingerprintBytes = 8;

SecretKey derive(const SecretKey& master, uint64_t id) {
  SecretKey sub;
  crypto_kdf_derive_from_key(sub.data(), sub.size(), id, kKdfContext, master.data());
  return sub;
}

std::string errno_text() { return std::strerror(errno); }

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

Result<SecretKey> read_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) return Status::invalid("master key file " + path + " is a symbolic link; refusing it");
    return Status::unavailable("cannot open master key file " + path + ": " + errno_text());
  }
  struct stat st{};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::unavailable("cannot stat master key file " + path + ": " + errno_text());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::invalid("master key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return Status::invalid("master key file " + path + " is readable by group or others (mode " +
                           mode + "); run: chmod 600 " + path);
  }
  if (st.st_uid != geteuid()) {
    ::close(fd);
    return Status::invalid("master key file " + path + " is owned by another user");
  }
  std::string text(size_t(std::min<off_t>(st.st_size, 4096)), '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return Status::unavailable("cannot read master key file " + path + ": " + errno_text());
  text.resize(size_t(n));
  auto key = parse_master_key(trim(std::move(text)));
  sodium_memzero(text.data(), text.size());
  if (!key.is_ok()) return key.status().with_context("master key file " + path);
  return key;
}

Status write_new_key_file(const std::string& path, const SecretKey& key) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return Status::unavailable("cannot create " + p.parent_path().string() + ": " + ec.message());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::conflict("exists");
    return Status::unavailable("cannot create master key file " + path + ": " + errno_text());
  }
  std::string text = base64_encode(key.view()) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  sodium_memzero(text.data(), text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::unavailable("cannot write master key file " + path + ": " + errno_text());
  }
  // Make the new directory entry durable too.
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

}  // namespace

Result<SecretKey> parse_master_key(std::string_view text) {
  std::optional<std::string> raw;
  if (text.size() == 2 * kKeyBytes) raw = hex_decode(text);
  if (!raw) raw = base64_decode(text);
  if (!raw || raw->size() != kKeyBytes) {
    return Status::invalid("master key must be 32 bytes, given as base64 or 64 hex digits");
  }
  SecretKey key = SecretKey::from_bytes(*raw);
  sodium_memzero(raw->data(), raw->size());
  return key;
}

KeyRing KeyRing::from_master_key(const SecretKey& master) {
  require_initialized();
  KeyRing ring;
  ring.master_ = master;
  ring.wrap_key_ = derive(master, kSubkeyWrap);
  ring.lookup_key_ = derive(master, kSubkeyLookup);
  SecretKey fp = derive(master, kSubkeyFingerprint);
  ring.fingerprint_ = hex_encode(fp.view().substr(0, kFingerprintBytes));
  return ring;
}

Result<KeyRing> KeyRing::open(const KeyRingOptions& options) {
  CARNET_RETURN_IF_ERROR(initialize());
  if (options.env_key && !options.env_key->empty()) {
    auto key = parse_master_key(trim(*options.env_key));
    if (!key.is_ok()) return key.status().with_context("CARNET_MASTER_KEY");
    return from_master_key(*key);
  }
  if (options.key_file.empty()) return Status::invalid("no master key file configured");
  struct stat st{};
  if (::lstat(options.key_file.c_str(), &st) != 0 && errno == ENOENT) {
    SecretKey fresh = random_key();
    Status s = write_new_key_file(options.key_file, fresh);
    if (s.is_ok()) return from_master_key(fresh);
    if (s.code() != ErrorCode::kConflict) return s;  // else: another process created it first
  }
  auto key = read_key_file(options.key_file);
  if (!key.is_ok()) return key.status();
  return from_master_key(*key);
}

KeyRing::DataKey KeyRing::new_data_key(std::string_view key_id) const {
  DataKey dk{random_key(), {}};
  std::string ad = "carnet.data-key.v1:" + std::string(key_id);
  dk.wrapped.reserve(1 + kFingerprintBytes + kAeadOverhead + kKeyBytes);
  dk.wrapped += kWrapFormat;
  dk.wrapped += *hex_decode(fingerprint_);
  dk.wrapped += seal(wrap_key_, dk.key.view(), ad);
  return dk;
}

Result<SecretKey> KeyRing::unwrap(std::string_view key_id, std::string_view wrapped) const {
  if (wrapped.size() != 1 + kFingerprintBytes + kAeadOverhead + kKeyBytes || wrapped[0] != kWrapFormat) {
    return Status::corrupt("wrapped data key has an unknown format");
  }
  std::string fp = hex_encode(wrapped.substr(1, kFingerprintBytes));
  if (fp != fingerprint_) {
    return Status::corrupt("data key was wrapped by another master key (fingerprint " + fp +
                           ", this key ring has " + fingerprint_ + ")");
  }
  std::string ad = "carnet.data-key.v1:" + std::string(key_id);
  auto raw = crypto::open(wrap_key_, wrapped.substr(1 + kFingerprintBytes), ad);
  if (!raw.is_ok()) return Status::corrupt("wrapped data key failed authentication");
  SecretKey key = SecretKey::from_bytes(*raw);
  sodium_memzero(raw->data(), raw->size());
  return key;
}

SecretKey KeyRing::service_key(ServiceKey which) const { return derive(master_, uint64_t(which)); }

std::string KeyRing::lookup_hash(std::string_view purpose, std::string_view value) const {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash_state st;
  crypto_generichash_init(&st, lookup_key_.data(), lookup_key_.size(), out.size());
  // Length-prefix the purpose so ("ab","c") and ("a","bc") differ.
  unsigned char len = static_cast<unsigned char>(std::min<size_t>(purpose.size(), 255));
  crypto_generichash_update(&st, &len, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(purpose.data()), len);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(value.data()), value.size());
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

}  // namespace carnet::crypto
