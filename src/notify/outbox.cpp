#include "notify/outbox.h"

#include <nlohmann/json.hpp>

#include "crypto/aead.h"
#include "fhir/stored_json.h"

namespace carnet::notify {
namespace {

std::string associated_data(std::string_view channel, std::string_view template_id) {
  return "carnet.outbox.v1|" + std::string(channel) + "|" + std::string(template_id);
}

std::optional<Channel> parse_channel(std::string_view s) {
  if (s == "email") return Channel::kEmail;
  if (s == "sms") return Channel::kSms;
  if (s == "letter") return Channel::kLetter;
  return std::nullopt;
}

}  // namespace

std::string_view channel_name(Channel c) {
  switch (c) {
    case Channel::kEmail: return "email";
    case Channel::kSms: return "sms";
    case Channel::kLetter: return "letter";
  }
  return "email";
}

Outbox::Outbox(const crypto::KeyRing& ring) : key_(ring.service_key(crypto::ServiceKey::kOutbox)) {}

Status Outbox::enqueue(store::Transaction& tx, const Notice& n, const std::string& now) const {
  return tx.exec("INSERT INTO outbox (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?)", row(n, now)).status();
}

std::vector<store::Value> Outbox::row(const Notice& n, const std::string& now) const {
  nlohmann::json payload = {{"recipient", n.recipient}, {"params", n.params}};
  std::string channel(channel_name(n.channel));
  std::string sealed = crypto::seal(key_, payload.dump(), associated_data(channel, n.template_id));
  store::Value space = n.space_id ? store::Value(*n.space_id) : store::Value(nullptr);
  return {space, channel, n.template_id, store::Blob{std::move(sealed)}, now, now};
}

Result<Notice> Outbox::read(store::Transaction& tx, int64_t id) const {
  auto row = tx.query_one("SELECT space_id, channel, template, payload FROM outbox WHERE id = ?", {id});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found("no notice " + std::to_string(id));
  const store::Row& r = **row;
  auto channel = parse_channel(r.text(1));
  if (!channel) return Status::corrupt("outbox notice " + std::to_string(id) + " has an unknown channel");
  auto plain = crypto::open(key_, r.text(3), associated_data(r.text(1), r.text(2)));
  if (!plain.is_ok()) return plain.status().with_context("outbox notice " + std::to_string(id));
  auto json = nlohmann::json::parse(*plain, nullptr, false);
  if (json.is_discarded()) return Status::corrupt("outbox notice " + std::to_string(id) + " payload is not JSON");
  Notice n;
  if (!r.is_null(0)) n.space_id = r.text(0);
  n.channel = *channel;
  n.template_id = r.text(2);
  n.recipient = fhir::text_of(json, "recipient");
  if (auto params = json.find("params"); params != json.end() && params->is_object()) {
    for (const auto& [k, v] : params->items()) {
      if (v.is_string()) n.params[k] = v.get<std::string>();
    }
  }
  return n;
}

}  // namespace carnet::notify
