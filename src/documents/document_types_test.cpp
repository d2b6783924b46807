#include "documents/document_types.h"

#include <gtest/gtest.h>

#include <set>

#include "access/matrix.h"

namespace carnet::documents {
namespace {

TEST(DocumentTypes, EveryTypeHasAKnownClassAndAnAccessCategory) {
  std::set<std::string> classes;
  size_t types = 0;
  for (const auto& c : document_codes()) {
    if (c.kind == "class") classes.insert(c.code);
  }
  ASSERT_GE(classes.size(), 10u);
  for (const auto& c : document_codes()) {
    EXPECT_FALSE(c.label.empty()) << c.code;
    if (c.kind != "type") continue;
    ++types;
    EXPECT_TRUE(classes.count(c.class_code)) << c.code << " -> " << c.class_code;
    // The access matrix files a document of this type somewhere (else no professional sees it).
    EXPECT_FALSE(access::document_category({}, {c.code}).empty()) << c.code;
  }
  EXPECT_GE(types, 25u);
  for (const auto& k : classes) EXPECT_FALSE(access::document_category({k}, {}).empty()) << k;
}

}  // namespace
}  // namespace carnet::documents
