// Delivery through real services, over libcurl: an SMTP relay for e-mail and an HTTP gateway
// for SMS. Secrets (SMTP password, gateway token) come from the environment only.
#pragma once

#include <memory>
#include <string>

#include "notify/delivery.h"

namespace carnet::notify {

struct SmtpOptions {
  std::string url;       // smtp://host:587 (STARTTLS required when offered) or smtps://host:465
  std::string from;      // sender address
  std::string user;      // optional
  std::string password;  // optional (CARNET_SMTP_PASSWORD)
};

struct SmsGatewayOptions {
  std::string url;    // receives POST {"to": "+33...", "text": "..."} as JSON
  std::string token;  // optional bearer token (CARNET_SMS_GATEWAY_TOKEN)
};

std::unique_ptr<Deliverer> make_smtp_deliverer(SmtpOptions options);
std::unique_ptr<Deliverer> make_sms_gateway_deliverer(SmsGatewayOptions options);

// Routes each notice by channel: e-mail to `email` (if set), SMS to `sms` (if set), and
// everything else (letters, and channels without a service) to `fallback` (the file).
std::unique_ptr<Deliverer> make_channel_router(std::unique_ptr<Deliverer> email, std::unique_ptr<Deliverer> sms,
                                               std::unique_ptr<Deliverer> fallback);

// RFC 5322 message with a UTF-8 subject (RFC 2047) and a base64 body. Exposed for tests.
std::string build_email(const std::string& from, const std::string& to, const Rendered& rendered,
                        const std::string& message_id);

}  // namespace carnet::notify
