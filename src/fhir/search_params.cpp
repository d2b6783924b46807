#include "fhir/search_params.h"

#include <algorithm>
#include <array>
#include <cctype>

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
    {"creation", K::kDate, "content.attachment.creation"},
    {"security-label", K::kToken, "securityLabel"},
    {"format", K::kToken, "content.format"},
    {"facility", K::kToken, "context.facilityType"},
    {"setting", K::kToken, "context.practiceSetting"},
    {"event", K::kToken, "context.event"},
    {"related", K::kReference, "context.related"},
    {"relatesto", K::kReference, "relatesTo.target"},
    {"title", K::kToken, "content.attachment.title|description", {}, true,
     "Words of the document's title or description (all must be present; case and accents ignored)", true},
};
constexpr SearchParam kBinary[] = {COMMON};
// Lists: the submission sets (and folders) of IHE MHD (ITI-66).
constexpr SearchParam kList[] = {
    COMMON,
    {"identifier", K::kToken, "identifier", {}, true},
    {"patient", K::kReference, "subject", "Patient"},
    {"subject", K::kReference, "subject"},
    {"code", K::kToken, "code"},
    {"status", K::kToken, "status"},
    {"date", K::kDate, "date"},
    {"item", K::kReference, "entry.item"},
    {"source", K::kReference, "source"},
    {"designationType", K::kToken, "extension.valueCodeableConcept", {}, false,
     "IHE MHD: the submission set's designation type (ihe-designationType extension)"},
    {"sourceId", K::kToken, "extension.valueIdentifier", {}, false,
     "IHE MHD: the submission set's source id (ihe-sourceId extension)"},
};
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
    {"List", kList},
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

std::vector<std::string> index_words(std::string_view text) {
  // Latin-1 supplement and Latin Extended-A letters French uses, folded to ASCII.
  static const std::pair<std::string_view, char> kFold[] = {
      {"à", 'a'}, {"â", 'a'}, {"ä", 'a'}, {"á", 'a'}, {"ç", 'c'}, {"é", 'e'}, {"è", 'e'}, {"ê", 'e'}, {"ë", 'e'},
      {"î", 'i'}, {"ï", 'i'}, {"í", 'i'}, {"ô", 'o'}, {"ö", 'o'}, {"ó", 'o'}, {"ù", 'u'}, {"û", 'u'}, {"ü", 'u'},
      {"ú", 'u'}, {"ÿ", 'y'}, {"ñ", 'n'}, {"À", 'a'}, {"Â", 'a'}, {"Ä", 'a'}, {"Ç", 'c'}, {"É", 'e'}, {"È", 'e'},
      {"Ê", 'e'}, {"Ë", 'e'}, {"Î", 'i'}, {"Ï", 'i'}, {"Ô", 'o'}, {"Ö", 'o'}, {"Ù", 'u'}, {"Û", 'u'}, {"Ü", 'u'},
      {"Ÿ", 'y'}, {"Ñ", 'n'}, {"œ", 'o'}, {"Œ", 'o'}, {"æ", 'a'}, {"Æ", 'a'}};
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2 && word.size() <= 64) words.push_back(word);
    word.clear();
  };
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) {
        word += char(std::tolower(c));
      } else {
        flush();
      }
      ++i;
      continue;
    }
    bool folded = false;
    for (const auto& [from, to] : kFold) {
      if (text.substr(i, from.size()) == from) {
        word += to;
        if (from == "œ" || from == "Œ") word += 'e';
        if (from == "æ" || from == "Æ") word += 'e';
        i += from.size();
        folded = true;
        break;
      }
    }
    if (folded) continue;
    flush();  // other characters separate words
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  flush();
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

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

const SearchParam& indexed_as(const SearchParam& p) {
  if (p.kind != ParamKind::kReference || p.target.empty()) return p;
  for (const auto& t : kTable) {
    if (std::none_of(t.params.begin(), t.params.end(), [&](const SearchParam& q) { return &q == &p; })) continue;
    for (const auto& other : t.params) {
      if (other.kind == ParamKind::kReference && other.target.empty() && other.paths == p.paths) return other;
    }
    return p;
  }
  return p;
}

const SearchParam* primary_date_param(std::string_view type) {
  for (const auto& p : search_params(type)) {
    if (p.kind == ParamKind::kDate) return &p;
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
