#include "http/proxy_trust.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace carnet::http {
namespace {

// Parses IPv4 or IPv6 into the 16-byte form (IPv4 as ::ffff:a.b.c.d).
std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  std::string s(text);
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<ProxyTrust> ProxyTrust::parse(const std::vector<std::string>& entries) {
  ProxyTrust t;
  for (const auto& e : entries) {
    std::string_view s = trim(e);
    if (s.empty()) continue;
    auto slash = s.find('/');
    auto ip = parse_ip(s.substr(0, slash));
    if (!ip) return Status::invalid("--trusted-proxy: '" + e + "' is not an IP address or CIDR");
    bool v4 = s.substr(0, slash).find(':') == std::string_view::npos;
    int prefix = 128;
    if (slash != std::string_view::npos) {
      auto bits = s.substr(slash + 1);
      int n = -1;
      auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
      if (ec != std::errc() || end != bits.data() + bits.size() || n < 0 || n > (v4 ? 32 : 128)) {
        return Status::invalid("--trusted-proxy: '" + e + "' has an invalid prefix length");
      }
      prefix = v4 ? 96 + n : n;
    }
    t.nets_.push_back({*ip, prefix});
  }
  return t;
}

bool ProxyTrust::trusts(std::string_view address) const {
  auto ip = parse_ip(address);
  if (!ip) return false;
  for (const auto& n : nets_) {
    int bits = n.prefix;
    bool match = true;
    for (int i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      uint8_t mask = bits >= 8 ? 0xff : uint8_t(0xff << (8 - bits));
      match = ((*ip)[size_t(i)] & mask) == (n.addr[size_t(i)] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string ProxyTrust::client_address(std::string_view peer, std::string_view forwarded_for) const {
  if (!trusts(peer) || forwarded_for.empty()) return std::string(peer);
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    size_t comma = rest.rfind(',');
    std::string_view item = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    if (!parse_ip(item)) return std::string(peer);  // garbage: trust nothing further
    if (!trusts(item)) return std::string(item);
    if (comma == std::string_view::npos) return std::string(item);
    rest = rest.substr(0, comma);
  }
  return std::string(peer);
}

}  // namespace carnet::http
