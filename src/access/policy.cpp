#include "access/policy.h"

#include "access/visibility.h"

namespace carnet::access {

std::string_view actor_kind_name(ActorKind k) {
  switch (k) {
    case ActorKind::kAnonymous: return "anonymous";
    case ActorKind::kHolder: return "holder";
    case ActorKind::kRepresentative: return "representative";
    case ActorKind::kProfessional: return "professional";
    case ActorKind::kApp: return "app";
    case ActorKind::kOperator: return "operator";
    case ActorKind::kSystem: return "system";
  }
  return "anonymous";
}

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kRead: return "read";
    case Action::kSearch: return "search";
    case Action::kCreate: return "create";
    case Action::kUpdate: return "update";
    case Action::kDelete: return "delete";
  }
  return "read";
}

namespace {

bool writes(Action a) { return a == Action::kCreate || a == Action::kUpdate || a == Action::kDelete; }

// Holder and representatives: everything in the space, except that what a professional
// added can be hidden but not changed or deleted, and what the visibility rules hide
// (visibility.h) stays hidden from them.
Decision for_holder_side(const Actor& actor, Action action, const SpaceFacts& space, const ResourceFacts& r,
                         const Matrix& matrix) {
  bool representative = !space.is_holder;
  if (r.type == kCareRelationship && action == Action::kCreate) {
    return Decision::deny("professionals declare their own care relationships");
  }
  if (representative && r.category == "holder-only") return Decision::deny("only the holder of the space can do this");
  if (representative && space.read_only && action != Action::kRead && action != Action::kSearch) {
    return Decision::deny("the holder's delegation lets you read only");
  }
  if (action != Action::kSearch && action != Action::kCreate) {
    // A search is restricted by the same rules, resource by resource (Repository::search).
    auto rules = visibility_rules(actor, space, r.type, matrix, {});
    if (const VisibilityRule* hiding = hiding_rule(rules, r, writes(action))) return Decision::deny(hiding->reason);
  }
  if ((action == Action::kUpdate || action == Action::kDelete) && !r.author_idnatps.empty()) {
    return Decision::deny("a document added by a professional can be hidden, not changed or deleted");
  }
  return Decision::allow(!representative ? "holder" : space.read_only ? "delegation (read)" : "representative or delegation");
}

Decision for_professional(const Actor& actor, Action action, const SpaceFacts& space, const ResourceFacts& r,
                          const Matrix& matrix) {
  if (space.state != "open" && !space.activated) return Decision::deny("the space is not open to professionals yet");
  if (r.type == kCareRelationship && action == Action::kCreate) {
    // Joining the care team, emergency access, consent by a code: no relationship yet.
    bool emergency_request = r.category == "emergency";
    if (space.blocked && !(emergency_request && space.emergency_despite_block)) {
      return Decision::deny("the holder blocked this professional");
    }
    if (emergency_request && space.emergency_forbidden) return Decision::deny("the holder does not allow emergency access");
    return Decision::allow(emergency_request ? "emergency access requested" : r.category, emergency_request);
  }
  bool emergency = space.emergency && !space.emergency_forbidden;
  if (space.blocked && !(emergency && space.emergency_despite_block)) {
    return Decision::deny("the holder blocked this professional");
  }
  std::string relationship = space.designated_physician ? "designated physician"
                             : space.care_team          ? "care team"
                             : space.consent            ? "consent of the holder for this consultation"
                             : emergency                ? "emergency access"
                                                        : "";
  if (relationship.empty()) return Decision::deny("no care relationship with this person");
  bool by_emergency = relationship == "emergency access";
  auto allow = [&](std::string why) { return Decision::allow(relationship + (why.empty() ? "" : "; " + why), by_emergency); };

  if (r.type == "Consent" || r.type == "AuditEvent" || r.type == kAccessControls || r.type == kAuditTrail ||
      r.type == kCareRelationship) {
    return Decision::deny(r.type + " is the holder's alone");
  }
  if (r.type == "Patient") {
    if (writes(action)) return Decision::deny("the person's identity is kept by the person");
    return allow("");
  }
  if (action == Action::kCreate) return allow("a professional may always add to the record of a patient they treat");
  if (action == Action::kUpdate || action == Action::kDelete) {
    if (r.author_idnatps != actor.idnatps) return Decision::deny("only the professional who added it may change it");
    return allow("author");
  }
  if (action == Action::kSearch) {
    // A search is decided for its type; its results are restricted by the visibility rules.
    if (r.type != "Communication" && !r.category.empty() && !matrix.allows(actor.profession, r.category)) {
      return Decision::deny("profession " + actor.profession + " may not see " + r.category);
    }
    return allow("");
  }
  auto rules = visibility_rules(actor, space, r.type, matrix, {});
  if (const VisibilityRule* hiding = hiding_rule(rules, r, false)) return Decision::deny(hiding->reason);
  if (r.author_idnatps == actor.idnatps && !r.author_idnatps.empty()) return allow("author");
  return allow("");
}

}  // namespace

Decision decide(const Actor& actor, Action action, const SpaceFacts& space, const ResourceFacts& r,
                const Matrix& matrix) {
  if (actor.kind == ActorKind::kAnonymous) return Decision::deny("not signed in");
  if (r.type == kPatientLookup) {
    return actor.kind == ActorKind::kProfessional ? Decision::allow("INS look-up")
                                                  : Decision::deny("only professionals look up patients");
  }
  if (r.directory) {
    if (writes(action)) return Decision::deny("the directory is maintained by imports of the national directory");
    return Decision::allow("public directory");
  }
  if (actor.kind == ActorKind::kSystem) return Decision::allow("system");
  if (actor.kind == ActorKind::kOperator) return Decision::deny("operators never access health content");
  if (actor.kind == ActorKind::kApp) return Decision::deny("no grant from the holder for this app");  // app catalogue issue
  if (r.type == "AuditEvent" && writes(action)) return Decision::deny("the audit trail is written by Carnet only");
  if (space.state == "opposed" || space.state == "closed") return Decision::deny("the space is " + space.state);
  if (space.is_holder || space.is_representative) return for_holder_side(actor, action, space, r, matrix);
  if (actor.kind == ActorKind::kProfessional) return for_professional(actor, action, space, r, matrix);
  return Decision::deny("no access to this space");
}

}  // namespace carnet::access
