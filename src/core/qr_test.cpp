#include "core/qr.h"

#include <gtest/gtest.h>

namespace carnet {
namespace {

TEST(Qr, SvgDocument) {
  auto svg = qr_svg("otpauth://totp/Carnet:a%40b.fr?secret=GEZDGNBV&issuer=Carnet", "QR <code> & co");
  ASSERT_TRUE(svg.is_ok());
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg->find("<title>QR &lt;code&gt; &amp; co</title>"), std::string::npos);
  EXPECT_NE(svg->find("h1v1h-1z"), std::string::npos);
  EXPECT_EQ(svg->substr(svg->size() - 6), "</svg>");
  EXPECT_FALSE(qr_svg(std::string(8000, 'x'), "too long").is_ok());
}

}  // namespace
}  // namespace carnet
