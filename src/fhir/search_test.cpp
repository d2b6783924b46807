#include "fhir/search.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crypto/keyring.h"
#include "crypto/random.h"

namespace carnet::fhir {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(FhirSearchParse, CriteriaAndResultParameters) {
  auto q = parse_search("Observation",
                        Pairs{{"code", "http://loinc.org|29463-7,8867-4"}, {"date", "ge2024"}, {"_sort", "-date,_id"},
                              {"_count", "500"}, {"_include", "Observation:performer"}, {"colour", "blue"}},
                        false);
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  ASSERT_EQ(q->criteria.size(), 2u);
  EXPECT_EQ(q->criteria[0].values.size(), 2u);
  EXPECT_EQ(q->count, kMaxPageSize);
  EXPECT_TRUE(q->sort[0].descending);
  EXPECT_EQ(q->ignored, std::vector<std::string>{"colour"});
  EXPECT_EQ(q->includes.size(), 1u);
  EXPECT_FALSE(parse_search("Observation", Pairs{{"colour", "blue"}}, true).is_ok());
}

TEST(FhirSearchParse, BadValuesAreRefused) {
  for (const auto& [name, value] : Pairs{{"date", "2024-02-30"}, {"date", "zz2024"}, {"_count", "x"}, {"_count", "-3"},
                                         {"_sort", "status"}, {"code:contains", "x"}, {"_id", "a'b"},
                                         {"patient", "Observation/1"}, {"subject", "Nope/1"}, {"_summary", "all"},
                                         {"_total", "some"}, {"_include", "Patient:subject"}, {"status:missing", "maybe"},
                                         {"code", ""}}) {
    EXPECT_FALSE(parse_search("Observation", Pairs{{name, value}}, false).is_ok()) << name << "=" << value;
  }
  EXPECT_EQ(parse_search("Spaceship", {}, false).status().code(), ErrorCode::kNotFound);
}

TEST(FhirSearchIndex, ExtractsOnlyCodesDatesReferencesAndHashedIdentifiers) {
  auto ring = crypto::KeyRing::from_master_key(crypto::random_key());
  SearchIndex index(ring);
  auto e = index.extract("Observation", nlohmann::json::parse(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}],"text":"Poids de Jean"},
    "identifier":[{"system":"urn:x","value":"secret-42"}],"subject":{"reference":"http://h/fhir/r4/Patient/p1/_history/3"},
    "effectivePeriod":{"start":"2024-01-01","end":"2024-01-31"},"note":[{"text":"free text"}]})"));
  std::string all;
  for (const auto& t : e.tokens) all += t.param + "|" + t.system + "|" + t.code + "\n";
  for (const auto& r : e.references) all += r.param + "|" + r.target + "\n";
  EXPECT_NE(all.find("code|http://loinc.org|29463-7"), std::string::npos);
  EXPECT_NE(all.find("status||final"), std::string::npos);
  // `patient` is `subject` restricted to Patient: its rows are subject's, kept once.
  EXPECT_NE(all.find("subject|Patient/p1"), std::string::npos);
  EXPECT_EQ(all.find("patient|"), std::string::npos);
  EXPECT_NE(all.find("identifier|urn:x|" + index.hash_identifier("secret-42")), std::string::npos);
  EXPECT_EQ(all.find("secret-42"), std::string::npos);
  EXPECT_EQ(all.find("Jean"), std::string::npos);
  EXPECT_EQ(all.find("free text"), std::string::npos);
  ASSERT_EQ(e.dates.size(), 1u);
  EXPECT_EQ(e.dates[0].high - e.dates[0].low, 31 * 86400);
  EXPECT_EQ(normalize_reference("#contained"), "");
  EXPECT_EQ(normalize_reference("urn:uuid:1"), "");
  EXPECT_EQ(normalize_reference("Patient/1"), "Patient/1");
}

TEST(FhirSearchIndex, ATypeRestrictedReferenceOnAnotherParametersPathsIsIndexedAsThatOne) {
  auto as = [](std::string_view type, std::string_view name) {
    const SearchParam* p = find_search_param(type, name);
    return p ? std::string(indexed_as(*p).name) : std::string("?");
  };
  EXPECT_EQ(as("Observation", "patient"), "subject");
  EXPECT_EQ(as("Observation", "subject"), "subject");
  EXPECT_EQ(as("Observation", "performer"), "performer");
  EXPECT_EQ(as("Appointment", "patient"), "actor");
  EXPECT_EQ(as("Appointment", "practitioner"), "actor");
  EXPECT_EQ(as("Immunization", "patient"), "patient");  // no other parameter on its path
}

}  // namespace
}  // namespace carnet::fhir
