// Byte/text encodings used across modules. Pure functions, no allocation surprises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carnet {

std::string hex_encode(std::string_view bytes);
// Lower- or upper-case hex; nullopt on odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);

// RFC 4648 base64 with padding, and the URL-safe alphabet without padding.
std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);
// Accepts both alphabets, with or without padding; ignores nothing else (no whitespace).
std::optional<std::string> base64_decode(std::string_view text);

// Base64 (standard alphabet, padding optional) decoded piece by piece, for payloads too large
// to hold: feed() appends the bytes decoded so far; padding may only end the text.
class Base64Decoder {
 public:
  // false on a character outside the alphabet or data after padding.
  bool feed(std::string_view text, std::string& out);
  // false when the text ends in the middle of a byte (a lone trailing character).
  bool finish() const;
  uint64_t characters() const { return chars_; }

 private:
  uint32_t acc_ = 0;
  int bits_ = 0;
  int padding_ = 0;
  uint64_t chars_ = 0;
};

// Base64 encoded piece by piece; the output of all feeds and finish() equals
// base64_encode of the whole.
class Base64Encoder {
 public:
  void feed(std::string_view bytes, std::string& out);
  void finish(std::string& out);
  static uint64_t encoded_size(uint64_t bytes) { return (bytes + 2) / 3 * 4; }

 private:
  unsigned char pending_[2] = {0, 0};
  int npending_ = 0;
};

// Decodes %XX escapes. nullopt on a malformed escape. '+' is left as is (paths, not forms).
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace carnet
