// The outbox: notices to people (e-mail, SMS, postal letter) are written in the same
// transaction as the change that causes them, and delivered later by a job. Payloads
// (recipient, template parameters) are sealed with the outbox service key. Notices never
// carry health information: templates name the event ("your space was created"), not data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::notify {

enum class Channel { kEmail, kSms, kLetter };
std::string_view channel_name(Channel c);

struct Notice {
  std::optional<std::string> space_id;
  Channel channel = Channel::kEmail;
  std::string recipient;  // e-mail address, E.164 phone number, or postal address
  std::string template_id;  // e.g. "enrolment_notice"
  std::map<std::string, std::string> params;
};

class Outbox {
 public:
  explicit Outbox(const crypto::KeyRing& ring);
  // Adds the notice inside the caller's transaction.
  Status enqueue(store::Transaction& tx, const Notice& notice, const std::string& now) const;
  // The notice's outbox row (payload sealed), in the order of kColumns, for adding many
  // notices at once with store::insert_rows.
  static constexpr std::string_view kColumns = "space_id, channel, template, payload, created_at, next_attempt_at";
  std::vector<store::Value> row(const Notice& notice, const std::string& now) const;
  // Reads a notice back (delivery, tests). kNotFound when there is no such id.
  Result<Notice> read(store::Transaction& tx, int64_t id) const;

 private:
  crypto::SecretKey key_;
};

}  // namespace carnet::notify
