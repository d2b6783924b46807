#include "http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/temp_dir_for_testing.h"

namespace carnet::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "www" / "assets");
    write("www/index.html", "<!doctype html><title>Carnet</title>");
    write("www/assets/app-1234.js", "console.log(1)");
    write("www/style.css", "body{}");
    write("secret.txt", "root:x:0:0");
    fs::create_symlink(dir_.path() / "secret.txt", dir_.path() / "www" / "escape.txt");
    fs::create_symlink(dir_.path() / "www" / "style.css", dir_.path() / "www" / "inside.css");
  }
  void write(const std::string& rel, const std::string& content) { std::ofstream(dir_.path() / rel) << content; }
  api::Response get(const std::string& path, const std::string& inm = "") {
    StaticFiles sf((dir_.path() / "www").string(), {"/api/", "/fhir/"});
    api::Request req;
    req.method = "GET";
    req.path = path;
    if (!inm.empty()) req.headers.push_back({"if-none-match", inm});
    return sf.serve(req);
  }
  testing::TempDir dir_;
};

TEST_F(StaticFilesTest, ServesFilesWithMimeTypesAndCaching) {
  auto idx = get("/");
  EXPECT_EQ(idx.status, 200);
  EXPECT_EQ(idx.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(idx.header("Cache-Control"), "no-cache");
  auto js = get("/assets/app-1234.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(get("/style.css").header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/inside.css").status, 200);  // symlink inside the root is fine
}

TEST_F(StaticFilesTest, EtagRevalidation) {
  auto first = get("/style.css");
  std::string etag(first.header("ETag"));
  ASSERT_FALSE(etag.empty());
  auto again = get("/style.css", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/style.css", "W/" + etag).status, 304);
  EXPECT_EQ(get("/style.css", "\"other\", " + etag).status, 304);
  EXPECT_EQ(get("/style.css", "\"other\"").status, 200);
}

TEST_F(StaticFilesTest, NoWayOutOfTheRoot) {
  for (const char* p : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/assets/../../secret.txt",
                        "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/./index.html",
                        "/a%00b", "/%"}) {
    auto r = get(p);
    EXPECT_EQ(r.status, 400) << p;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << p;
  }
  auto link = get("/escape.txt");
  EXPECT_EQ(link.status, 404);
  EXPECT_EQ(link.body.find("root:"), std::string::npos);
  // A doubled slash is not an absolute path: it resolves inside the root (here, to the
  // page fallback), never to /etc/passwd.
  write("passwd", "root:x:0:0");
  auto abs = get("//etc/passwd");
  EXPECT_EQ(abs.body.find("root:"), std::string::npos);
  EXPECT_NE(abs.body.find("Carnet"), std::string::npos);
}

TEST_F(StaticFilesTest, SpaFallbackOnlyForPages) {
  auto page = get("/mon-espace/documents");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Carnet"), std::string::npos);
  EXPECT_EQ(get("/assets/missing.js").status, 404);
  EXPECT_EQ(get("/api/v1/nothing").status, 404);
  EXPECT_EQ(get("/fhir/r4/Nothing").status, 404);
  EXPECT_EQ(get("/api").status, 404);
}

TEST(StaticFilesMissingRoot, Answers404) {
  StaticFiles sf("/nonexistent/carnet/web", {});
  api::Request req;
  req.path = "/";
  EXPECT_EQ(sf.serve(req).status, 404);
}

}  // namespace
}  // namespace carnet::http
