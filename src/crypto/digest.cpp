// OpenSSL adapter: EVP message digests.
#include "crypto/digest.h"

#include <openssl/evp.h>


namespace carnet::crypto {

struct Digest::State {
  EVP_MD_CTX* ctx = nullptr;
  bool ok = false;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Algorithm a) : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  state_->ok = state_->ctx &&
               EVP_DigestInit_ex(state_->ctx, a == Algorithm::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr) == 1;
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::update(std::string_view bytes) {
  if (state_->ok && !bytes.empty()) state_->ok = EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) == 1;
}

Result<std::string> Digest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!state_->ok || EVP_DigestFinal_ex(state_->ctx, out, &len) != 1) {
    return Status::internal("OpenSSL could not compute a message digest");
  }
  state_->ok = false;
  return std::string(reinterpret_cast<const char*>(out), len);
}

Result<std::string> Digest::of(Algorithm a, std::string_view bytes) {
  Digest d(a);
  d.update(bytes);
  return d.finish();
}

}  // namespace carnet::crypto
