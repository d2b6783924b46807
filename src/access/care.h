// Care relationships and the holder's controls (issue: access policy): how a professional
// comes to have access to a person's space, and how the holder steers it.
//
//  - a professional finds a patient's space by INS (NIR + birth date);
//  - declares themselves a member of the care team (presumed authorised: the holder is
//    notified and can remove them), or uses emergency access with a written reason (for a
//    limited time; the holder is notified and may forbid it in their settings);
//  - the holder designates their physician, gives consent to an outside professional for one
//    consultation, removes a relationship, blocks and unblocks a professional, hides a
//    document from professionals or from representatives.
// Every change is recorded in the audit trail: the professional's acts in the space's
// history, the holder's in their own history. Notices to the holder carry no health content.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "access/audit.h"
#include "access/caller.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::access {

struct CareOptions {
  std::chrono::seconds emergency_duration{24 * 3600};
  std::chrono::seconds consent_duration{24 * 3600};
};

struct Relationship {
  std::string idnatps;
  std::string kind;  // designated, care_team, consent, emergency
  std::string since;
  std::string expires_at;  // empty: no end
};

// "Dr Claire MARTIN": how a professional is named in notices to holders, from the directory.
// kNotFound when the directory does not list them.
Result<std::string> professional_name(store::Transaction& tx, const crypto::KeyRing& ring, const Clock& clock,
                                      std::string_view idnatps);

// How the portal names a professional to a holder: name and profession ("Pharmacien"), from
// the directory. Empty strings for a professional the directory does not list (any more).
struct ProfessionalIdentity {
  std::string name, profession;
};

// A person found by INS: the space, and the identity traits the professional checks against
// the person in front of them (identitovigilance).
struct FoundPatient {
  std::string space_id;
  std::string birth_name, first_names, birth_date, sex;
};

class Care {
 public:
  Care(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, AuditLog& audit, CareOptions options = {});

  // Professionals.
  // The space of the person with this NIR and birth date, if it is open (or activated) —
  // kNotFound otherwise, with the same message whatever the reason. Audited.
  Result<FoundPatient> find_patient(const Caller& pro, std::string_view nir, std::string_view birth_date);
  Status declare_care_team(const Caller& pro, std::string_view space_id);
  // kForbidden when the holder forbids emergency access, or blocked this professional without
  // allowing emergency access.
  Status emergency(const Caller& pro, std::string_view space_id, std::string_view reason);

  // The holder (or a representative) acting in `caller.acting_space`.
  Status designate_physician(const Caller& holder, std::string_view idnatps);
  Status grant_consent(const Caller& holder, std::string_view idnatps);
  // A code for the holder to read out to a professional during a consultation (valid ten
  // minutes, one use; a new one replaces the last). The professional then enters it:
  // consent_with_code() gives them consent for the consultation. Five wrong codes void it.
  Result<std::string> consultation_code(const Caller& holder);
  Status consent_with_code(const Caller& pro, std::string_view space_id, std::string_view code);
  Status remove_relationship(const Caller& holder, std::string_view idnatps);
  Status block(const Caller& holder, std::string_view idnatps, bool emergency_allowed);
  Status unblock(const Caller& holder, std::string_view idnatps);
  Status set_hidden(const Caller& holder, std::string_view type, std::string_view id, bool from_professionals,
                    bool from_representatives);
  Status forbid_emergency(const Caller& holder, bool forbidden);
  // Delegations: another person with a Carnet account (by their login e-mail) acts in the
  // holder's space with `rights` "read" or "write"; the holder revokes them at any time.
  struct Delegation {
    std::string delegate_space_id, rights, since;
  };
  Status delegate(const Caller& holder, std::string_view login, std::string_view rights);
  Status revoke_delegation(const Caller& holder, std::string_view delegate_space_id);
  Result<std::vector<Delegation>> delegations(const Caller& holder);
  Result<std::vector<Relationship>> relationships(const Caller& holder);
  struct Block {
    std::string idnatps, since;
    bool emergency_allowed = false;
  };
  Result<std::vector<Block>> blocks(const Caller& holder);
  // Whether the holder forbade emergency access.
  Result<bool> emergency_forbidden(const Caller& holder);
  // What the holder hid, and from whom (documents and profile items; a document's bytes
  // follow it and are not listed).
  struct Hidden {
    std::string type, id;
    bool from_professionals = false, from_representatives = false;
  };
  Result<std::vector<Hidden>> hidden(const Caller& holder);
  // Names and professions of professionals, for lists shown to the holder (reference data:
  // anyone signed in may read the directory).
  Result<std::map<std::string, ProfessionalIdentity>> professionals(const std::vector<std::string>& idnatps);
  // How the holder is told of each kind of event (first_access, emergency, new_document):
  // email, sms or none ("default": the first contact they gave).
  Status set_notification(const Caller& holder, std::string_view kind, std::string_view channel);
  Result<std::map<std::string, std::string>> notifications(const Caller& holder);
  // The readable history of the holder's space (by_holder: their own actions), newest first.
  Result<std::vector<AuditEvent>> history(const Caller& holder, bool by_holder, int64_t before_seq);

 private:
  // The policy's decision (decide()) on this act, in `tx`; kForbidden with its reason.
  Status allowed(store::Transaction& tx, const Caller& c, Action action, std::string_view type,
                 std::string_view category, std::string_view space) const;
  // The same for the holder's acts in their acting space, in a transaction of its own.
  Status holder_may(const Caller& c, Action action, std::string_view category = {}) const;
  Status holder_action(store::Transaction& tx, const Caller& holder, std::string action, std::string detail) const;

  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
  AuditLog& audit_;
  CareOptions options_;
};

}  // namespace carnet::access
