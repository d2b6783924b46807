// Internal to the identity module: helpers shared by the accounts .cpp files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace carnet::identity::internal {

inline constexpr char kBadCredentials[] = "the login or the password is incorrect";
inline constexpr char kBadCode[] = "the code is incorrect";
inline constexpr char kChallengeGone[] = "this step has expired or does not exist: start again";
inline constexpr int kMaxChallengeAttempts = 5;
inline constexpr int kRecoveryCodes = 10;
inline constexpr std::string_view kRecoveryAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

std::string hex(const std::string& bytes);
std::string normalize_code(std::string_view code);
std::string new_numeric_code();
// A wrong code on a challenge: counted, and the challenge dropped at the limit (the person
// must start again, with the password for a sign-in).
Status count_challenge_failure(store::Transaction& tx, const std::string& challenge_hash, int64_t attempts_before);

}  // namespace carnet::identity::internal
