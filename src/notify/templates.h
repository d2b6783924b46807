// The words of every notice, in French. Parameters are plain values (first name, code,
// date); no template takes health information.
#pragma once

#include <map>
#include <string>

#include "core/status.h"

namespace carnet::notify {

struct Rendered {
  std::string subject;  // e-mail subject (SMS and letters ignore it)
  std::string text;     // plain text body
};

// kNotFound for an unknown template, kInvalid when a parameter it needs is missing.
Result<Rendered> render(const std::string& template_id, const std::map<std::string, std::string>& params);

}  // namespace carnet::notify
