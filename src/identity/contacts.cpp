#include "identity/contacts.h"

#include <cctype>

namespace carnet::identity {

Result<std::string> normalize_email(std::string_view text) {
  std::string e;
  for (char c : text) e += char(std::tolower(static_cast<unsigned char>(c)));
  while (!e.empty() && e.back() == ' ') e.pop_back();
  while (!e.empty() && e.front() == ' ') e.erase(0, 1);
  auto at = e.find('@');
  if (e.size() > 254 || at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) {
    return Status::invalid("e-mail address '" + e.substr(0, 60) + "' is not of the form name@domain");
  }
  std::string domain = e.substr(at + 1);
  if (domain.find('.') == std::string::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string::npos) {
    return Status::invalid("e-mail address '" + e.substr(0, 60) + "' has an invalid domain");
  }
  for (char c : e) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("@.!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
    if (!ok) return Status::invalid("e-mail address '" + e.substr(0, 60) + "' contains an invalid character");
  }
  return e;
}

Result<std::string> normalize_mobile(std::string_view text) {
  std::string digits;
  bool plus = false;
  for (char c : text) {
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') {
      return Status::invalid("mobile number '" + std::string(text.substr(0, 30)) + "' contains '" + std::string(1, c) + "'");
    }
  }
  if (!plus && digits.rfind("00", 0) == 0) {
    plus = true;
    digits.erase(0, 2);
  }
  if (!plus) {
    // French national number: 06/07 mobiles (and 01-09 in general), ten digits.
    if (digits.size() != 10 || digits[0] != '0') {
      return Status::invalid("mobile number '" + std::string(text.substr(0, 30)) +
                             "' must have 10 digits starting with 0, or an international +prefix");
    }
    digits = "33" + digits.substr(1);
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
    return Status::invalid("mobile number '" + std::string(text.substr(0, 30)) + "' is not a valid international number");
  }
  return "+" + digits;
}

Result<std::string> normalize_address(std::string_view text) {
  std::string a;
  for (unsigned char c : text) {
    if (c == '\r') continue;
    if (c < 0x20 && c != '\n') return Status::invalid("postal address contains a control character");
    a += char(c);
  }
  while (!a.empty() && (a.back() == ' ' || a.back() == '\n')) a.pop_back();
  if (a.size() < 10 || a.size() > 300) return Status::invalid("postal address must have 10 to 300 characters");
  return a;
}

}  // namespace carnet::identity
