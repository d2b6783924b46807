// The health documents vault over HTTP: a GP publishes a discharge letter with an IHE MHD
// ITI-65 transaction; the holder finds it (ITI-67), downloads identical bytes (ITI-68),
// hides it; the pharmacist then cannot see it, its author still can; a replacement
// supersedes it; a result withheld from the patient follows its timeline on a controllable
// clock; hostile files are refused and leave nothing behind.
#include <dirent.h>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

constexpr char kVisibility[] =
    "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";

// A PDF-looking document of `size` bytes with varied content.
std::string pdf(size_t size, unsigned seed = 1) {
  std::string s = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  uint32_t x = seed * 2654435761u;
  while (s.size() < size - 7) {
    x = x * 1664525u + 1013904223u;
    s += char(x >> 24);
  }
  return s + "\n%%EOF\n";
}

std::string sha1_b64(const std::string& bytes) {
  return base64_encode(crypto::Digest::of(crypto::Digest::Algorithm::kSha1, bytes).value());
}

class Documents : public Fhir {
 protected:
  std::vector<std::string> extra_flags() const override {
    return {"--clock-offset-file", d_.dir().file("clock"), "--session-idle", "90d", "--session-lifetime", "90d",
            "--max-document-bytes", "2000000"};
  }
  void SetUp() override {
    Fhir::SetUp();
    space_ = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
    patient_ = "Patient/" + space_;
    claire_ = professional("810100000001", "cabinet.martin@demo.carnet");      // GP
    marc_ = professional("810100000002", "pharmacie.terreaux@demo.carnet");    // pharmacist
    for (const auto& pro : {claire_, marc_}) {
      ASSERT_EQ(api("POST", "/api/v1/care/spaces/" + space_ + "/care-team", pro)->status, 204);
    }
  }
  void set_clock(const std::string& offset) {
    std::ofstream(d_.dir().file("clock")) << offset << "\n";
    std::this_thread::sleep_for(150ms);  // the clock re-reads its file every 50 ms
  }
  // The ITI-65 Provide Document Bundle of one document, as professional software sends it.
  json provide_bundle(const std::string& bytes, const std::string& title, const json& extra = json::object()) {
    json doc = {{"resourceType", "DocumentReference"},
                {"status", "current"},
                {"masterIdentifier", {{"system", "urn:ietf:rfc:3986"}, {"value", "urn:oid:1.2.250.1.999.1.2." + std::to_string(++serial_)}}},
                {"type", {{"coding", {{{"system", "http://loinc.org"}, {"code", "11490-0"},
                                       {"display", "Lettre de liaison à la sortie d'un établissement de soins"}}}}}},
                {"category", {{{"coding", {{{"system", "urn:oid:1.2.250.1.213.1.1.4.1"}, {"code", "10"}, {"display", "Compte rendu"}}}}}}},
                {"subject", {{"reference", patient_}}},
                {"date", "2026-11-20T10:00:00+01:00"},
                {"author", {{{"display", "Dr Claire MARTIN"}}}},
                {"securityLabel", {{{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}, {"code", "N"}}}}}}},
                {"content", {{{"attachment", {{"contentType", "application/pdf"}, {"language", "fr-FR"}, {"url", "urn:uuid:bin-1"},
                                              {"title", title}, {"size", bytes.size()}, {"hash", sha1_b64(bytes)},
                                              {"creation", "2026-11-20T09:00:00+01:00"}}},
                              {"format", {{"system", "urn:oid:1.3.6.1.4.1.19376.1.2.3"}, {"code", "urn:ihe:iti:xds-sd:pdf:2008"}}}}}},
                {"context", {{"period", {{"start", "2026-11-18T08:00:00+01:00"}}}}}};
    doc.update(extra);
    json list = {{"resourceType", "List"},
                 {"status", "current"},
                 {"mode", "working"},
                 {"code", {{"coding", {{{"system", "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"}, {"code", "submissionset"}}}}}},
                 {"subject", {{"reference", patient_}}},
                 {"date", "2026-11-20T10:00:00+01:00"},
                 {"extension", {{{"url", "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"},
                                 {"valueIdentifier", {{"value", "urn:oid:1.2.250.1.999.1"}}}}}},
                 {"identifier", {{{"use", "usual"}, {"system", "urn:ietf:rfc:3986"}, {"value", "urn:oid:1.2.250.1.999.1.1." + std::to_string(serial_)}}}},
                 {"entry", {{{"item", {{"reference", "urn:uuid:doc-1"}}}}}}};
    return {{"resourceType", "Bundle"},
            {"type", "transaction"},
            {"meta", {{"profile", {"https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.ProvideBundle"}}}},
            {"entry", {{{"fullUrl", "urn:uuid:ss-1"}, {"resource", list}, {"request", {{"method", "POST"}, {"url", "List"}}}},
                       {{"fullUrl", "urn:uuid:doc-1"}, {"resource", doc}, {"request", {{"method", "POST"}, {"url", "DocumentReference"}}}},
                       {{"fullUrl", "urn:uuid:bin-1"},
                        {"resource", {{"resourceType", "Binary"}, {"contentType", "application/pdf"}, {"data", base64_encode(bytes)}}},
                        {"request", {{"method", "POST"}, {"url", "Binary"}}}}}}};
  }
  // Publishes and returns the new DocumentReference's id.
  std::string publish(const std::string& who, const std::string& bytes, const std::string& title,
                      const json& extra = json::object()) {
    auto r = call("POST", "/fhir/r4", who, provide_bundle(bytes, title, extra).dump());
    EXPECT_EQ(r->status, 200) << r->body;
    json out = json::parse(r->body);
    EXPECT_EQ(out["type"], "transaction-response");
    for (const auto& e : out["entry"]) EXPECT_EQ(e["response"]["status"], "201 Created");
    std::string location = out["entry"][1]["response"]["location"];  // same order as the request
    return location.substr(18, location.find('/', 18) - 18);
  }
  int count(const std::string& search, const std::string& who) {
    auto r = call("GET", "/fhir/r4/" + search + (search.find('?') == std::string::npos ? "?" : "&") + "_total=accurate", who);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["total"];
  }

  std::string space_, patient_, claire_, marc_;
  int serial_ = 0;
};

TEST_F(Documents, DischargeLetterPublishedFoundDownloadedHiddenAndReplaced) {
  std::string letter = pdf(300 * 1024);  // large enough to stream through the spool
  std::string doc_id = publish(claire_, letter, "Lettre de sortie – Hôpital Édouard Herriot.pdf");
  // Jean is told a document was added.
  for (int i = 0; i < 100 && notices("document_added") == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("document_added"), 1);

  // ITI-67: Jean finds it; the attachment names its Binary, with the bytes' size and SHA-1.
  auto found = call("GET", "/fhir/r4/DocumentReference?patient=" + patient_ + "&status=current", jean_);
  ASSERT_EQ(found->status, 200) << found->body;
  json set = json::parse(found->body);
  ASSERT_EQ(set["entry"].size(), 1u);
  json doc = set["entry"][0]["resource"];
  EXPECT_EQ(doc["id"], doc_id);
  json attachment = doc["content"][0]["attachment"];
  EXPECT_EQ(attachment["size"], letter.size());
  EXPECT_EQ(attachment["hash"], sha1_b64(letter));
  std::string url = attachment["url"];
  ASSERT_EQ(url.rfind("Binary/", 0), 0u) << url;
  // ...by category, type, date, author-free text of the title (any case and accents).
  EXPECT_EQ(count("DocumentReference?patient=" + patient_ + "&type=http://loinc.org|11490-0&category=10", jean_), 1);
  EXPECT_EQ(count("DocumentReference?date=ge2026-11-01&date=lt2026-12-01", jean_), 1);
  EXPECT_EQ(count("DocumentReference?title=herriot", jean_), 1);
  EXPECT_EQ(count("DocumentReference?title=HOPITAL%20edouard", jean_), 1);
  EXPECT_EQ(count("DocumentReference?title=radiologie", jean_), 0);
  // ITI-66: the submission set.
  EXPECT_EQ(count("List?patient=" + patient_ + "&code=submissionset&status=current", jean_), 1);
  EXPECT_EQ(count("List?sourceId=urn:oid:1.2.250.1.999.1", jean_), 1);

  // ITI-68: identical bytes, with the document's type and a safe file name.
  auto bytes = call("GET", "/fhir/r4/" + url, jean_);
  ASSERT_EQ(bytes->status, 200);
  EXPECT_EQ(bytes->header("content-type"), "application/pdf");
  EXPECT_EQ(sha1_b64(bytes->body), sha1_b64(letter));
  EXPECT_EQ(bytes->body, letter);
  EXPECT_NE(bytes->header("content-disposition").find("attachment; filename=\"Lettre de sortie _ H_pital _douard Herriot.pdf\""),
            std::string::npos)
      << bytes->header("content-disposition");
  EXPECT_NE(bytes->header("content-security-policy").find("sandbox"), std::string::npos);
  // The FHIR form of the Binary carries the same bytes as base64.
  auto as_fhir = call("GET", "/fhir/r4/" + url, jean_, "", {"Accept: application/fhir+json"});
  ASSERT_EQ(as_fhir->status, 200);
  json binary = json::parse(as_fhir->body);
  EXPECT_EQ(binary["contentType"], "application/pdf");
  EXPECT_EQ(base64_decode(binary["data"].get<std::string>()), letter);

  // The pharmacist may see reports: he sees it, until Jean hides it.
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + doc_id, marc_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/" + url, marc_)->status, 200);
  EXPECT_EQ(api("PUT", "/api/v1/care/hidden/DocumentReference/" + doc_id, jean_,
                R"({"from_professionals":true,"from_representatives":false})")->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + doc_id, marc_)->status, 404);
  EXPECT_EQ(call("GET", "/fhir/r4/" + url, marc_)->status, 404);  // nor its bytes
  EXPECT_EQ(count("DocumentReference?patient=" + patient_, marc_), 0);
  // Its author still sees it, and Jean of course.
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + doc_id, claire_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/" + url, claire_)->body, letter);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + doc_id, jean_)->status, 200);

  // A corrected letter replaces it: the old one is superseded, both kept.
  std::string corrected = pdf(40 * 1024, 2);
  json replaces = {{"relatesTo", {{{"code", "replaces"}, {"target", {{"reference", "DocumentReference/" + doc_id}}}}}}};
  EXPECT_EQ(call("POST", "/fhir/r4", marc_, provide_bundle(corrected, "x.pdf", replaces).dump())->status, 404);  // hidden from him: as if absent
  std::string new_id = publish(claire_, corrected, "Lettre de sortie (corrigée).pdf", replaces);
  json old_doc = json::parse(call("GET", "/fhir/r4/DocumentReference/" + doc_id, jean_)->body);
  EXPECT_EQ(old_doc["status"], "superseded");
  EXPECT_EQ(call("GET", "/fhir/r4/" + url, jean_)->body, letter);  // the old bytes are kept
  json current = json::parse(call("GET", "/fhir/r4/DocumentReference?patient=" + patient_ + "&status=current", jean_)->body);
  ASSERT_EQ(current["entry"].size(), 1u);
  EXPECT_EQ(current["entry"][0]["resource"]["id"], new_id);
  EXPECT_EQ(count("DocumentReference?relatesto=DocumentReference/" + doc_id, jean_), 1);
  // Replacing twice is refused.
  EXPECT_EQ(call("POST", "/fhir/r4", claire_, provide_bundle(corrected, "again.pdf", replaces).dump())->status, 409);

  // Deletion: Jean deletes his own upload, not the GP's letter; the GP deletes hers.
  auto own = call("POST", "/fhir/r4/DocumentReference", jean_,
                  json{{"resourceType", "DocumentReference"}, {"status", "current"}, {"subject", {{"reference", patient_}}},
                       {"content", {{{"attachment", {{"contentType", "text/plain"}, {"title", "Mes notes.txt"},
                                                     {"data", base64_encode("Tension prise le matin : 12/8.\n")}}}}}}}
                      .dump());
  ASSERT_EQ(own->status, 201) << own->body;
  json own_doc = json::parse(own->body);
  std::string own_binary = own_doc["content"][0]["attachment"]["url"];  // ITI-105 style: the server made the Binary
  EXPECT_EQ(count("List?code=submissionset&item=DocumentReference/" + std::string(own_doc["id"]), jean_), 1);  // and a submission set
  EXPECT_EQ(call("GET", "/fhir/r4/" + own_binary, jean_)->body, "Tension prise le matin : 12/8.\n");
  EXPECT_EQ(call("DELETE", "/fhir/r4/DocumentReference/" + new_id, jean_)->status, 403);
  EXPECT_EQ(call("DELETE", "/fhir/r4/DocumentReference/" + std::string(own_doc["id"]), jean_)->status, 204);
  EXPECT_EQ(call("DELETE", "/fhir/r4/DocumentReference/" + new_id, claire_)->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + new_id, jean_)->status, 410);
}

TEST_F(Documents, WithheldResultFollowsItsTimeline) {
  std::ofstream(d_.dir().file("clock")) << "0s\n";
  // A lab result published with ITI-105 (inline data), not visible to the patient until the
  // announcement consultation.
  std::string result = pdf(20 * 1024, 3);
  json doc = {{"resourceType", "DocumentReference"},
              {"status", "current"},
              {"masterIdentifier", {{"system", "urn:ietf:rfc:3986"}, {"value", "urn:oid:1.2.250.1.999.7"}}},
              {"type", {{"coding", {{{"system", "http://loinc.org"}, {"code", "11502-2"}}}}}},
              {"subject", {{"reference", patient_}}},
              {"securityLabel", {{{"coding", {{{"system", kVisibility}, {"code", "INVISIBLE_PATIENT"}}}}}}},
              {"content", {{{"attachment", {{"contentType", "application/pdf"}, {"title", "Résultats.pdf"},
                                            {"data", base64_encode(result)}, {"size", result.size()}, {"hash", sha1_b64(result)}}}}}}};
  auto r = call("POST", "/fhir/r4/DocumentReference", claire_, doc.dump());
  ASSERT_EQ(r->status, 201) << r->body;
  json created = json::parse(r->body);
  std::string id = created["id"];
  std::string url = created["content"][0]["attachment"]["url"];
  EXPECT_FALSE(created["content"][0]["attachment"].contains("data"));

  // Jean neither finds nor reads it, nor its bytes; he is not told yet.
  EXPECT_EQ(count("DocumentReference", jean_), 0);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + id, jean_)->status, 404);
  EXPECT_EQ(call("GET", "/fhir/r4/" + url, jean_)->status, 404);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + id, claire_)->status, 200);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(notices("document_added"), 0);
  EXPECT_EQ(notices("document_awaiting"), 0);

  // Two weeks later: "a document awaits you", once.
  set_clock("15d");
  for (int i = 0; i < 100 && notices("document_awaiting") == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("document_awaiting"), 1);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + id, jean_)->status, 404);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(notices("document_awaiting"), 1);

  // A month later it is visible, and Jean is told.
  set_clock("31d");
  for (int i = 0; i < 100 && notices("document_released") == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("document_released"), 1);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + id, jean_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/" + url, jean_)->body, result);
  EXPECT_EQ(count("DocumentReference", jean_), 1);

  // The author may release a result earlier, by dropping the label after the consultation.
  std::string second = pdf(5000, 4);
  doc["masterIdentifier"]["value"] = "urn:oid:1.2.250.1.999.8";
  doc["content"][0]["attachment"] = {{"contentType", "application/pdf"}, {"data", base64_encode(second)}};
  auto r2 = call("POST", "/fhir/r4/DocumentReference", claire_, doc.dump());
  ASSERT_EQ(r2->status, 201) << r2->body;
  json held = json::parse(r2->body);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + std::string(held["id"]), jean_)->status, 404);
  held.erase("securityLabel");
  EXPECT_EQ(call("PUT", "/fhir/r4/DocumentReference/" + std::string(held["id"]), claire_, held.dump())->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + std::string(held["id"]), jean_)->status, 200);
  for (int i = 0; i < 100 && notices("document_released") < 2; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("document_released"), 2);
}

TEST_F(Documents, HostileFilesAreRefusedAndLeaveNothing) {
  auto post_doc = [&](const std::string& type, const std::string& bytes, const std::string& title = "x") {
    json doc = {{"resourceType", "DocumentReference"}, {"status", "current"}, {"subject", {{"reference", patient_}}},
                {"content", {{{"attachment", {{"contentType", type}, {"title", title}, {"data", base64_encode(bytes)}}}}}}};
    return call("POST", "/fhir/r4/DocumentReference", jean_, doc.dump());
  };
  size_t files_before = stored_blobs(d_.data_dir());
  // A script renamed .pdf; an executable; HTML as text; zero bytes; an unknown type.
  auto script = post_doc("application/pdf", "#!/bin/sh\nrm -rf ~\n", "facture.pdf");
  EXPECT_EQ(script->status, 400);
  EXPECT_NE(script->body.find("un script"), std::string::npos) << script->body;
  EXPECT_EQ(post_doc("application/pdf", "MZ\x90\x00\x03\x00\x00\x00")->status, 400);
  EXPECT_EQ(post_doc("text/plain", "<html><script>alert(1)</script></html>")->status, 400);
  auto empty = post_doc("application/pdf", "");
  EXPECT_EQ(empty->status, 400) << empty->body;
  EXPECT_EQ(post_doc("application/x-msdownload", "MZ")->status, 400);
  // Over the limit (2,000,000 bytes here): streamed and cut, whether inline or raw.
  auto big = post_doc("application/pdf", pdf(2'100'000));
  EXPECT_EQ(big->status, 413) << big->body;
  std::string huge = pdf(2'100'000);
  auto raw = http_request(d_.port(), "POST", "/fhir/r4/Binary", huge, {jean_, "Content-Type: application/pdf"});
  EXPECT_EQ(raw->status, 413) << raw->body;
  // No credentials: refused before the body is read.
  {
    Conn c(d_.port());
    ASSERT_TRUE(c.send("POST /fhir/r4/Binary HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                       "Content-Length: 10000000\r\n\r\n%PDF-1.4\n"));
    auto anonymous = c.read_response();
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401);
  }
  // Invalid UTF-8 in the metadata; data that is not base64; a size or hash that do not match.
  std::string bad_utf8 = R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient_ +
                         R"("},"content":[{"attachment":{"contentType":"application/pdf","title":"\xC3\x28","data":"JVBERi0xLjQK"}}]})";
  EXPECT_EQ(call("POST", "/fhir/r4/DocumentReference", jean_, bad_utf8)->status, 400);
  std::string not_b64 = R"({"resourceType":"Binary","contentType":"application/pdf","data":"JVBER!!!"})";
  EXPECT_EQ(call("POST", "/fhir/r4/Binary", jean_, not_b64)->status, 400);
  json bundle = provide_bundle(pdf(10000), "a.pdf");
  bundle["entry"][1]["resource"]["content"][0]["attachment"]["size"] = 9999;
  auto wrong_size = call("POST", "/fhir/r4", claire_, bundle.dump());
  EXPECT_EQ(wrong_size->status, 400) << wrong_size->body;
  EXPECT_NE(wrong_size->body.find("incomplete"), std::string::npos) << wrong_size->body;
  bundle = provide_bundle(pdf(10000), "a.pdf");
  bundle["entry"][1]["resource"]["content"][0]["attachment"]["hash"] = sha1_b64("something else");
  EXPECT_EQ(call("POST", "/fhir/r4", claire_, bundle.dump())->status, 400);
  // The same with the document inline (ITI-105): checked against the bytes received.
  std::string letter = pdf(10000);
  json inline_doc = {{"resourceType", "DocumentReference"},
                     {"status", "current"},
                     {"subject", {{"reference", patient_}}},
                     {"content", {{{"attachment", {{"contentType", "application/pdf"}, {"data", base64_encode(letter)},
                                                   {"size", letter.size() - 1}}}}}}};
  auto inline_size = call("POST", "/fhir/r4/DocumentReference", claire_, inline_doc.dump());
  EXPECT_EQ(inline_size->status, 400) << inline_size->body;
  EXPECT_NE(inline_size->body.find("incomplete"), std::string::npos) << inline_size->body;
  inline_doc["content"][0]["attachment"].erase("size");
  inline_doc["content"][0]["attachment"]["hash"] = sha1_b64("something else");
  EXPECT_EQ(call("POST", "/fhir/r4/DocumentReference", claire_, inline_doc.dump())->status, 400);
  inline_doc["content"][0]["attachment"].erase("hash");
  inline_doc["content"][0]["attachment"]["contentType"] = "image/png";
  EXPECT_EQ(call("POST", "/fhir/r4/DocumentReference", claire_, inline_doc.dump())->status, 400);
  // A truncated upload: the connection drops mid-body.
  {
    std::string body = provide_bundle(pdf(500000), "t.pdf").dump();
    Conn c(d_.port());
    ASSERT_TRUE(c.send("POST /fhir/r4 HTTP/1.1\r\nHost: x\r\n" + claire_ + "\r\nContent-Type: application/fhir+json\r\n"
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2)));
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(300ms);
  // Nothing was stored, and no bytes were left behind.
  EXPECT_EQ(count("DocumentReference", jean_), 0);
  EXPECT_EQ(count("Binary", jean_), 0);
  EXPECT_EQ(stored_blobs(d_.data_dir()), files_before);

  // A path-like title is kept as the title, but never used as a path: the download's file
  // name is cleaned.
  auto sneaky = post_doc("application/pdf", pdf(2000), "../../etc/passwd\r\nX-Injected: 1");
  ASSERT_EQ(sneaky->status, 201) << sneaky->body;
  std::string url = json::parse(sneaky->body)["content"][0]["attachment"]["url"];
  auto dl = call("GET", "/fhir/r4/" + url, jean_);
  EXPECT_EQ(dl->header("content-disposition").find("attachment; filename=\"passwd X-Injected 1.pdf\""), 0u)
      << dl->header("content-disposition");
  EXPECT_TRUE(dl->header("x-injected").empty());
  EXPECT_EQ(stored_blobs(d_.data_dir()), files_before + 1);
}

TEST_F(Documents, MedicalProfileMeasurementsAndPatientSummary) {
  auto measure = [&](const std::string& who, const std::string& code, double value, const std::string& unit) {
    json obs = json::parse(R"({"resourceType":"Observation","status":"final","category":[{"coding":[{"system":)"
                           R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
                           R"("effectiveDateTime":"2026-11-21T08:00:00+01:00"})");
    obs["code"] = {{"coding", {{{"system", "http://loinc.org"}, {"code", code}}}}};
    obs["subject"] = {{"reference", patient_}};
    obs["valueQuantity"] = {{"value", value}, {"unit", unit}, {"system", "http://unitsofmeasure.org"}, {"code", unit}};
    return call("POST", "/fhir/r4/Observation", who, obs.dump());
  };
  // Wrong units, and impossible values, are refused with a clear message.
  auto metres = measure(jean_, "29463-7", 72, "m");
  EXPECT_EQ(metres->status, 400);
  EXPECT_NE(metres->body.find("n'est pas une unité de poids"), std::string::npos) << metres->body;
  EXPECT_EQ(measure(jean_, "8867-4", 72, "mm[Hg]")->status, 400);
  EXPECT_EQ(measure(jean_, "8302-2", -4, "cm")->status, 400);
  json no_ucum = json::parse(R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org",)"
                             R"("code":"29463-7"}]},"valueQuantity":{"value":72,"unit":"kilos"}})");
  no_ucum["subject"] = {{"reference", patient_}};
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, no_ucum.dump())->status, 400);
  json bp = json::parse(R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},)"
                        R"("component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},)"
                        R"("valueQuantity":{"value":128,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},)"
                        R"({"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},)"
                        R"("valueQuantity":{"value":82,"system":"http://unitsofmeasure.org","code":"kPa"}}]})");
  bp["subject"] = {{"reference", patient_}};
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, bp.dump())->status, 400);
  bp["component"][1]["valueQuantity"]["code"] = "mm[Hg]";
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, bp.dump())->status, 201);

  // Weight by Jean, height by his GP: the BMI is computed, and each says who entered it.
  auto w = measure(jean_, "29463-7", 81, "kg");
  ASSERT_EQ(w->status, 201) << w->body;
  EXPECT_EQ(json::parse(w->body)["performer"][0]["reference"], patient_);
  auto h = measure(claire_, "8302-2", 180, "cm");
  ASSERT_EQ(h->status, 201) << h->body;
  EXPECT_EQ(json::parse(h->body)["performer"][0]["reference"].get<std::string>().rfind("Practitioner/", 0), 0u);
  json bmi = json::parse(call("GET", "/fhir/r4/Observation?code=http://loinc.org|39156-5", jean_)->body);
  ASSERT_EQ(bmi["entry"].size(), 1u) << bmi.dump();
  EXPECT_EQ(bmi["entry"][0]["resource"]["valueQuantity"]["value"], 25.0);
  EXPECT_EQ(bmi["entry"][0]["resource"]["valueQuantity"]["code"], "kg/m2");
  EXPECT_EQ(bmi["entry"][0]["resource"]["derivedFrom"].size(), 2u);

  // The profile: an allergy, a problem, a treatment, a vaccination.
  auto add = [&](const std::string& who, const json& r) {
    auto resp = call("POST", "/fhir/r4/" + r["resourceType"].get<std::string>(), who, r.dump());
    EXPECT_EQ(resp->status, 201) << resp->body;
    return json::parse(resp->body);
  };
  json allergy = add(jean_, {{"resourceType", "AllergyIntolerance"}, {"patient", {{"reference", patient_}}},
                             {"code", {{"text", "Pénicilline"}}}});
  EXPECT_EQ(allergy["recorder"]["reference"], patient_);
  add(claire_, {{"resourceType", "Condition"}, {"subject", {{"reference", patient_}}}, {"code", {{"text", "Asthme <léger>"}}}});
  add(claire_, {{"resourceType", "MedicationStatement"}, {"status", "active"}, {"subject", {{"reference", patient_}}},
                {"medicationCodeableConcept", {{"text", "Salbutamol 100 µg"}}}});
  add(claire_, {{"resourceType", "Immunization"}, {"status", "completed"}, {"patient", {{"reference", patient_}}},
                {"vaccineCode", {{"text", "Grippe saisonnière"}}}, {"occurrenceDateTime", "2026-10-15"}});

  // Jean's summary holds all of it, Composition first.
  auto mine = call("GET", "/fhir/r4/Patient/$summary", jean_);
  ASSERT_EQ(mine->status, 200) << mine->body;
  json doc = json::parse(mine->body);
  EXPECT_EQ(doc["type"], "document");
  json composition = doc["entry"][0]["resource"];
  EXPECT_EQ(composition["resourceType"], "Composition");
  EXPECT_EQ(composition["type"]["coding"][0]["code"], "60591-5");
  std::map<std::string, size_t> by_section;
  for (const auto& sec : composition["section"]) by_section[sec["code"]["coding"][0]["code"]] = sec.value("entry", json::array()).size();
  EXPECT_EQ(by_section["48765-2"], 1u);  // allergies
  EXPECT_EQ(by_section["11450-4"], 1u);  // problems
  EXPECT_EQ(by_section["10160-0"], 1u);  // medications
  EXPECT_EQ(by_section["11369-6"], 1u);  // immunizations
  EXPECT_EQ(by_section["30954-2"], 4u);  // results: blood pressure, weight, height, BMI
  EXPECT_NE(mine->body.find("Asthme &lt;léger&gt;"), std::string::npos);  // narrative escaped
  // The pharmacist's summary holds what his profession may see: not the vaccinations nor
  // the treatments administered (national matrix), said as withheld.
  auto his = call("GET", "/fhir/r4/Patient/" + space_ + "/$summary", marc_);
  ASSERT_EQ(his->status, 200) << his->body;
  json pharma = json::parse(his->body)["entry"][0]["resource"];
  for (const auto& sec : pharma["section"]) {
    std::string code = sec["code"]["coding"][0]["code"];
    if (code == "11369-6" || code == "10160-0") {
      EXPECT_FALSE(sec.contains("entry")) << code;
      EXPECT_EQ(sec["emptyReason"]["coding"][0]["code"], "withheld");
    }
    if (code == "48765-2") {
      EXPECT_EQ(sec["entry"].size(), 1u);
    }
  }
  // Sophie (another holder) gets nothing of Jean's.
  EXPECT_EQ(call("GET", "/fhir/r4/Patient/" + space_ + "/$summary", sophie_)->status, 403);
}

// A new weight's BMI uses the latest height (by when it was measured) that its author may see,
// however the heights were added, edited, deleted or hidden (profile/profile_hooks.cpp keeps
// the latest height on write).
TEST_F(Documents, BodyMassIndexUsesTheLatestHeightItsAuthorMaySee) {
  auto observation = [&](const std::string& code, double value, const std::string& unit, const std::string& when) {
    return json{{"resourceType", "Observation"},
                {"status", "final"},
                {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", code}}}}}},
                {"subject", {{"reference", patient_}}},
                {"effectiveDateTime", when},
                {"valueQuantity", {{"value", value}, {"unit", unit}, {"system", "http://unitsofmeasure.org"}, {"code", unit}}}};
  };
  auto measure = [&](const std::string& who, const std::string& code, double value, const std::string& unit,
                     const std::string& when) {
    auto r = call("POST", "/fhir/r4/Observation", who, observation(code, value, unit, when).dump());
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body);
  };
  // The BMI derived from a weight, and the height it used ("" when there is none).
  auto bmi_of = [&](const json& weight) -> std::pair<double, std::string> {
    json all = json::parse(call("GET", "/fhir/r4/Observation?code=http://loinc.org|39156-5&_count=100", jean_)->body);
    for (const auto& e : all.value("entry", json::array())) {
      const json& derived = e["resource"]["derivedFrom"];
      if (derived[0]["reference"] == "Observation/" + weight["id"].get<std::string>()) {
        return {e["resource"]["valueQuantity"]["value"].get<double>(), derived[1]["reference"]};
      }
    }
    return {0, ""};
  };
  auto ref = [](const json& r) { return "Observation/" + r["id"].get<std::string>(); };

  // No height yet: a weight has no BMI.
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 70, "kg", "2026-01-01")).second, "");
  json h2020 = measure(jean_, "8302-2", 170, "cm", "2020-01-01");
  json h2025 = measure(jean_, "8302-2", 180, "cm", "2025-01-01");
  json h2010 = measure(jean_, "8302-2", 160, "cm", "2010-01-01");  // entered later, measured earlier
  auto b = bmi_of(measure(jean_, "29463-7", 81, "kg", "2026-02-01"));
  EXPECT_EQ(b, std::make_pair(25.0, ref(h2025)));

  // Hidden from professionals: Claire's own weight uses the latest height she may see.
  ASSERT_EQ(api("PUT", "/api/v1/care/hidden/Observation/" + h2025["id"].get<std::string>(), jean_,
                R"({"from_professionals":true,"from_representatives":false})")->status, 204);
  EXPECT_EQ(bmi_of(measure(claire_, "29463-7", 72.25, "kg", "2026-02-02")), std::make_pair(25.0, ref(h2020)));
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 81, "kg", "2026-02-03")).second, ref(h2025));

  // The latest deleted: the one before it.
  ASSERT_EQ(call("DELETE", "/fhir/r4/Observation/" + h2025["id"].get<std::string>(), jean_)->status, 204);
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 72.25, "kg", "2026-03-01")), std::make_pair(25.0, ref(h2020)));

  // Entered in error: no longer the latest; corrected back: the latest again.
  json wrong = h2020;
  wrong["status"] = "entered-in-error";
  ASSERT_EQ(call("PUT", "/fhir/r4/Observation/" + h2020["id"].get<std::string>(), jean_, wrong.dump())->status, 200);
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 64, "kg", "2026-04-01")), std::make_pair(25.0, ref(h2010)));
  wrong["status"] = "final";
  ASSERT_EQ(call("PUT", "/fhir/r4/Observation/" + h2020["id"].get<std::string>(), jean_, wrong.dump())->status, 200);
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 72.25, "kg", "2026-05-01")).second, ref(h2020));

  // A height edited into another kind of measure is no longer one.
  json hr = json::parse(call("GET", "/fhir/r4/Observation/" + h2020["id"].get<std::string>(), jean_)->body);
  hr["code"]["coding"][0]["code"] = "8867-4";
  hr["valueQuantity"] = {{"value", 60}, {"unit", "/min"}, {"system", "http://unitsofmeasure.org"}, {"code", "/min"}};
  ASSERT_EQ(call("PUT", "/fhir/r4/Observation/" + h2020["id"].get<std::string>(), jean_, hr.dump())->status, 200);
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 64, "kg", "2026-06-01")).second, ref(h2010));

  // The last one deleted: no BMI.
  ASSERT_EQ(call("DELETE", "/fhir/r4/Observation/" + h2010["id"].get<std::string>(), jean_)->status, 204);
  EXPECT_EQ(bmi_of(measure(jean_, "29463-7", 64, "kg", "2026-07-01")).second, "");

  // In one transaction Bundle: a weight, a height, a weight. The height gets its index with
  // the first weight, and the second weight uses the height written just before it.
  auto entry = [&](const std::string& code, double value, const std::string& unit, const std::string& when) {
    return json{{"resource", observation(code, value, unit, when)}, {"request", {{"method", "POST"}, {"url", "Observation"}}}};
  };
  json bundle = {{"resourceType", "Bundle"},
                 {"type", "transaction"},
                 {"entry", {entry("29463-7", 70, "kg", "2026-08-01"), entry("8302-2", 175, "cm", "2026-08-02"),
                            entry("29463-7", 76.5625, "kg", "2026-08-03")}}};
  auto r = call("POST", "/fhir/r4", jean_, bundle.dump());
  ASSERT_EQ(r->status, 200) << r->body;
  json done = json::parse(r->body);
  auto id_of = [&](int i) {
    std::string location = done["entry"][i]["response"]["location"];  // Observation/<id>/_history/1
    return json{{"id", location.substr(12, location.find('/', 12) - 12)}};
  };
  std::string height = "Observation/" + id_of(1)["id"].get<std::string>();
  EXPECT_EQ(bmi_of(id_of(0)), std::make_pair(22.9, height));  // the height's own, with the latest weight
  EXPECT_EQ(bmi_of(id_of(2)), std::make_pair(25.0, height));

  // A device's upload: the height read once serves the weights after it, until a newer one.
  bundle["entry"] = {entry("29463-7", 61.25, "kg", "2026-09-01"), entry("29463-7", 91.875, "kg", "2026-09-02"),
                     entry("8302-2", 200, "cm", "2026-09-03"), entry("29463-7", 100, "kg", "2026-09-04"),
                     entry("29463-7", 120, "kg", "2026-09-05")};
  r = call("POST", "/fhir/r4", jean_, bundle.dump());
  ASSERT_EQ(r->status, 200) << r->body;
  done = json::parse(r->body);
  // The BMI derived from this weight and this height (0: none).
  auto bmi_with = [&](const json& weight, const std::string& height_ref) {
    json all = json::parse(call("GET", "/fhir/r4/Observation?code=http://loinc.org|39156-5&_count=100", jean_)->body);
    for (const auto& e : all.value("entry", json::array())) {
      const json& derived = e["resource"]["derivedFrom"];
      if (derived[0]["reference"] == ref(weight) && derived[1]["reference"] == height_ref) {
        return e["resource"]["valueQuantity"]["value"].get<double>();
      }
    }
    return 0.0;
  };
  std::string tall = ref(id_of(2));
  EXPECT_EQ(bmi_with(id_of(0), height), 20.0);
  EXPECT_EQ(bmi_with(id_of(1), height), 30.0);
  EXPECT_EQ(bmi_with(id_of(1), tall), 23.0);  // the new height's own, with the latest weight
  EXPECT_EQ(bmi_with(id_of(3), tall), 25.0);
  EXPECT_EQ(bmi_with(id_of(4), tall), 30.0);
  EXPECT_EQ(bmi_with(id_of(4), height), 0.0);
}

TEST_F(Documents, ConfidentialDocumentOfAMinorIsHiddenFromRepresentatives) {
  // Léa is Jean's daughter; her GP files a document confidential from her legal
  // representatives (INVISIBLE_REPRESENTANTS_LEGAUX).
  json spaces = json::parse(api("GET", "/api/v1/spaces", jean_)->body)["spaces"];
  std::string lea;
  for (const auto& sp : spaces) {
    if (sp["role"] == "representative") lea = sp["space_id"];
  }
  ASSERT_FALSE(lea.empty());
  // Her space opens to professionals once the opposition window has passed.
  set_clock("43d");
  int status = 0;
  for (int i = 0; i < 100 && status != 204; ++i) {
    status = api("POST", "/api/v1/care/spaces/" + lea + "/care-team", claire_)->status;
    if (status != 204) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(status, 204);
  auto add = [&](bool confidential) {
    json doc = {{"resourceType", "DocumentReference"}, {"status", "current"}, {"subject", {{"reference", "Patient/" + lea}}},
                {"type", {{"coding", json::array({{{"system", "http://loinc.org"}, {"code", "11488-4"}}})}}},
                {"content", json::array({{{"attachment", {{"contentType", "text/plain"}, {"data", base64_encode("Consultation.\n")}}}}})}};
    if (confidential) {
      doc["securityLabel"] = json::array({{{"coding", json::array({{{"system", kVisibility}, {"code", "INVISIBLE_REPRESENTANTS_LEGAUX"}}})}}});
    }
    auto r = call("POST", "/fhir/r4/DocumentReference", claire_, doc.dump());
    EXPECT_EQ(r->status, 201) << r->body;
    json created = json::parse(r->body);
    return std::make_pair(std::string(created["id"]), std::string(created["content"][0]["attachment"]["url"]));
  };
  auto [open_id, open_url] = add(false);
  auto [secret_id, secret_url] = add(true);
  ASSERT_EQ(call("POST", "/api/v1/spaces/" + lea + "/switch", jean_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + open_id, jean_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + secret_id, jean_)->status, 404);
  EXPECT_EQ(call("GET", "/fhir/r4/" + secret_url, jean_)->status, 404);
  EXPECT_EQ(count("DocumentReference", jean_), 1);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + secret_id, claire_)->status, 200);
}

TEST_F(Documents, ReferenceDataContactsAndOrganDonation) {
  // The portal's list of document types, in French.
  auto types = http_request(d_.port(), "GET", "/api/v1/documents/types", "");
  ASSERT_EQ(types->status, 200);
  json t = json::parse(types->body);
  bool found = false;
  for (const auto& x : t["types"]) found = found || (x["code"] == "11490-0" && x["label"].get<std::string>().find("sortie") != std::string::npos);
  EXPECT_TRUE(found);
  EXPECT_EQ(t["max_document_bytes"], 2000000);
  // People to contact, on Jean's own Patient resource.
  json me = {{"resourceType", "Patient"}, {"id", space_},
             {"contact", json::array({{{"relationship", json::array({{{"text", "Épouse"}}})},
                                       {"name", {{"family", "Martin"}, {"given", json::array({"Sophie"})}}},
                                       {"telecom", json::array({{{"system", "phone"}, {"value", "06 12 34 56 78"}}})}}})}};
  auto put = call("PUT", "/fhir/r4/Patient/" + space_, jean_, me.dump());
  ASSERT_EQ(put->status, 201) << put->body;
  EXPECT_EQ(call("PUT", "/fhir/r4/Patient/" + space_, claire_, me.dump())->status, 403);  // his identity is his
  // The organ-donation choice.
  json choice = {{"resourceType", "Observation"}, {"status", "final"}, {"subject", {{"reference", patient_}}},
                 {"code", {{"coding", json::array({{{"system", "http://loinc.org"}, {"code", "44788-8"}}})}, {"text", "Don d'organes"}}},
                 {"valueCodeableConcept", {{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v2-0316"}, {"code", "Y"}}})}}}};
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, choice.dump())->status, 201);
  choice["valueCodeableConcept"]["coding"][0]["code"] = "peut-être";
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, choice.dump())->status, 400);
  json summary = json::parse(call("GET", "/fhir/r4/Patient/$summary", jean_)->body);
  EXPECT_EQ(summary["entry"][1]["resource"]["contact"][0]["name"]["family"], "Martin");
}

}  // namespace
}  // namespace carnet::itest
