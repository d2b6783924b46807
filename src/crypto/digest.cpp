// OpenSSL adapter: EVP message digests.
#include "crypto/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace carnet::crypto {

struct Digest::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Algorithm a) : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, a == Algorithm::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("cannot initialise a message digest");
  }
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::update(std::string_view bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size());
}

std::string Digest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Digest::of(Algorithm a, std::string_view bytes) {
  Digest d(a);
  d.update(bytes);
  return d.finish();
}

}  // namespace carnet::crypto
