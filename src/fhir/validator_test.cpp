#include "fhir/validator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace carnet::fhir {
namespace {

using json = nlohmann::json;

std::vector<ValidationIssue> check(const std::string& text, const std::string& type) {
  return Validator::r4().validate(json::parse(text), type);
}

std::string first(const std::vector<ValidationIssue>& issues) {
  return issues.empty() ? "" : issues[0].code + " " + issues[0].expression;
}

TEST(FhirValidator, AcceptsValidResources) {
  EXPECT_TRUE(check(R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
    "subject":{"reference":"Patient/1"},"effectivePeriod":{"start":"2024-01-01"},"valueQuantity":{"value":72.5,"unit":"kg"},
    "component":[{"code":{"text":"x"},"valueString":"y"}],"_status":{"extension":[{"url":"http://x","valueBoolean":true}]}})",
                    "Observation")
                  .empty());
  EXPECT_TRUE(check(R"({"resourceType":"Patient","name":[{"family":"Dupont","given":["Jean"]}],"birthDate":"1980-02",
    "gender":"male","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jean</div>"}})",
                    "Patient")
                  .empty());
  EXPECT_TRUE(check(R"({"resourceType":"Condition","subject":{"reference":"urn:uuid:6f1c5a52-6d3a-4c5e-9d1e-0a4b3c2d1e0f"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}})",
                    "Condition")
                  .empty());
}

TEST(FhirValidator, EachKindOfMistake) {
  EXPECT_EQ(first(check(R"({"resourceType":"Observation","code":{"text":"x"}})", "Observation")), "required Observation.status");
  EXPECT_EQ(first(check(R"({"resourceType":"Observation","status":"final"})", "Observation")), "required Observation.code");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","foo":1})", "Patient")), "structure Patient.foo");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","gender":"man"})", "Patient")), "code-invalid Patient.gender");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","birthDate":"05/03/1980"})", "Patient")), "value Patient.birthDate");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","name":{"family":"x"}})", "Patient")), "structure Patient.name");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","active":"yes"})", "Patient")), "value Patient.active");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","id":"a b"})", "Patient")), "value Patient.id");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","name":[]})", "Patient")), "structure Patient.name");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","name":[null]})", "Patient")), "structure Patient.name[0]");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","generalPractitioner":[{"reference":"Observation/1"}]})", "Patient")),
            "value Patient.generalPractitioner[0].reference");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","multipleBirthBoolean":true,"multipleBirthInteger":2})", "Patient")),
            "structure Patient.multipleBirthInteger");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient"})", "Observation")), "invalid Observation.resourceType");
  EXPECT_EQ(first(check(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":3000000000})",
                        "Observation")),
            "value Observation.valueInteger");
  EXPECT_EQ(first(check(R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"code":"sleeping"}]}})", "Condition")),
            "code-invalid Condition.clinicalStatus");
  EXPECT_EQ(first(check(R"({"resourceType":"Patient","text":{"status":"generated","div":"<div><a href=\"#\" onclick =\"x()\">a</a></div>"}})",
                        "Patient")),
            "value Patient.text.div");
}

TEST(FhirValidator, DeepNestingAndManyErrorsAreBounded) {
  json ext = {{"url", "http://x"}, {"valueString", "v"}};
  for (int i = 0; i < 200; ++i) ext = {{"url", "http://x"}, {"extension", json::array({ext})}};
  json p = {{"resourceType", "Patient"}, {"extension", json::array({ext})}};
  auto issues = Validator::r4().validate(p, "Patient");
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].code, "too-costly");
  json many = {{"resourceType", "Patient"}};
  for (int i = 0; i < 500; ++i) many["x" + std::to_string(i)] = 1;
  EXPECT_EQ(Validator::r4().validate(many, "Patient").size(), 50u);
}

TEST(FhirValidator, SummaryElements) {
  EXPECT_TRUE(Validator::r4().in_summary("Patient", "gender"));
  EXPECT_FALSE(Validator::r4().in_summary("Patient", "photo"));
}

}  // namespace
}  // namespace carnet::fhir
