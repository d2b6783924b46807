// Message digests computed piece by piece (documents are hashed as they stream through):
// SHA-1, which FHIR's Attachment.hash requires, and SHA-256. OpenSSL stays in digest.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace carnet::crypto {

class Digest {
 public:
  enum class Algorithm { kSha1, kSha256 };
  explicit Digest(Algorithm a);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  void update(std::string_view bytes);
  // The raw digest; the object is spent afterwards.
  std::string finish();

  static std::string of(Algorithm a, std::string_view bytes);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace carnet::crypto
