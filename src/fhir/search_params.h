// The search parameters Carnet supports, per resource type: one table read by the indexer
// (what to extract when a resource is written), the search parser (what a query may ask)
// and the CapabilityStatement (what is advertised).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace carnet::fhir {

enum class ParamKind {
  kToken,      // codes, codings, identifiers (values as keyed hashes), statuses, booleans
  kDate,       // date, dateTime, instant, Period
  kReference,  // Reference.reference, as "Type/id"
  kId,         // _id (resources table)
  kLastUpdated,  // _lastUpdated (resources table)
};

struct SearchParam {
  std::string_view name;
  ParamKind kind;
  // Paths from the resource root, '|' between alternatives, '.' between steps; a step
  // ending in "[x]" matches every choice (effective[x] → effectiveDateTime, effectivePeriod).
  std::string_view paths;
  // Reference parameters: the only target type this parameter matches (Appointment's
  // `patient` is participant.actor restricted to Patient); empty for any.
  std::string_view target = {};
  // Token values stored as keyed hashes (identifiers: INS, RPPS numbers...).
  bool hashed = false;
  std::string_view documentation = {};
  // Token parameters over free text (a document's title): each word is indexed, as a keyed
  // hash (never the text), after folding case and French diacritics; a search value's
  // words must all be present.
  bool words = false;
};

// The words of a text as search_params' `words` parameters index them: lower case, without
// diacritics, split at anything not a letter or digit, words of one character dropped.
std::vector<std::string> index_words(std::string_view text);

// The parameters of one type, including _id and _lastUpdated; empty for unknown types.
std::span<const SearchParam> search_params(std::string_view type);
const SearchParam* find_search_param(std::string_view type, std::string_view name);
// The type's first date parameter (Observation: date, Appointment: date, Patient: birthdate),
// whose earliest start is the resource's time: what searches are ordered by by default and
// what every index row carries (search_index.h); null for types without a date.
const SearchParam* primary_date_param(std::string_view type);

// The parameter whose index rows `p`'s are. A reference parameter restricted to one target
// type whose paths another reference parameter of its resource type indexes for every type
// (Observation's patient: subject restricted to Patient; Appointment's practitioner:
// participant.actor restricted to Practitioner) keeps no rows of its own: they would repeat
// that parameter's, and every resource written would store them twice. Its criteria read
// that parameter's rows, restricted to its target type (search_sql.h). Otherwise `p` itself.
const SearchParam& indexed_as(const SearchParam& p);

std::string_view param_kind_name(ParamKind kind);  // "token", "date", "reference"...

}  // namespace carnet::fhir
