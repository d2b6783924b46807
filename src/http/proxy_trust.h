// Which peers may tell us the client's address and scheme (X-Forwarded-For/-Proto).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace carnet::http {

class ProxyTrust {
 public:
  ProxyTrust() = default;
  // Entries: "10.0.0.5", "10.0.0.0/8", "::1", "fd00::/8". kInvalid names the bad entry.
  static Result<ProxyTrust> parse(const std::vector<std::string>& entries);

  bool empty() const { return nets_.empty(); }
  bool trusts(std::string_view address) const;
  // The client address: `peer` unless it is trusted, then the right-most X-Forwarded-For
  // entry that is not itself a trusted proxy (entries a client wrote are ignored).
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Net {
    std::array<uint8_t, 16> addr;
    int prefix;  // bits, over the 16-byte (IPv4-mapped) form
  };
  std::vector<Net> nets_;
};

}  // namespace carnet::http
