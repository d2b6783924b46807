#include "fhir/search_params.h"

#include <array>

namespace carnet::fhir {
namespace {

using K = ParamKind;

// Every type's list starts with the two parameters all resources share.
#define COMMON                                                                        \
  SearchParam{"_id", K::kId, "id", {}, false, "Logical id of the resource"},          \
      SearchParam{"_lastUpdated", K::kLastUpdated, "meta.lastUpdated", {}, false,    \
                  "When the resource version last changed"}

constexpr SearchParam kPatient[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true, "A patient identifier (INS: system|value)"},
    {"birthdate", K::kDate, "birthDate"},
    {"gender", K::kToken, "gender"},
    {"active", K::kToken, "active"},
    {"general-practitioner", K::kReference, "generalPractitioner"},
};
constexpr SearchParam kPractitioner[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true, "RPPS number (system|value)"},
    {"active", K::kToken, "active"},
};
constexpr SearchParam kPractitionerRole[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"practitioner", K::kReference, "practitioner"},
    {"organization", K::kReference, "organization"},
    {"role", K::kToken, "code"},
    {"specialty", K::kToken, "specialty"},
    {"active", K::kToken, "active"},
};
constexpr SearchParam kOrganization[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"type", K::kToken, "type"},
    {"active", K::kToken, "active"},
    {"partof", K::kReference, "partOf"},
};
constexpr SearchParam kDocumentReference[] = {
    COMMON,
    {"identifier", K::kToken, "masterIdentifier|identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"type", K::kToken, "type"},
    {"category", K::kToken, "category"},
    {"date", K::kDate, "date"},
    {"period", K::kDate, "context.period"},
    {"status", K::kToken, "status"},
    {"author", K::kReference, "author"},
    {"contenttype", K::kToken, "content.attachment.contentType"},
};
constexpr SearchParam kBinary[] = {COMMON};
constexpr SearchParam kAllergyIntolerance[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "patient", "Patient"},
    {"code", K::kToken, "code|reaction.substance"},
    {"category", K::kToken, "category"},
    {"type", K::kToken, "type"},
    {"criticality", K::kToken, "criticality"},
    {"clinical-status", K::kToken, "clinicalStatus"},
    {"verification-status", K::kToken, "verificationStatus"},
    {"date", K::kDate, "recordedDate"},
};
constexpr SearchParam kCondition[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"code", K::kToken, "code"},
    {"category", K::kToken, "category"},
    {"clinical-status", K::kToken, "clinicalStatus"},
    {"verification-status", K::kToken, "verificationStatus"},
    {"onset-date", K::kDate, "onset[x]"},
    {"recorded-date", K::kDate, "recordedDate"},
    {"asserter", K::kReference, "asserter"},
};
constexpr SearchParam kImmunization[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "patient", "Patient"},
    {"vaccine-code", K::kToken, "vaccineCode"},
    {"status", K::kToken, "status"},
    {"date", K::kDate, "occurrence[x]"},
    {"performer", K::kReference, "performer.actor"},
};
constexpr SearchParam kMedicationStatement[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"code", K::kToken, "medication[x]"},
    {"status", K::kToken, "status"},
    {"category", K::kToken, "category"},
    {"effective", K::kDate, "effective[x]"},
};
constexpr SearchParam kObservation[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"code", K::kToken, "code"},
    {"category", K::kToken, "category"},
    {"status", K::kToken, "status"},
    {"date", K::kDate, "effective[x]"},
    {"performer", K::kReference, "performer"},
};
constexpr SearchParam kAppointment[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "participant.actor", "Patient"},
    {"practitioner", K::kReference, "participant.actor", "Practitioner"},
    {"actor", K::kReference, "participant.actor"},
    {"date", K::kDate, "start"},
    {"status", K::kToken, "status"},
    {"service-type", K::kToken, "serviceType"},
    {"appointment-type", K::kToken, "appointmentType"},
};
constexpr SearchParam kCommunication[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"sender", K::kReference, "sender"},
    {"recipient", K::kReference, "recipient"},
    {"category", K::kToken, "category"},
    {"status", K::kToken, "status"},
    {"sent", K::kDate, "sent"},
    {"received", K::kDate, "received"},
};
constexpr SearchParam kMedicationRequest[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"code", K::kToken, "medication[x]"},
    {"status", K::kToken, "status"},
    {"intent", K::kToken, "intent"},
    {"category", K::kToken, "category"},
    {"authoredon", K::kDate, "authoredOn"},
    {"requester", K::kReference, "requester"},
};
constexpr SearchParam kMedicationDispense[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"code", K::kToken, "medication[x]"},
    {"status", K::kToken, "status"},
    {"performer", K::kReference, "performer.actor"},
    {"prescription", K::kReference, "authorizingPrescription"},
    {"whenhandedover", K::kDate, "whenHandedOver"},
    {"whenprepared", K::kDate, "whenPrepared"},
};
constexpr SearchParam kConsent[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "patient", "Patient"},
    {"status", K::kToken, "status"},
    {"category", K::kToken, "category"},
    {"scope", K::kToken, "scope"},
    {"date", K::kDate, "dateTime"},
    {"period", K::kDate, "provision.period"},
    {"actor", K::kReference, "provision.actor.reference"},
    {"action", K::kToken, "provision.action"},
};
// AuditEvent is the audit trail, read newest first a page at a time (api/fhir_audit.cpp):
// no search parameter.
constexpr SearchParam kAuditEvent[] = {COMMON};
#undef COMMON

struct TypeParams {
  std::string_view type;
  std::span<const SearchParam> params;
};

constexpr TypeParams kTable[] = {
    {"Patient", kPatient},
    {"Practitioner", kPractitioner},
    {"PractitionerRole", kPractitionerRole},
    {"Organization", kOrganization},
    {"DocumentReference", kDocumentReference},
    {"Binary", kBinary},
    {"AllergyIntolerance", kAllergyIntolerance},
    {"Condition", kCondition},
    {"Immunization", kImmunization},
    {"MedicationStatement", kMedicationStatement},
    {"Observation", kObservation},
    {"Appointment", kAppointment},
    {"Communication", kCommunication},
    {"MedicationRequest", kMedicationRequest},
    {"MedicationDispense", kMedicationDispense},
    {"Consent", kConsent},
    {"AuditEvent", kAuditEvent},
};

}  // namespace

std::span<const SearchParam> search_params(std::string_view type) {
  for (const auto& t : kTable) {
    if (t.type == type) return t.params;
  }
  return {};
}

const SearchParam* find_search_param(std::string_view type, std::string_view name) {
  for (const auto& p : search_params(type)) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string_view param_kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::kToken: return "token";
    case ParamKind::kDate:
    case ParamKind::kLastUpdated: return "date";
    case ParamKind::kReference: return "reference";
    case ParamKind::kId: return "token";
  }
  return "token";
}

}  // namespace carnet::fhir
