// Message digests computed piece by piece (documents are hashed as they stream through):
// SHA-1, which FHIR's Attachment.hash requires, and SHA-256. OpenSSL stays in digest.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::crypto {

class Digest {
 public:
  enum class Algorithm { kSha1, kSha256 };
  // Never throws: when OpenSSL cannot set the digest up (out of memory), finish() says so.
  explicit Digest(Algorithm a);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  void update(std::string_view bytes);
  // The raw digest; the object is spent afterwards.
  Result<std::string> finish();

  static Result<std::string> of(Algorithm a, std::string_view bytes);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace carnet::crypto
