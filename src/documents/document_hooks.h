// The rules of documents in the shared record, as hooks on the resource store (access/hooks.h):
//
//  - a Binary carries its document's bytes (staged by the request, staging.h), named in the
//    vault in the transaction that stores it;
//  - a DocumentReference published with its documents inline (IHE ITI-105) gets a Binary per
//    document and a submission set (List) made by the server; every attachment names a
//    Binary of the same record, whose size, SHA-1 and type it carries;
//  - a document replacing another (relatesTo "replaces") marks it superseded — a change the
//    caller must be allowed to make;
//  - deleting a DocumentReference deletes its Binaries;
//  - access labels: a document's matrix category comes from its class or type codes (else
//    from who added it), and its visibility labels (securityLabel, ANS TRE_A07) — withheld
//    from the patient until an announcement consultation (by its professional author, until
//    they drop the label or the release period ends), hidden from representatives, hidden from
//    professionals — apply to its Binaries too.
#pragma once

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "access/hooks.h"
#include "documents/vault.h"

namespace carnet::documents {

// The ANS code system of document visibility (TRE_A07-StatutVisibiliteDocument), by URL or OID.
inline constexpr char kVisibilitySystem[] =
    "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";
inline constexpr char kVisibilitySystemOid[] = "urn:oid:1.2.250.1.213.1.1.4.13";

struct VisibilityLabels {
  bool withheld_from_patient = false;        // INVISIBLE_PATIENT
  bool hidden_from_representatives = false;  // INVISIBLE_REPRESENTANTS_LEGAUX
  bool hidden_from_professionals = false;    // MASQUE_PS
};
VisibilityLabels visibility_labels(const nlohmann::json& document_reference);

// Registers the hooks of Binary and DocumentReference.
void register_document_hooks(access::HookRegistry& hooks, Vault& vault);

}  // namespace carnet::documents
