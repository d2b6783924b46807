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

// Decodes %XX escapes. nullopt on a malformed escape. '+' is left as is (paths, not forms).
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace carnet
