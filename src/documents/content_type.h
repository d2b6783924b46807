// Which files the vault accepts and how their real type is told from their bytes (never
// from a name or a declared type alone), plus the clean-up of file names. Pure functions.
//
// Accepted: PDF, JPEG, PNG, TIFF, plain text (UTF-8), RTF, and CDA R2 XML documents from
// professional software. A declared type must agree with the bytes: a script renamed
// "report.pdf" is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::documents {

enum class Format { kPdf, kJpeg, kPng, kTiff, kText, kRtf, kCda };

// The canonical MIME type of a format ("application/pdf").
std::string_view mime_type(Format f);
// The French name shown in messages ("un PDF").
std::string_view format_label(Format f);
// A declared content type (parameters and case ignored; common aliases accepted), or
// nullopt when the vault does not take that type.
std::optional<Format> format_of_mime(std::string_view content_type);
// "application/pdf, image/jpeg, …" for error messages.
std::string accepted_types();

// Incremental checks over a whole document as it streams by: UTF-8 validity and the
// absence of control characters (what plain text and XML must satisfy).
class TextCheck {
 public:
  void feed(std::string_view bytes);
  // True when everything fed is well-formed UTF-8 text (tab, CR, LF and form feed allowed).
  bool is_text() const { return ok_ && need_ == 0; }

 private:
  bool ok_ = true;
  int need_ = 0;        // continuation bytes still expected
  uint32_t cp_ = 0;     // code point being assembled
  uint32_t min_ = 0;    // smallest code point allowed for the current length (no overlongs)
};

inline constexpr size_t kSniffBytes = 4096;  // how much of the start detection looks at

// Checks that a document declared as `declared` really is one: `head` is its first bytes
// (up to kSniffBytes), `text` whether the whole of it passed TextCheck, `size` its length.
// kInvalid with a plain message (naming what the bytes look like) otherwise.
Status check_content(Format declared, std::string_view head, bool text, uint64_t size);

// What the bytes look like, for messages: "un PDF", "un script", "un exécutable", …
std::string describe_bytes(std::string_view head, bool text);

// A file name safe to show and to offer for download: no directories, no control or
// reserved characters, no leading dots, at most 120 bytes (whole UTF-8 characters), never
// empty ("document"). REQUIRES: `name` is valid UTF-8 (JSON strings are).
std::string sanitize_file_name(std::string_view name);

}  // namespace carnet::documents
