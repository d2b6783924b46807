#include "documents/content_type.h"

#include <cctype>

namespace carnet::documents {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Skips a UTF-8 byte order mark and leading white space (text formats).
std::string_view trim_start(std::string_view s) {
  if (starts_with(s, "\xEF\xBB\xBF")) s.remove_prefix(3);
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n')) s.remove_prefix(1);
  return s;
}

bool is_pdf(std::string_view h) { return starts_with(h, "%PDF-"); }
bool is_jpeg(std::string_view h) { return starts_with(h, "\xFF\xD8\xFF"); }
bool is_png(std::string_view h) { return starts_with(h, "\x89PNG\r\n\x1A\n"); }
bool is_tiff(std::string_view h) {
  return starts_with(h, std::string_view("II*\0", 4)) || starts_with(h, std::string_view("MM\0*", 4));
}
bool is_rtf(std::string_view h) { return starts_with(h, "{\\rtf"); }

// Markup a browser would run, or a script: never accepted as "plain text".
bool looks_active(std::string_view h) {
  std::string l = lower(trim_start(h).substr(0, 64));
  return starts_with(l, "#!") || starts_with(l, "<!doctype html") || starts_with(l, "<html") ||
         starts_with(l, "<script") || starts_with(l, "<svg") || starts_with(l, "<?php");
}

bool is_cda(std::string_view head) {
  std::string_view h = trim_start(head);
  if (!starts_with(h, "<?xml") && !starts_with(h, "<")) return false;
  std::string l = lower(head);
  if (l.find("<!doctype") != std::string::npos || l.find("<!entity") != std::string::npos) return false;  // no DTDs (XXE)
  return head.find("<ClinicalDocument") != std::string_view::npos;
}

}  // namespace

std::string_view mime_type(Format f) {
  switch (f) {
    case Format::kPdf: return "application/pdf";
    case Format::kJpeg: return "image/jpeg";
    case Format::kPng: return "image/png";
    case Format::kTiff: return "image/tiff";
    case Format::kText: return "text/plain";
    case Format::kRtf: return "application/rtf";
    case Format::kCda: return "text/xml";
  }
  return "application/octet-stream";
}

std::string_view format_label(Format f) {
  switch (f) {
    case Format::kPdf: return "un PDF";
    case Format::kJpeg: return "une image JPEG";
    case Format::kPng: return "une image PNG";
    case Format::kTiff: return "une image TIFF";
    case Format::kText: return "un texte";
    case Format::kRtf: return "un document RTF";
    case Format::kCda: return "un document CDA R2 (XML)";
  }
  return "un document";
}

std::optional<Format> format_of_mime(std::string_view content_type) {
  std::string t = lower(content_type.substr(0, content_type.find(';')));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(0, 1);
  if (t == "application/pdf") return Format::kPdf;
  if (t == "image/jpeg" || t == "image/jpg") return Format::kJpeg;
  if (t == "image/png") return Format::kPng;
  if (t == "image/tiff") return Format::kTiff;
  if (t == "text/plain") return Format::kText;
  if (t == "application/rtf" || t == "text/rtf") return Format::kRtf;
  if (t == "text/xml" || t == "application/xml" || t == "application/hl7-cda+xml" || t == "application/hl7-v3+xml") {
    return Format::kCda;
  }
  return std::nullopt;
}

std::string accepted_types() {
  return "application/pdf, image/jpeg, image/png, image/tiff, text/plain, application/rtf, text/xml (CDA R2)";
}

void TextCheck::feed(std::string_view bytes) {
  if (!ok_) return;
  for (unsigned char c : bytes) {
    if (need_ > 0) {
      if ((c & 0xC0) != 0x80) {
        ok_ = false;
        return;
      }
      cp_ = (cp_ << 6) | (c & 0x3F);
      if (--need_ == 0 && (cp_ < min_ || cp_ > 0x10FFFF || (cp_ >= 0xD800 && cp_ <= 0xDFFF))) {
        ok_ = false;
        return;
      }
      continue;
    }
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
        ok_ = false;
        return;
      }
      if (c == 0x7F) {
        ok_ = false;
        return;
      }
    } else if ((c & 0xE0) == 0xC0) {
      need_ = 1, cp_ = c & 0x1F, min_ = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      need_ = 2, cp_ = c & 0x0F, min_ = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      need_ = 3, cp_ = c & 0x07, min_ = 0x10000;
    } else {
      ok_ = false;
      return;
    }
  }
}

std::string describe_bytes(std::string_view head, bool text) {
  if (head.empty()) return "un fichier vide";
  if (is_pdf(head)) return "un PDF";
  if (is_jpeg(head)) return "une image JPEG";
  if (is_png(head)) return "une image PNG";
  if (is_tiff(head)) return "une image TIFF";
  if (is_rtf(head)) return "un document RTF";
  if (starts_with(head, "GIF8")) return "une image GIF";
  if (starts_with(head, "MZ") || starts_with(head, "\x7F" "ELF") || starts_with(head, "\xCA\xFE\xBA\xBE")) {
    return "un programme exécutable";
  }
  if (starts_with(head, "PK\x03\x04")) return "une archive ZIP (ou un document bureautique)";
  std::string l = lower(trim_start(head).substr(0, 64));
  if (starts_with(l, "#!") || starts_with(l, "<?php")) return "un script";
  if (starts_with(l, "<!doctype html") || starts_with(l, "<html") || starts_with(l, "<script")) return "une page web (HTML)";
  if (starts_with(l, "<svg")) return "une image SVG (qui peut contenir des scripts)";
  if (text && is_cda(head)) return "un document CDA R2 (XML)";
  if (text) return "un texte";
  return "des données d'un type inconnu";
}

Status check_content(Format declared, std::string_view head, bool text, uint64_t size) {
  if (size == 0) return Status::invalid("le document est vide (0 octet)");
  bool ok = false;
  switch (declared) {
    case Format::kPdf: ok = is_pdf(head); break;
    case Format::kJpeg: ok = is_jpeg(head); break;
    case Format::kPng: ok = is_png(head); break;
    case Format::kTiff: ok = is_tiff(head); break;
    case Format::kRtf: ok = is_rtf(head); break;
    case Format::kText: ok = text && !looks_active(head); break;
    case Format::kCda: ok = text && is_cda(head); break;
  }
  if (ok) return Status::ok();
  return Status::invalid("le contenu ne correspond pas au type déclaré (" + std::string(mime_type(declared)) +
                         ") : attendu " + std::string(format_label(declared)) + ", reçu " + describe_bytes(head, text));
}

std::string sanitize_file_name(std::string_view name) {
  // Keep what follows the last directory separator.
  size_t cut = name.find_last_of("/\\");
  if (cut != std::string_view::npos) name.remove_prefix(cut + 1);
  std::string out;
  bool space = false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F || std::string_view("<>:\"|?*").find(char(c)) != std::string_view::npos) c = ' ';
    if (c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += char(c);
  }
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  if (out.size() > 120) {
    size_t end = 120;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;  // whole characters
    out.resize(end);
  }
  if (out.empty()) out = "document";
  return out;
}

}  // namespace carnet::documents
