// Accounts, activation, sign-in and sessions (ARCHITECTURE §5).
//
// Activation: NIR + birth date + provisional code, then a login (e-mail), a password and a
// second factor (TOTP app, or one-time codes by e-mail or SMS); confirmed by a first code
// from that factor. Recovery codes are returned once.
// Sign-in: password, then second factor (or a recovery code). Unknown login and wrong
// password look the same (message and timing: a dummy hash is verified). Failures are
// counted per login and per client address in the database (shared by instances); beyond
// `free_failures`, each new failure doubles a lock-out, up to `max_backoff`.
// Sessions: opaque random tokens stored as keyed hashes; a cookie session also has a CSRF
// token; idle and absolute expiry; listed and revoked by a public session id.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "crypto/password.h"
#include "identity/spaces.h"
#include "store/store.h"

namespace carnet::identity {

struct SecurityOptions {
  crypto::PasswordCost password_cost;
  crypto::PasswordLane* password_lane = nullptr;  // where hashes run (none: on the caller's thread)
  std::chrono::seconds session_idle{std::chrono::minutes(30)};
  std::chrono::seconds session_absolute{std::chrono::hours(12)};
  std::chrono::seconds challenge_ttl{std::chrono::minutes(10)};
  int free_failures = 5;
  std::chrono::seconds max_backoff{std::chrono::minutes(15)};
};

enum class SessionKind { kCookie, kBearer };

struct ClientInfo {
  std::string address;
  std::string user_agent;
};

struct ActivationRequest {
  ProvisionalClaim claim;
  std::string login;          // e-mail
  std::string password;
  std::string second_factor;  // "totp", "email" or "sms"
};

struct ActivationStarted {
  std::string activation_id;
  std::string second_factor;
  std::string otpauth_uri;  // totp only
  std::string qr_svg;       // totp only
};

struct NewSession {
  std::string token;       // cookie value or bearer token; shown once
  std::string csrf_token;  // cookie sessions: send it back in X-CSRF-Token
  std::string session_id;
  std::string expires_at;
  std::string account_id;
};

struct Activated {
  NewSession session;
  std::vector<std::string> recovery_codes;  // shown once
};

struct SignInStarted {
  std::string challenge_id;
  std::string second_factor;
};

struct Principal {
  std::string account_id;
  std::string session_id;
  std::string kind;             // "holder", "professional" or "operator"
  std::string idnatps;          // professionals
  std::string space_id;         // the holder's own space
  std::string acting_space_id;  // the space this session acts in (own, or a represented child's)
};

struct SpaceSummary {
  std::string space_id;
  std::string role;  // "holder" or "representative"
  std::string first_name;
  std::string state;
};

struct SessionView {
  std::string session_id, kind, created_at, last_seen_at, expires_at, client_address, user_agent;
  bool current = false;
};

class Accounts {
 public:
  Accounts(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, SecurityOptions options);

  // Called after a commit that queued a one-time code, so that the caller can deliver it at
  // once instead of at the next run of the delivery job. Must not block.
  void set_code_queued_hook(std::function<void()> hook) { code_queued_ = std::move(hook); }

  Result<ActivationStarted> start_activation(const ActivationRequest& request);
  Result<Activated> confirm_activation(const std::string& activation_id, const std::string& code, SessionKind kind,
                                       const ClientInfo& client);

  Result<SignInStarted> start_sign_in(const std::string& login, const std::string& password, const ClientInfo& client);
  Result<NewSession> finish_sign_in(const std::string& challenge_id, const std::string& code, SessionKind kind,
                                    const ClientInfo& client);

  // Passwords after activation (passwords.cpp). Neither bypasses the second factor, and both
  // end the account's other sessions and tell the person by e-mail.
  // The signed-in person changes theirs: kUnauthenticated when `current` is wrong (counted
  // like a failed sign-in), kInvalid when `next` breaks the password policy.
  Status change_password(const Principal& who, const std::string& current, const std::string& next);
  // Forgotten password, step 1: a code e-mailed to the login, valid 30 minutes. The answer is
  // the same whether or not the login exists (no account discovery); at most one e-mail a
  // minute per account; kThrottled for an address that failed too often.
  Status request_password_reset(const std::string& login, const ClientInfo& client);
  // Step 2: the code and the new password. kUnauthenticated (one message for every reason)
  // when the code is wrong, used, expired or tried five times; kInvalid for the policy.
  Status reset_password(const std::string& login, const std::string& code, const std::string& password,
                        const ClientInfo& client);

  // A cookie session must present its CSRF token for unsafe methods (`csrf` set); pass
  // nullopt for safe methods. kUnauthenticated for anything wrong.
  Result<Principal> authenticate(const std::string& token, SessionKind kind, const std::optional<std::string>& csrf);
  // The principal of `token`'s session when authenticate() on this instance found it valid
  // less than a minute ago, acting in its own space (nullopt: call authenticate()). This is
  // NOT a decision: the request's next statement must check `confirmation`, which reads the
  // session as it stands in the database (revoked, expired, idle, account disabled, space
  // switched), so that a session ended through any instance is refused at once. Saves a
  // round trip per request to a database server.
  struct RememberedSession {
    Principal who;
    store::Condition confirmation;  // a boolean SQL expression
  };
  std::optional<RememberedSession> remembered(const std::string& token, SessionKind kind) const;
  // Drops what remembered() knows of `token` (a confirmation failed).
  void forget(const std::string& token) const;
  Result<std::vector<SessionView>> list_sessions(const Principal& who);
  Status revoke_session(const Principal& who, const std::string& session_id);

  // Professionals. An invitation binds an e-mail address to an IdNatPs listed (and active)
  // in the directory; accepting it starts an activation like a holder's (password, second
  // factor), confirmed with confirm_activation. kNotFound when the IdNatPs is not an active
  // practitioner; kConflict when it already has an account.
  Status invite_professional(const std::string& idnatps, const std::string& email);
  // Self-service: an invitation is sent only when `email` is one the directory lists for that
  // professional (returns OK either way, so it tells nothing about the directory's content).
  Status request_professional_invitation(const std::string& idnatps, const std::string& email);
  Result<ActivationStarted> start_professional_activation(const std::string& invitation, const std::string& password,
                                                          const std::string& second_factor);

  // Creates an operator account (no space) with TOTP as second factor. Returns the TOTP
  // secret (raw bytes) to show once. kConflict when the login is taken.
  Result<std::string> create_operator(const std::string& login, const std::string& password);
  // The same with a given TOTP secret (raw bytes, kTotpSecretBytes): the demonstration data
  // set's operator, whose code anyone trying Carnet can compute.
  Result<std::string> create_operator(const std::string& login, const std::string& password, const std::string& secret);

  // Second factor and recovery codes after activation (second_factor.cpp). Both ask for the
  // current password again (a wrong one counted like a failed sign-in).
  // A new second factor ("totp", "email"; "sms" for a holder whose mobile is known; an
  // operator only renews their authenticator app): a TOTP
  // secret to scan, or a code sent to the new destination; it replaces the old one only when
  // confirmed with its first code (ten minutes, five tries). `activation_id` is the change's id.
  Result<ActivationStarted> start_factor_change(const Principal& who, const std::string& current_password,
                                                const std::string& second_factor);
  // Confirms the change: the new factor is in use, the old recovery codes are replaced by new
  // ones (returned, shown once), the account's other sessions end and the person is told by
  // e-mail. kUnauthenticated when the code is wrong or the change expired.
  Result<std::vector<std::string>> confirm_factor_change(const Principal& who, const std::string& change_id,
                                                         const std::string& code);
  // New recovery codes; the old ones stop working. The person is told by e-mail.
  Result<std::vector<std::string>> renew_recovery_codes(const Principal& who, const std::string& current_password);

  // The spaces the holder may act in: their own and those of the minors they represent.
  Result<std::vector<SpaceSummary>> my_spaces(const Principal& who);
  // What the portal greets the person with: their first name (holders, from their space's
  // identity) and when their previous visit ended (the latest activity of their other
  // sessions; empty on a first visit), for "what is new since my last visit".
  struct About {
    std::string first_name;
    std::string previous_visit_at;
    std::string second_factor;     // "totp", "email" or "sms"
    int64_t recovery_codes_left = 0;
  };
  Result<About> about(const Principal& who);
  // The CSRF token of a cookie session, derived from its token: a page loaded again (or a
  // new tab) gets it from /api/v1/me without it being stored anywhere.
  std::string csrf_token_of(const std::string& session_token) const;
  // Makes the session act in `space_id` (own or represented); kNotFound otherwise.
  Status switch_space(const Principal& who, const std::string& space_id);
  // Sends the minor's other legal representative (listed at enrolment) an invitation at
  // `email`. kNotFound when the caller does not represent that space or there is no other.
  Status invite_representative(const Principal& who, const std::string& space_id, const std::string& email);

 private:
  Status throttle_check(store::Transaction& tx, const std::vector<std::string>& keys, const std::string& now);
  Status record_failure(store::Transaction& tx, const std::vector<std::string>& keys, const std::string& now);
  Result<NewSession> create_session(store::Transaction& tx, const std::string& account_id, SessionKind kind,
                                    const ClientInfo& client, const std::string& now);
  // True when `own_space_id`'s person currently represents `space_id` (a minor's parent).
  Result<bool> represents(store::Transaction& tx, const std::string& own_space_id, const std::string& space_id);
  // Represents it, or holds a live delegation from its holder.
  Result<bool> acts_for(store::Transaction& tx, const std::string& own_space_id, const std::string& space_id);
  Result<ActivationStarted> start_factor_enrolment(const std::string& space_id, const std::string& login,
                                                   const std::string& password_hash, const std::string& second_factor,
                                                   const std::string& phone, const std::string& idnatps);
  // A new second factor before its first code: fills `started` (TOTP: the otpauth URI and its
  // QR code) and returns what must be kept until confirmation, sealed by the caller.
  struct PendingFactor {
    std::string factor, secret, destination, otp;  // secret: TOTP bytes; otp: the code sent
  };
  // The pending factor kept sealed until confirmation, read back (kCorrupt when unreadable).
  static Result<PendingFactor> pending_factor_of(const nlohmann::json& payload);
  Result<PendingFactor> prepare_factor(const std::string& factor, const std::string& login, const std::string& phone,
                                       ActivationStarted& started);
  // Whether `code` proves the pending factor (`otp_hash` is the stored hash for e-mail/SMS
  // codes, keyed by `pending_id`); sets the TOTP step used.
  bool pending_factor_matches(const PendingFactor& pending, const std::string& pending_id, const std::string& otp_hash,
                              const std::string& code, uint64_t& step) const;
  // The accounts.factor_sealed value for a confirmed factor (TOTP secret, SMS phone; NULL for e-mail).
  store::Value sealed_factor(const PendingFactor& pending, const std::string& account_id) const;
  // Replaces the account's recovery codes by kRecoveryCodes new ones, returned as shown ("ABCDE-FGHJK").
  Result<std::vector<std::string>> issue_recovery_codes(store::Transaction& tx, const std::string& account_id);
  // The signed-in person's password asked again: kUnauthenticated (and a failure counted) when wrong.
  Status check_current_password(const Principal& who, const std::string& password);
  // The decrypted identity of a space (empty when none is stored or the space was shredded).
  Result<std::string> space_identity_json(store::Transaction& tx, const std::string& space_id);
  // What a new password must not contain: the login's local part and the holder's names.
  Result<std::vector<std::string>> personal_words(store::Transaction& tx, const std::string& account_id);
  // Writes a new password hash, ends the other sessions (all but `keep_session`), tells the person.
  Status store_password(store::Transaction& tx, const std::string& account_id, const std::string& hash,
                        const std::string& keep_session, const std::string& now);
  // E-mails the account's login a notice (`template_id`, with the date in {date}).
  Status tell_account(store::Transaction& tx, const std::string& account_id, const std::string& template_id,
                      const std::string& now);
  Status send_code(store::Transaction& tx, const std::string& factor, const std::string& destination,
                   const std::string& code, const std::string& now);

  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
  SecurityOptions options_;
  crypto::PasswordHasher hasher_;
  crypto::SecretKey sealing_key_;
  std::string dummy_hash_;  // verified for unknown logins, so timing does not tell
  std::function<void()> code_queued_;

  struct Remembered {
    Principal who;
    SessionKind kind;
    std::chrono::system_clock::time_point at;
  };
  void remember(const std::string& token_hash, const Principal& who, SessionKind kind) const;
  mutable std::mutex remembered_mu_;
  mutable std::unordered_map<std::string, Remembered> remembered_;  // by token hash
};

// Lower-cased, trimmed e-mail used as the login (kInvalid if not an address).
Result<std::string> normalize_login(const std::string& login);

}  // namespace carnet::identity
