// QR codes as SVG (for the otpauth:// URI shown at activation). libqrencode underneath.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet {

// A standalone SVG document (black modules on white, 4-module quiet zone, error
// correction M), with a <title> for screen readers.
Result<std::string> qr_svg(std::string_view text, std::string_view title);

}  // namespace carnet
