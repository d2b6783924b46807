// FHIR validation, search, conditional create, batch/transaction Bundles, type history and
// the no-plaintext rule, over HTTP.
#include <csignal>
#include <map>
#include <set>

#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

class FhirSearch : public Fhir {
 protected:
  void SetUp() override {
    Fhir::SetUp();
    patient_ = own_patient(jean_, json::parse(
        R"({"resourceType":"Patient","name":[{"family":"Zyxwquartz","given":["Jean"]}],"gender":"male",)"
        R"("identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"180057512345678"}]})"));
  }
  std::string observation(const std::string& code, const std::string& date, const std::string& extra = "") {
    return R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" + code +
           R"("}]},"subject":{"reference":")" + patient_ + R"("},"effectiveDateTime":")" + date + "\"" + extra + "}";
  }
  std::string create(const std::string& body, const std::string& type = "Observation") {
    auto r = call("POST", "/fhir/r4/" + type, jean_, body);
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body).value("id", "");
  }
  json search(const std::string& query, const std::string& auth = "", std::vector<std::string> headers = {}) {
    auto r = call("GET", "/fhir/r4/" + query, auth.empty() ? jean_ : auth, "", std::move(headers));
    EXPECT_EQ(r->status, 200) << query << " " << r->body;
    return json::parse(r->body);
  }
  static std::set<std::string> ids(const json& bundle, const std::string& mode = "match") {
    std::set<std::string> out;
    for (const auto& e : bundle.value("entry", json::array())) {
      if (e["search"]["mode"] == mode) out.insert(std::string(e["resource"]["id"]));
    }
    return out;
  }
  // The path and query of an absolute link.
  static std::string relative(const std::string& url) { return url.substr(url.find("/fhir/r4/") + 9); }
  std::string patient_;
};

TEST_F(FhirSearch, ValidationRejectsWithExpressions) {
  auto bad = call("POST", "/fhir/r4/Observation", jean_,
                  R"({"resourceType":"Observation","code":{"text":"x"},"effectiveDateTime":"2024-13-01",)"
                  R"("subject":{"reference":"Medication/1"},"colour":"blue","valueQuantity":{"value":"5"}})");
  ASSERT_EQ(bad->status, 422) << bad->body;
  std::map<std::string, std::string> issues;
  json outcome = json::parse(bad->body);  // kept alive for the loop
  for (const auto& i : outcome["issue"]) issues[i["expression"][0].get<std::string>()] = i["code"].get<std::string>();
  EXPECT_EQ(issues["Observation.status"], "required");
  EXPECT_EQ(issues["Observation.effectiveDateTime"], "value");
  EXPECT_EQ(issues["Observation.subject.reference"], "value");
  EXPECT_EQ(issues["Observation.colour"], "structure");
  EXPECT_EQ(issues["Observation.valueQuantity.value"], "value");
  auto code = call("POST", "/fhir/r4/Observation", jean_, R"({"resourceType":"Observation","status":"done","code":{"text":"x"}})");
  ASSERT_EQ(code->status, 422);
  EXPECT_EQ(json::parse(code->body)["issue"][0]["code"], "code-invalid");
  auto card = call("POST", "/fhir/r4/Patient", jean_, R"({"resourceType":"Patient","gender":["male"]})");
  EXPECT_EQ(card->status, 422);
  auto script = call("POST", "/fhir/r4/Patient", jean_,
                     R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>"}})");
  EXPECT_EQ(script->status, 422);
  auto contained = call("POST", "/fhir/r4/Observation", jean_,
                        R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"Patient","birthDate":"1980-02-30"}]})");
  ASSERT_EQ(contained->status, 422);
  EXPECT_EQ(json::parse(contained->body)["issue"][0]["expression"][0], "Observation.contained[0].birthDate");
  // Nothing was stored by the failures.
  EXPECT_FALSE(search("Observation?_summary=count")["total"] != 0);
}

TEST_F(FhirSearch, TokensDatesReferencesAndIdentifiers) {
  std::string a = create(observation("29463-7", "2024-03-05T10:00:00+01:00"));
  std::string b = create(observation("29463-7", "2024-04-01"));
  std::string c = create(observation("8867-4", "2023-12-31T23:30:00Z",
                                     R"(,"identifier":[{"system":"urn:carnet:test","value":"obs-42"}])"));
  EXPECT_EQ(ids(search("Observation?code=29463-7")), (std::set<std::string>{a, b}));
  EXPECT_EQ(ids(search("Observation?code=http://loinc.org%7C29463-7")), (std::set<std::string>{a, b}));
  EXPECT_TRUE(ids(search("Observation?code=http://snomed.info/sct%7C29463-7")).empty());
  EXPECT_EQ(ids(search("Observation?code=29463-7,8867-4")).size(), 3u);
  EXPECT_EQ(ids(search("Observation?code:not=29463-7")), (std::set<std::string>{c}));
  EXPECT_EQ(ids(search("Observation?status=final&code=8867-4")), (std::set<std::string>{c}));
  // Several criteria of each kind together (their ids are intersected, exclusions apart).
  EXPECT_EQ(ids(search("Observation?code:not=8867-4&patient=" + patient_ + "&date=ge2024-03-05&status=final")),
            (std::set<std::string>{a, b}));
  EXPECT_EQ(ids(search("Observation?date=lt2024-04&code=29463-7,8867-4&code:not=8867-4&subject:missing=false")),
            (std::set<std::string>{a}));
  EXPECT_TRUE(ids(search("Observation?code=29463-7&code=8867-4")).empty());
  // Criteria checked on each candidate the code's rows name (its row's index keys): a system
  // alone, a reference by id of any type, an exclusion.
  EXPECT_EQ(ids(search("Observation?code=8867-4,29463-7&identifier=urn:carnet:test%7C")), (std::set<std::string>{c}));
  EXPECT_EQ(ids(search("Observation?code=29463-7&subject=" + patient_.substr(8))), (std::set<std::string>{a, b}));
  EXPECT_TRUE(ids(search("Observation?code=29463-7&subject=someone-else")).empty());
  EXPECT_TRUE(ids(search("Observation?code=29463-7,8867-4&status:not=final")).empty());
  EXPECT_EQ(ids(search("Observation?identifier=urn:carnet:test%7Cobs-42")), (std::set<std::string>{c}));
  EXPECT_EQ(ids(search("Observation?identifier=obs-42")), (std::set<std::string>{c}));
  EXPECT_EQ(ids(search("Observation?patient=" + patient_)).size(), 3u);
  EXPECT_EQ(ids(search("Observation?subject=" + patient_.substr(8))).size(), 3u);
  EXPECT_EQ(ids(search("Observation?_id=" + a + "," + c)), (std::set<std::string>{a, c}));
  // Dates: partial values and every prefix.
  EXPECT_EQ(ids(search("Observation?date=2024-03")), (std::set<std::string>{a}));
  EXPECT_EQ(ids(search("Observation?date=2024")), (std::set<std::string>{a, b}));
  EXPECT_EQ(ids(search("Observation?date=eq2024-03-05")), (std::set<std::string>{a}));
  EXPECT_EQ(ids(search("Observation?date=ne2024-03-05")), (std::set<std::string>{b, c}));
  EXPECT_EQ(ids(search("Observation?date=gt2024-03-05")), (std::set<std::string>{b}));
  EXPECT_EQ(ids(search("Observation?date=ge2024-03-05")), (std::set<std::string>{a, b}));
  EXPECT_EQ(ids(search("Observation?date=lt2024-01-01")), (std::set<std::string>{c}));
  EXPECT_EQ(ids(search("Observation?date=le2024-03-05")), (std::set<std::string>{a, c}));
  EXPECT_EQ(ids(search("Observation?date=sa2024-03-05")), (std::set<std::string>{b}));
  EXPECT_EQ(ids(search("Observation?date=eb2024-01-01")), (std::set<std::string>{c}));
  EXPECT_EQ(ids(search("Observation?date=ap2024-04-01")).count(b), 1u);
  EXPECT_EQ(ids(search("Observation?date=ge2024-01-01&date=lt2024-04")), (std::set<std::string>{a}));
  EXPECT_EQ(ids(search("Observation?date=2024-03-05T09:00:00Z")), (std::set<std::string>{a}));  // 10:00+01:00
  EXPECT_EQ(ids(search("Observation?_lastUpdated=ge2020-01-01")).size(), 3u);
  EXPECT_TRUE(ids(search("Observation?_lastUpdated=lt2020-01-01")).empty());
  // Patient identifier (INS) searched by value; its index holds a keyed hash only.
  EXPECT_EQ(ids(search("Patient?identifier=urn:oid:1.2.250.1.213.1.4.8%7C180057512345678")).size(), 1u);
  EXPECT_EQ(ids(search("Patient?gender=male")).size(), 1u);
  // Another holder sees none of it.
  EXPECT_TRUE(ids(search("Observation?code=29463-7", sophie_)).empty());
}

// A search led by the code, ordered by time, settles `lt` and most of `ge` on the resources'
// time (the earliest start of their date) without looking their dates up: a period that
// starts before the bound and ends after it, and a reading with no date, must still be
// answered as FHIR says.
TEST_F(FhirSearch, DateBoundsOnPeriodsAndUndatedReadings) {
  std::string base = R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org",)"
                     R"("code":"8867-4"}]},"subject":{"reference":")" + patient_ + "\"}" +
                     R"(,"valueQuantity":{"value":60,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"})";
  std::string period = create(base + R"(,"effectivePeriod":{"start":"2023-12-01","end":"2024-02-01"}})");
  std::string undated = create(base + "}");
  std::string later = create(observation("8867-4", "2024-03-01"));
  std::string earlier = create(observation("8867-4", "2023-06-01"));
  for (std::string order : {"", "&_sort=date", "&_sort=-date"}) {
    EXPECT_EQ(ids(search("Observation?code=8867-4&date=ge2024-01-01" + order)), (std::set<std::string>{period, later})) << order;
    EXPECT_EQ(ids(search("Observation?code=8867-4&date=lt2024-01-01" + order)), (std::set<std::string>{period, earlier})) << order;
    EXPECT_EQ(ids(search("Observation?code=8867-4&date=ge2024-01-15&date=lt2024-06-01" + order)),
              (std::set<std::string>{period, later})) << order;
    EXPECT_EQ(ids(search("Observation?code=8867-4&date=ge2025-01-01" + order)), (std::set<std::string>{})) << order;
  }
  EXPECT_EQ(ids(search("Observation?code=8867-4")).count(undated), 1u);
}

// `patient=` the holder is settled on each candidate's resources row (names_holder, kept on
// write): a reading that names the holder as its performer only is in the space but is not
// the patient's, one whose subject an edit took away stops being found, and those written
// before the column existed (NULL) are still looked up.
TEST_F(FhirSearch, PatientOfTheSpaceIsWhatTheSubjectNames) {
  std::string subject = create(observation("8867-4", "2024-05-01"));
  std::string performed = create(
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},)"
      R"("performer":[{"reference":")" + patient_ + R"("}],"effectiveDateTime":"2024-05-02"})");
  std::string edited = create(observation("8867-4", "2024-05-03"));
  std::string id = patient_.substr(patient_.find('/') + 1);
  for (std::string who : {patient_, id}) {
    for (std::string order : {"", "&_sort=date", "&_sort=-_lastUpdated"}) {
      EXPECT_EQ(ids(search("Observation?patient=" + who + "&code=8867-4" + order)),
                (std::set<std::string>{subject, edited})) << who << order;
    }
  }
  EXPECT_EQ(ids(search("Observation?code=8867-4")), (std::set<std::string>{subject, performed, edited}));
  auto put = call("PUT", "/fhir/r4/Observation/" + edited, jean_,
                  R"({"resourceType":"Observation","id":")" + edited + R"(","status":"final","code":{"coding":[)"
                  R"({"system":"http://loinc.org","code":"8867-4"}]},"performer":[{"reference":")" + patient_ +
                  R"("}],"effectiveDateTime":"2024-05-03"})");
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(ids(search("Observation?patient=" + patient_ + "&code=8867-4")), (std::set<std::string>{subject}));
  EXPECT_EQ(ids(search("Observation?patient=" + patient_ + "&_sort=-_lastUpdated")).count(edited), 0u);
  sql(d_.data_dir(), "UPDATE resources SET names_holder = NULL WHERE resource_type = 'Observation'");
  EXPECT_EQ(ids(search("Observation?patient=" + patient_ + "&code=8867-4")), (std::set<std::string>{subject}));
  EXPECT_EQ(ids(search("Observation?patient=" + id + "&_sort=-_lastUpdated")), (std::set<std::string>{subject}));
}

TEST_F(FhirSearch, SortCountSummaryElementsAndOutcomes) {
  create(observation("29463-7", "2024-01-10"));
  create(observation("29463-7", "2024-03-10"));
  create(observation("29463-7", "2024-02-10"));
  json desc = search("Observation?code=29463-7&_sort=-date");
  std::vector<std::string> dates;
  for (const auto& e : desc["entry"]) dates.push_back(e["resource"]["effectiveDateTime"]);
  EXPECT_EQ(dates, (std::vector<std::string>{"2024-03-10", "2024-02-10", "2024-01-10"}));
  json asc = search("Observation?code=29463-7&_sort=date&_count=2");
  EXPECT_EQ(asc["entry"].size(), 2u);
  EXPECT_EQ(asc["entry"][0]["resource"]["effectiveDateTime"], "2024-01-10");
  json huge = search("Observation?_count=100000000000000000000");
  EXPECT_EQ(huge["entry"].size(), 3u);
  json count = search("Observation?_summary=count");
  EXPECT_EQ(count["total"], 3);
  EXPECT_FALSE(count.contains("entry"));
  json elements = search("Observation?_elements=status");
  for (const auto& e : elements["entry"]) {
    EXPECT_FALSE(e["resource"].contains("code"));
    EXPECT_EQ(e["resource"]["status"], "final");
    EXPECT_EQ(e["resource"]["meta"]["tag"][0]["code"], "SUBSETTED");
  }
  json summary = search("Patient?_summary=true");
  EXPECT_TRUE(summary["entry"][0]["resource"].contains("gender"));
  // Unknown parameters: ignored and reported (lenient), or refused (strict).
  json lenient = search("Observation?colour=blue");
  EXPECT_EQ(lenient["entry"].back()["search"]["mode"], "outcome");
  EXPECT_EQ(ids(lenient).size(), 3u);
  auto strict = call("GET", "/fhir/r4/Observation?colour=blue", jean_, "", {"Prefer: handling=strict"});
  EXPECT_EQ(strict->status, 400);
  // Bad values: a clear 400, never a crash or an SQL error.
  for (std::string q : {"date=2024-02-30", "date=xx2024", "_count=-1", "_sort=code", "_sort=nope", "code:fuzzy=1",
                        "_id=a%27%20OR%201=1--", "patient=Observation/1", "_include=Patient:x", "_summary=maybe",
                        "_cursor=bm9wZQ", "date=%3Cscript%3E", "code%ZZ=1"}) {
    auto r = call("GET", "/fhir/r4/Observation?" + q, jean_);
    EXPECT_EQ(r->status, 400) << q << " " << r->body;
    EXPECT_EQ(json::parse(r->body)["resourceType"], "OperationOutcome") << q;
  }
  // SQL- and script-like token values are just values.
  EXPECT_TRUE(ids(search("Observation?code=%27%3B%20DROP%20TABLE%20resources%3B--")).empty());
  EXPECT_TRUE(ids(search("Observation?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).empty());
  EXPECT_EQ(ids(search("Observation?code=29463-7")).size(), 3u);
  // POST _search takes a form body.
  auto post = http_request(d_.port(), "POST", "/fhir/r4/Observation/_search", "code=29463-7&_sort=-date",
                           {jean_, "Content-Type: application/x-www-form-urlencoded"});
  ASSERT_EQ(post->status, 200) << post->body;
  EXPECT_EQ(json::parse(post->body)["entry"][0]["resource"]["effectiveDateTime"], "2024-03-10");
}

TEST_F(FhirSearch, PagingThroughAThousandResults) {
  json bundle = {{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", json::array()}};
  for (int i = 0; i < 1000; ++i) {
    char date[32];
    std::snprintf(date, sizeof date, "2020-01-01T00:%02d:%02dZ", i / 60 % 60, i % 60);
    bundle["entry"].push_back({{"request", {{"method", "POST"}, {"url", "Observation"}}},
                               {"resource", json::parse(observation("2339-0", date))}});
  }
  auto tx = call("POST", "/fhir/r4", jean_, bundle.dump());
  ASSERT_EQ(tx->status, 200) << tx->body.substr(0, 500);
  std::set<std::string> seen;
  std::string last;
  std::string next = "Observation?code=2339-0&_sort=date&_count=70";
  int pages = 0;
  std::vector<std::string> firsts;
  while (!next.empty() && pages < 100) {
    json page = search(next);
    ++pages;
    for (const auto& e : page.value("entry", json::array())) {
      EXPECT_TRUE(seen.insert(std::string(e["resource"]["id"])).second);
      std::string d = e["resource"]["effectiveDateTime"];
      EXPECT_LE(last, d);
      last = d;
    }
    if (page.contains("entry")) firsts.push_back(page["entry"][0]["resource"]["id"]);
    // A resource created while paging does not disturb the pages (keyset cursors).
    if (pages == 3) create(observation("2339-0", "2019-01-01"));
    next.clear();
    for (const auto& l : page["link"]) {
      if (l["relation"] == "next") next = relative(l["url"]);
      if (pages == 5 && l["relation"] == "previous") {
        json back = search(relative(l["url"]));
        EXPECT_EQ(back["entry"][0]["resource"]["id"], firsts[3]);
        EXPECT_EQ(back["entry"].size(), 70u);
      }
    }
  }
  EXPECT_EQ(pages, 15);
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(search("Observation?code=2339-0&_total=accurate&_count=1")["total"], 1001);
}

TEST_F(FhirSearch, IncludeAndRevinclude) {
  json practitioners = search("Practitioner?_count=1");
  ASSERT_FALSE(practitioners["entry"].empty());
  std::string prac = "Practitioner/" + std::string(practitioners["entry"][0]["resource"]["id"]);
  std::string obs = create(observation("29463-7", "2024-01-10", R"(,"performer":[{"reference":")" + prac + "\"}]"));
  json inc = search("Observation?_id=" + obs + "&_include=Observation:performer&_include=Observation:patient");
  EXPECT_EQ(ids(inc).size(), 1u);
  std::set<std::string> included;
  for (const auto& e : inc["entry"]) {
    if (e["search"]["mode"] == "include") included.insert(std::string(e["resource"]["resourceType"]) + "/" + std::string(e["resource"]["id"]));
  }
  EXPECT_EQ(included, (std::set<std::string>{prac, patient_}));
  json rev = search("Patient?_id=" + patient_.substr(8) + "&_revinclude=Observation:patient");
  EXPECT_EQ(ids(rev, "include"), (std::set<std::string>{obs}));
}

TEST_F(FhirSearch, ConditionalCreateAndPreferOutcome) {
  std::string body = observation("29463-7", "2024-01-10", R"(,"identifier":[{"system":"urn:x","value":"once"}])");
  auto first = call("POST", "/fhir/r4/Observation", jean_, body, {"If-None-Exist: identifier=urn:x%7Conce"});
  ASSERT_EQ(first->status, 201) << first->body;
  auto second = call("POST", "/fhir/r4/Observation", jean_, body, {"If-None-Exist: identifier=urn:x%7Conce"});
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(json::parse(second->body)["id"], json::parse(first->body)["id"]);
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, body, {"If-None-Exist: colour=blue"})->status, 400);
  auto oo = call("POST", "/fhir/r4/Observation", jean_, body, {"Prefer: return=OperationOutcome"});
  EXPECT_EQ(oo->status, 201);
  EXPECT_EQ(json::parse(oo->body)["resourceType"], "OperationOutcome");
}

TEST_F(FhirSearch, TransactionsAreAtomicAndResolveReferences) {
  json tx = {{"resourceType", "Bundle"}, {"type", "transaction"},
             {"entry", {{{"fullUrl", "urn:uuid:6f1c5a52-6d3a-4c5e-9d1e-0a4b3c2d1e0f"},
                         {"request", {{"method", "POST"}, {"url", "Condition"}}},
                         {"resource", {{"resourceType", "Condition"}, {"subject", {{"reference", patient_}}},
                                       {"code", {{"coding", {{{"system", "http://snomed.info/sct"}, {"code", "38341003"}}}}}}}}},
                        {{"request", {{"method", "POST"}, {"url", "Observation"}}},
                         {"resource", json::parse(observation("85354-9", "2024-05-01",
                                                              R"(,"focus":[{"reference":"urn:uuid:6f1c5a52-6d3a-4c5e-9d1e-0a4b3c2d1e0f"}])"))}}}}};
  auto ok = call("POST", "/fhir/r4", jean_, tx.dump());
  ASSERT_EQ(ok->status, 200) << ok->body;
  json resp = json::parse(ok->body);
  EXPECT_EQ(resp["type"], "transaction-response");
  std::string cond = resp["entry"][0]["response"]["location"];
  std::string focus = resp["entry"][1]["resource"]["focus"][0]["reference"];
  EXPECT_EQ(cond.substr(0, cond.find("/_history")), focus);

  // One bad entry: nothing of the transaction is stored.
  tx["entry"][1]["resource"].erase("status");
  tx["entry"][0]["resource"]["code"]["coding"][0]["code"] = "73211009";
  auto bad = call("POST", "/fhir/r4", jean_, tx.dump());
  ASSERT_EQ(bad->status, 422) << bad->body;
  EXPECT_EQ(json::parse(bad->body)["issue"][0]["expression"][0], "Bundle.entry[1].resource.status");
  EXPECT_TRUE(ids(search("Condition?code=73211009")).empty());
  // A version conflict also rolls everything back.
  tx["entry"][1]["resource"]["status"] = "final";
  tx["entry"].push_back({{"request", {{"method", "PUT"}, {"url", "Observation/nope"}, {"ifMatch", "W/\"4\""}}},
                         {"resource", json::parse(observation("1-8", "2024-01-01", R"(,"id":"nope")"))}});
  EXPECT_EQ(call("POST", "/fhir/r4", jean_, tx.dump())->status, 412);
  EXPECT_TRUE(ids(search("Condition?code=73211009")).empty());

  // A batch runs each entry on its own.
  json batch = {{"resourceType", "Bundle"}, {"type", "batch"},
                {"entry", {{{"request", {{"method", "POST"}, {"url", "Observation"}}}, {"resource", json::parse(observation("1-8", "2024-01-01"))}},
                           {{"request", {{"method", "GET"}, {"url", "Observation/does-not-exist"}}}},
                           {{"request", {{"method", "GET"}, {"url", "Observation?code=1-8"}}}}}}};
  auto b = call("POST", "/fhir/r4", jean_, batch.dump());
  ASSERT_EQ(b->status, 200) << b->body;
  json br = json::parse(b->body);
  EXPECT_EQ(br["entry"][0]["response"]["status"], "201 Created");
  EXPECT_EQ(br["entry"][1]["response"]["status"], "404");
  EXPECT_EQ(br["entry"][2]["resource"]["entry"].size(), 1u);
  // Not a batch or a transaction; a directory write inside a Bundle.
  EXPECT_EQ(call("POST", "/fhir/r4", jean_, R"({"resourceType":"Bundle","type":"collection"})")->status, 400);
  json dir = {{"resourceType", "Bundle"}, {"type", "transaction"},
              {"entry", {{{"request", {{"method", "DELETE"}, {"url", "Practitioner/x"}}}}}}};
  EXPECT_EQ(call("POST", "/fhir/r4", jean_, dir.dump())->status, 403);
}

TEST_F(FhirSearch, TypeHistoryPages) {
  std::string a = create(observation("29463-7", "2024-01-10"));
  json obs = json::parse(call("GET", "/fhir/r4/Observation/" + a, jean_)->body);
  obs["status"] = "amended";
  ASSERT_EQ(call("PUT", "/fhir/r4/Observation/" + a, jean_, obs.dump())->status, 200);
  create(observation("29463-7", "2024-01-11"));
  json h = search("Observation/_history?_count=2");
  EXPECT_EQ(h["type"], "history");
  EXPECT_EQ(h["entry"].size(), 2u);
  std::string next;
  for (const auto& l : h["link"]) {
    if (l["relation"] == "next") next = relative(l["url"]);
  }
  ASSERT_FALSE(next.empty());
  json h2 = search(next);
  EXPECT_EQ(h2["entry"].size(), 1u);
  EXPECT_EQ(h2["entry"][0]["request"]["method"], "POST");
}

TEST_F(FhirSearch, MoreTypesModifiersAndDeletedResources) {
  json practitioners = search("Practitioner?_count=1");
  std::string prac = "Practitioner/" + std::string(practitioners["entry"][0]["resource"]["id"]);
  std::string doc = create(R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient_ +
                               R"("},"type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},)"
                               R"("category":[{"coding":[{"system":"http://loinc.org","code":"47039-3"}]}],)"
                               R"("date":"2024-06-01T08:00:00Z","author":[{"reference":")" + prac + R"("}],)"
                               R"("content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQK","title":"Compte rendu"}}]})",
                           "DocumentReference");
  EXPECT_EQ(ids(search("DocumentReference?type=11488-4&category=47039-3&author=" + prac + "&date=2024-06&status=current&patient=" +
                       patient_)),
            (std::set<std::string>{doc}));
  EXPECT_EQ(ids(search("DocumentReference?contenttype=application/pdf")), (std::set<std::string>{doc}));
  std::string imm = create(R"({"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":)"
                           R"("http://snomed.info/sct","code":"871751006"}]},"patient":{"reference":")" + patient_ +
                               R"("},"occurrenceDateTime":"2021-05-04","performer":[{"actor":{"reference":")" + prac + R"("}}]})",
                           "Immunization");
  EXPECT_EQ(ids(search("Immunization?performer=" + prac + "&date=2021&vaccine-code=871751006")), (std::set<std::string>{imm}));
  // Modifiers: :missing and a type on an ambiguous reference.
  std::string bare = create(R"({"resourceType":"Observation","status":"final","code":{"text":"sans sujet"}})");
  std::string with = create(observation("29463-7", "2024-01-01"));
  EXPECT_EQ(ids(search("Observation?subject:missing=true")), (std::set<std::string>{bare}));
  EXPECT_EQ(ids(search("Observation?subject:missing=false")), (std::set<std::string>{with}));
  EXPECT_EQ(ids(search("Observation?subject:Patient=" + patient_.substr(8))), (std::set<std::string>{with}));
  // `patient` reads subject's rows (search_params.h, indexed_as), restricted to Patient.
  EXPECT_EQ(ids(search("Observation?patient:missing=true")), (std::set<std::string>{bare}));
  EXPECT_EQ(ids(search("Observation?patient:missing=false")), (std::set<std::string>{with}));
  EXPECT_EQ(ids(search("Observation?patient=" + patient_.substr(8) + "&_sort=_lastUpdated")), (std::set<std::string>{with}));
  // A deleted resource leaves every search; an updated one is found by its new values only.
  ASSERT_EQ(call("DELETE", "/fhir/r4/Observation/" + bare, jean_)->status, 204);
  EXPECT_TRUE(ids(search("Observation?subject:missing=true")).empty());
  EXPECT_TRUE(ids(search("Observation?_id=" + bare)).empty());
  json obs = json::parse(call("GET", "/fhir/r4/Observation/" + with, jean_)->body);
  obs["code"]["coding"][0]["code"] = "8867-4";
  ASSERT_EQ(call("PUT", "/fhir/r4/Observation/" + with, jean_, obs.dump())->status, 200);
  EXPECT_TRUE(ids(search("Observation?code=29463-7")).empty());
  EXPECT_EQ(ids(search("Observation?code=8867-4")), (std::set<std::string>{with}));
  // _summary=text and data.
  json data = search("Observation?_summary=data&_id=" + with);
  EXPECT_TRUE(data["entry"][0]["resource"].contains("code"));
  json text = search("Observation?_summary=text&_id=" + with);
  EXPECT_FALSE(text["entry"][0]["resource"].contains("code"));
}

TEST_F(FhirSearch, NoPlaintextInTheDataDirectory) {
  create(observation("29463-7", "2024-01-10",
                     R"(,"note":[{"text":"Patiente-tres-anxieuse-Qwertzu"}],"identifier":[{"system":"urn:x","value":"ID-Plmokn-77"}])"));
  d_.signal(SIGTERM);
  ASSERT_TRUE(d_.wait_exit(10s));
  for (const auto& f : std::filesystem::recursive_directory_iterator(d_.data_dir())) {
    if (!f.is_regular_file() || f.path().filename() == "notices.jsonl") continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    for (const char* secret : {"Zyxwquartz", "180057512345678", "Patiente-tres-anxieuse-Qwertzu", "ID-Plmokn-77"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << f.path();
    }
  }
}

}  // namespace
}  // namespace carnet::itest
