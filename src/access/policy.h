// The one access decision of ARCHITECTURE §4: decide(actor, action, resource) → allow or
// deny with a reason. Pure: every fact it needs (the space's state, the actor's care
// relationship, blocks, hidden flags, the profession × category matrix) is handed in, so the
// rules are tested exhaustively without a database. Nothing else in Carnet checks
// permissions; facts.h loads the facts, audit.h records the outcome.
#pragma once

#include <string>
#include <string_view>

#include "access/matrix.h"

namespace carnet::access {

enum class ActorKind { kAnonymous, kHolder, kRepresentative, kProfessional, kApp, kOperator, kSystem };
enum class Action { kRead, kSearch, kCreate, kUpdate, kDelete };

std::string_view actor_kind_name(ActorKind k);
std::string_view action_name(Action a);

struct Actor {
  ActorKind kind = ActorKind::kAnonymous;
  std::string account_id;
  std::string idnatps;     // professionals: their national id
  std::string profession;  // professionals: RPPS profession code ("10" physician, "21" pharmacist…)
};

// What the space's records say about this actor, at the time of the request.
struct SpaceFacts {
  std::string space_id;
  std::string state;  // notified, open, opposed, closed
  bool activated = false;
  bool is_holder = false;          // the actor's own space
  bool is_representative = false;  // the actor represents the holder (a minor's parent) or holds a delegation
  bool read_only = false;          // …a delegation the holder limited to reading
  // Professionals:
  bool designated_physician = false;  // médecin traitant, set by the holder
  bool care_team = false;             // declared member of the care team, not removed by the holder
  bool consent = false;               // explicit consent of the holder for this consultation, live
  bool emergency = false;             // live emergency access ("bris de glace")
  bool blocked = false;               // the holder blocked this professional
  bool emergency_despite_block = false;  // …but allowed emergency access anyway
  bool emergency_forbidden = false;      // the holder forbids emergency access in their settings
};

// The resource concerned. For a search or a create, only the type (and for a create the
// category of what is created) is known.
struct ResourceFacts {
  std::string type;
  std::string category;  // matrix category key of this resource (see matrix.h); empty: none
  bool hidden_from_professionals = false;
  bool hidden_from_representatives = false;
  std::string author_idnatps;  // the professional who added it, if any
  bool directory = false;      // Practitioner, PractitionerRole, Organization
  // A result its author withholds from the patient until an announcement consultation
  // ("non visible par le patient"), not yet released.
  bool withheld_from_patient = false;
};

// Pseudo resource types for what is not a FHIR resource but still decided here.
inline constexpr std::string_view kAccessControls = "AccessControls";      // the holder's controls (category "holder-only": not for representatives)
inline constexpr std::string_view kAuditTrail = "AuditTrail";              // the readable history of accesses
inline constexpr std::string_view kCareRelationship = "CareRelationship";  // category: care_team, emergency, consent
inline constexpr std::string_view kPatientLookup = "PatientLookup";        // finding a space by INS

struct Decision {
  bool allowed = false;
  std::string reason;  // why (kept in the audit trail); for a denial, shown to the caller
  bool emergency = false;  // allowed only by emergency access (audited as such)

  static Decision allow(std::string why, bool emergency = false) { return {true, std::move(why), emergency}; }
  static Decision deny(std::string why) { return {false, std::move(why), false}; }
};

Decision decide(const Actor& actor, Action action, const SpaceFacts& space, const ResourceFacts& resource,
                const Matrix& matrix);

}  // namespace carnet::access
