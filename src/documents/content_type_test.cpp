#include "documents/content_type.h"

#include <gtest/gtest.h>

namespace carnet::documents {
namespace {

Status check(std::string_view mime, std::string_view bytes) {
  auto f = format_of_mime(mime);
  EXPECT_TRUE(f.has_value()) << mime;
  TextCheck t;
  t.feed(bytes);
  return check_content(*f, bytes.substr(0, kSniffBytes), t.is_text(), bytes.size());
}

TEST(ContentType, AcceptsEachFormatFromItsBytes) {
  EXPECT_TRUE(check("application/pdf", "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj").is_ok());
  EXPECT_TRUE(check("image/jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF").is_ok());
  EXPECT_TRUE(check("image/png", "\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR").is_ok());
  EXPECT_TRUE(check("image/tiff", std::string_view("II*\0\x08\0\0\0", 8)).is_ok());
  EXPECT_TRUE(check("text/plain; charset=utf-8", "Résultats : glycémie normale.\n").is_ok());
  EXPECT_TRUE(check("application/rtf", "{\\rtf1\\ansi Bonjour}").is_ok());
  EXPECT_TRUE(check("text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">").is_ok());
  EXPECT_TRUE(check("IMAGE/JPG", "\xFF\xD8\xFF\xDB").is_ok());  // case and alias
}

TEST(ContentType, RefusesBytesThatAreNotWhatIsDeclared) {
  Status s = check("application/pdf", "#!/bin/sh\nrm -rf /\n");
  EXPECT_EQ(s.code(), ErrorCode::kInvalid);
  EXPECT_NE(s.message().find("un script"), std::string::npos) << s.message();
  EXPECT_NE(check("application/pdf", "MZ\x90\x00").message().find("exécutable"), std::string::npos);
  EXPECT_FALSE(check("image/png", "\xFF\xD8\xFF\xE0").is_ok());
  EXPECT_FALSE(check("text/plain", "<html><script>alert(1)</script>").is_ok());
  EXPECT_FALSE(check("text/plain", "#!/usr/bin/env python\nprint(1)").is_ok());
  EXPECT_FALSE(check("text/plain", std::string_view("abc\0def", 7)).is_ok());
  EXPECT_FALSE(check("text/plain", "caf\xC3").is_ok());        // truncated UTF-8
  EXPECT_FALSE(check("text/plain", "\xC0\xAF").is_ok());       // overlong
  EXPECT_FALSE(check("text/plain", "\xED\xA0\x80").is_ok());   // surrogate
  EXPECT_FALSE(check("text/xml", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ClinicalDocument/>").is_ok());
  EXPECT_FALSE(check("text/xml", "<?xml version=\"1.0\"?><note/>").is_ok());
  Status empty = check("application/pdf", "");
  EXPECT_NE(empty.message().find("vide"), std::string::npos);
}

TEST(ContentType, UnknownTypesAreNotTaken) {
  for (auto t : {"application/x-sh", "text/html", "image/svg+xml", "application/octet-stream", "", "application/zip"}) {
    EXPECT_FALSE(format_of_mime(t).has_value()) << t;
  }
}

TEST(ContentType, TextCheckAcrossPieces) {
  TextCheck t;
  std::string s = "é€😀";
  for (char c : s) t.feed(std::string_view(&c, 1));
  EXPECT_TRUE(t.is_text());
  TextCheck cut;
  cut.feed("\xE2\x82");
  EXPECT_FALSE(cut.is_text());
  cut.feed("\xAC");
  EXPECT_TRUE(cut.is_text());
}

TEST(FileNames, AreSanitised) {
  EXPECT_EQ(sanitize_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_file_name("C:\\Users\\x\\compte-rendu.pdf"), "compte-rendu.pdf");
  EXPECT_EQ(sanitize_file_name("  ..hidden  "), "hidden");
  EXPECT_EQ(sanitize_file_name("a\r\nb\tc<d>:e|f?g*\"h"), "a b c d e f g h");
  EXPECT_EQ(sanitize_file_name(""), "document");
  EXPECT_EQ(sanitize_file_name("/"), "document");
  EXPECT_EQ(sanitize_file_name("Lettre de sortie – Hôpital.pdf"), "Lettre de sortie – Hôpital.pdf");
  std::string longname;
  for (int i = 0; i < 100; ++i) longname += "é";
  std::string cut = sanitize_file_name(longname);
  EXPECT_LE(cut.size(), 120u);
  EXPECT_EQ(cut.size() % 2, 0u);  // whole two-byte characters
}

}  // namespace
}  // namespace carnet::documents
