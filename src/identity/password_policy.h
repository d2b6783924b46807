// What a password must be: at least 12 characters, not in the common-passwords list shipped
// with Carnet (src/identity/data/common-passwords.txt), not a run of one character or a
// simple sequence, and not containing the login or the person's names.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"

namespace carnet::identity {

inline constexpr size_t kMinPasswordLength = 12;

// `personal`: strings the password must not contain (login local part, names), any case.
Status check_password(std::string_view password, const std::vector<std::string_view>& personal);

}  // namespace carnet::identity
