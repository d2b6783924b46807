#include "identity/password_policy.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <unordered_set>

#include "core/embedded.h"

namespace carnet::identity {

const std::vector<EmbeddedFile>& password_data_files();  // generated (cmake/embed.cmake)

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::unordered_set<std::string>& common_passwords() {
  static const std::unordered_set<std::string> set = [] {
    std::unordered_set<std::string> s;
    for (const auto& f : password_data_files()) {
      size_t start = 0;
      while (start < f.contents.size()) {
        size_t nl = f.contents.find('\n', start);
        if (nl == std::string::npos) nl = f.contents.size();
        if (nl > start) s.insert(lower(std::string_view(f.contents).substr(start, nl - start)));
        start = nl + 1;
      }
    }
    return s;
  }();
  return set;
}

size_t utf8_length(std::string_view s) {
  return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

bool is_sequence(std::string_view s) {
  if (s.size() < 3) return false;
  int step = int(s[1]) - int(s[0]);
  if (step != 1 && step != -1) return false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (int(s[i]) - int(s[i - 1]) != step) return false;
  }
  return true;
}

}  // namespace

Status check_password(std::string_view password, const std::vector<std::string_view>& personal) {
  if (utf8_length(password) < kMinPasswordLength) {
    return Status::invalid("password must have at least " + std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > 256) return Status::invalid("password must have at most 256 bytes");
  std::string l = lower(password);
  if (common_passwords().count(l)) return Status::invalid("password is too common: choose another one");
  std::set<char> distinct(l.begin(), l.end());
  if (distinct.size() < 4 || is_sequence(l)) return Status::invalid("password is too simple: choose another one");
  for (auto p : personal) {
    std::string lp = lower(p);
    if (lp.size() >= 4 && l.find(lp) != std::string::npos) {
      return Status::invalid("password must not contain your login or your name");
    }
  }
  return Status::ok();
}

}  // namespace carnet::identity
