// libcurl adapter: SMTP relay and HTTP SMS gateway.
#include "notify/relays.h"

#include <curl/curl.h>

#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/encoding.h"

namespace carnet::notify {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  const std::string* data;
  size_t pos = 0;
};

size_t read_upload(char* buf, size_t size, size_t nmemb, void* userp) {
  auto* u = static_cast<Upload*>(userp);
  size_t n = std::min(size * nmemb, u->data->size() - u->pos);
  std::memcpy(buf, u->data->data() + u->pos, n);
  u->pos += n;
  return n;
}

size_t discard(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

std::string wrap76(const std::string& b64) {
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

Status curl_status(CURLcode rc, const char* errbuf, const char* what) {
  std::string msg = std::string(what) + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
  // Everything network-side is transient from our point of view: retry later.
  return Status::unavailable(msg);
}

class SmtpDeliverer final : public Deliverer {
 public:
  explicit SmtpDeliverer(SmtpOptions o) : o_(std::move(o)) { global_init(); }
  Status deliver(int64_t id, const Notice& n, const Rendered& r) override {
    std::string message = build_email(o_.from, n.recipient, r, "<notice-" + std::to_string(id) + "@carnet>");
    CURL* curl = curl_easy_init();
    if (!curl) return Status::unavailable("curl init failed");
    char errbuf[CURL_ERROR_SIZE] = {};
    Upload upload{&message};
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + n.recipient + ">").c_str());
    curl_easy_setopt(curl, CURLOPT_URL, o_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + o_.from + ">").c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_USE_SSL, long(CURLUSESSL_TRY));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!o_.user.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, o_.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, o_.password.c_str());
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) return curl_status(rc, errbuf, "SMTP relay");
    return Status::ok();
  }

 private:
  SmtpOptions o_;
};

class SmsGatewayDeliverer final : public Deliverer {
 public:
  explicit SmsGatewayDeliverer(SmsGatewayOptions o) : o_(std::move(o)) { global_init(); }
  Status deliver(int64_t id, const Notice& n, const Rendered& r) override {
    std::string body = nlohmann::json{{"to", n.recipient}, {"text", r.text}, {"reference", std::to_string(id)}}.dump();
    CURL* curl = curl_easy_init();
    if (!curl) return Status::unavailable("curl init failed");
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::string auth = "Authorization: Bearer " + o_.token;
    if (!o_.token.empty()) headers = curl_slist_append(headers, auth.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, o_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) return curl_status(rc, errbuf, "SMS gateway");
    if (code >= 500 || code == 429) return Status::unavailable("SMS gateway answered " + std::to_string(code));
    if (code >= 300) return Status::invalid("SMS gateway refused the message (" + std::to_string(code) + ")");
    return Status::ok();
  }

 private:
  SmsGatewayOptions o_;
};

class ChannelRouter final : public Deliverer {
 public:
  ChannelRouter(std::unique_ptr<Deliverer> email, std::unique_ptr<Deliverer> sms, std::unique_ptr<Deliverer> fallback)
      : email_(std::move(email)), sms_(std::move(sms)), fallback_(std::move(fallback)) {}
  Status deliver(int64_t id, const Notice& n, const Rendered& r) override {
    if (n.channel == Channel::kEmail && email_) return email_->deliver(id, n, r);
    if (n.channel == Channel::kSms && sms_) return sms_->deliver(id, n, r);
    return fallback_->deliver(id, n, r);
  }

 private:
  std::unique_ptr<Deliverer> email_, sms_, fallback_;
};

}  // namespace

std::string build_email(const std::string& from, const std::string& to, const Rendered& rendered,
                        const std::string& message_id) {
  std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", std::gmtime(&now));
  std::string msg;
  msg += "Date: " + std::string(date) + "\r\n";
  msg += "From: Carnet <" + from + ">\r\n";
  msg += "To: <" + to + ">\r\n";
  msg += "Message-ID: " + message_id + "\r\n";
  msg += "Subject: =?UTF-8?B?" + base64_encode(rendered.subject) + "?=\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=UTF-8\r\n";
  msg += "Content-Transfer-Encoding: base64\r\n\r\n";
  msg += wrap76(base64_encode(rendered.text));
  return msg;
}

std::unique_ptr<Deliverer> make_smtp_deliverer(SmtpOptions options) {
  return std::make_unique<SmtpDeliverer>(std::move(options));
}

std::unique_ptr<Deliverer> make_sms_gateway_deliverer(SmsGatewayOptions options) {
  return std::make_unique<SmsGatewayDeliverer>(std::move(options));
}

std::unique_ptr<Deliverer> make_channel_router(std::unique_ptr<Deliverer> email, std::unique_ptr<Deliverer> sms,
                                               std::unique_ptr<Deliverer> fallback) {
  return std::make_unique<ChannelRouter>(std::move(email), std::move(sms), std::move(fallback));
}

}  // namespace carnet::notify
