// The one place where the domain modules attach their rules to the resource store
// (access/hooks.h): which module owns which type's validation, derived resources and notices.
#pragma once

#include "access/hooks.h"
#include "documents/vault.h"

namespace carnet {

void register_domain_hooks(access::HookRegistry& hooks, documents::Vault& vault);

}  // namespace carnet
