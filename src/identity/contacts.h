// Contact details from enrolment files: where notices go. Validated, normalised.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::identity {

// Lower-cased "local@domain.tld"; kInvalid with the reason otherwise.
Result<std::string> normalize_email(std::string_view text);

// Mobile number as E.164 ("+33612345678"). Accepts French national forms ("06 12 34 56 78",
// "0612345678") and international ones ("+33 6 12 34 56 78", "0033612345678").
Result<std::string> normalize_mobile(std::string_view text);

// A postal address: printable, 10 to 300 characters, lines separated by newlines or " / ".
Result<std::string> normalize_address(std::string_view text);

}  // namespace carnet::identity
