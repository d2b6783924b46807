#include "core/encoding.h"

#include <array>

namespace carnet {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string base64_with(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) { return base64_with(bytes, kB64, true); }
std::string base64url_encode(std::string_view bytes) { return base64_with(bytes, kB64Url, false); }

namespace {

const std::array<int8_t, 256>& decode_table() {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) {
      t[uint8_t(kB64[i])] = int8_t(i);
      t[uint8_t(kB64Url[i])] = int8_t(i);
    }
    return t;
  }();
  return table;
}

}  // namespace

bool Base64Decoder::feed(std::string_view text, std::string& out) {
  const auto& table = decode_table();
  while (!text.empty()) {
    // Fast path: whole groups of four alphabet characters, three bytes at a time.
    if (bits_ == 0 && padding_ == 0 && text.size() >= 4) {
      size_t groups = text.size() / 4;
      size_t base = out.size();
      out.resize(base + groups * 3);
      char* dst = out.data() + base;
      const unsigned char* src = reinterpret_cast<const unsigned char*>(text.data());
      size_t g = 0;
      for (; g < groups; ++g, src += 4) {
        int a = table[src[0]], b = table[src[1]], c = table[src[2]], d = table[src[3]];
        if ((a | b | c | d) < 0) break;  // padding or a stranger: the careful path below
        uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
        *dst++ = char(v >> 16);
        *dst++ = char(v >> 8);
        *dst++ = char(v);
      }
      out.resize(base + g * 3);
      chars_ += g * 4;
      text.remove_prefix(g * 4);
      if (text.empty()) break;
    }
    // Careful path, one character at a time, until a group boundary.
    do {
      unsigned char c = static_cast<unsigned char>(text.front());
      text.remove_prefix(1);
      ++chars_;
      if (c == '=') {
        if (++padding_ > 2) return false;
        continue;
      }
      int v = table[c];
      if (v < 0 || padding_ > 0) return false;
      acc_ = (acc_ << 6) | uint32_t(v);
      bits_ += 6;
      if (bits_ >= 8) {
        bits_ -= 8;
        out += static_cast<char>((acc_ >> bits_) & 0xff);
      }
    } while (!text.empty() && (bits_ != 0 || padding_ > 0 || text.size() < 4));
  }
  return true;
}

bool Base64Decoder::finish() const {
  // Leftover bits: 0 (complete), 2 or 4 (a final group of 3 or 2 characters); 6 is a lone character.
  return bits_ != 6;
}

void Base64Encoder::feed(std::string_view bytes, std::string& out) {
  auto emit = [&out](unsigned a, unsigned b, unsigned c) {
    uint32_t v = (a << 16) | (b << 8) | c;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  };
  size_t i = 0;
  while (npending_ > 0 && npending_ < 3 && i < bytes.size()) {
    if (npending_ == 2) {
      emit(pending_[0], pending_[1], static_cast<unsigned char>(bytes[i++]));
      npending_ = 0;
      break;
    }
    pending_[npending_++] = static_cast<unsigned char>(bytes[i++]);
  }
  out.reserve(out.size() + (bytes.size() - i) / 3 * 4 + 4);
  for (; i + 3 <= bytes.size(); i += 3) {
    emit(static_cast<unsigned char>(bytes[i]), static_cast<unsigned char>(bytes[i + 1]),
         static_cast<unsigned char>(bytes[i + 2]));
  }
  for (; i < bytes.size(); ++i) pending_[npending_++] = static_cast<unsigned char>(bytes[i]);
}

void Base64Encoder::finish(std::string& out) {
  if (npending_ == 0) return;
  std::string tail = base64_encode(std::string_view(reinterpret_cast<const char*>(pending_), size_t(npending_)));
  out += tail;
  npending_ = 0;
}

std::optional<std::string> base64_decode(std::string_view text) {
  const auto& table = decode_table();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : text) {
    int v = table[c];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return out;
}

}  // namespace carnet
