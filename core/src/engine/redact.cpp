#include "engine/redact.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include <libpq-fe.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include "engine/target.hpp"

namespace roachrun {

namespace {

// Passwords shorter than this are masked only where they appear as a password (in a URL or a
// key=value string): replacing every "a" in every message would make logs unreadable.
constexpr std::size_t kMinSecretLength = 3;

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void replace_all(std::string& text, const std::string& what, std::string_view with) {
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + with.size()))
    text.replace(pos, what.size(), with);
}

class RedactingSink final : public spdlog::sinks::sink {
 public:
  RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner, const Redactor& redactor)
      : inner_(std::move(inner)), redactor_(redactor) {}

  void log(const spdlog::details::log_msg& msg) override {
    const std::string text = redactor_.redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(text.data(), text.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override { inner_->set_formatter(std::move(formatter)); }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
  const Redactor& redactor_;
};

}  // namespace

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  {
    std::lock_guard lock(mutex_);
    for (const auto& secret : secrets_) replace_all(out, secret, "***");
  }
  // A URL anywhere in the text (redact_url only looks at the start), then key=value forms.
  static const std::regex userinfo(R"(([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]*@)");
  return redact_url(std::regex_replace(out, userinfo, "$1:***@"));
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  std::lock_guard lock(mutex_);
  for (std::string form : {std::string(secret), url_encode(secret)}) {
    if (std::find(secrets_.begin(), secrets_.end(), form) == secrets_.end()) secrets_.push_back(std::move(form));
  }
  std::stable_sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void Redactor::add_conninfo(const std::string& conninfo) {
  if (conninfo.empty() || conninfo == "local") return;
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &err);
  if (!parsed) {
    PQfreemem(err);
    return;  // not parseable: redact_url still masks what looks like a password
  }
  for (PQconninfoOption* o = parsed; o->keyword; ++o)
    if (o->val && (std::string_view(o->keyword) == "password" || std::string_view(o->keyword) == "sslpassword"))
      add(o->val);
  PQconninfoFree(parsed);
}

void Redactor::add_scenario(const Scenario& scenario) {
  add_conninfo(scenario.target.url);
  for (const auto& c : scenario.connections) {
    add(c.password);
    for (const auto& [key, value] : c.libpq)
      if (key == "password" || key == "sslpassword") add(value);
  }
}

Redactor& redactor() {
  static Redactor instance;
  return instance;
}

std::shared_ptr<spdlog::sinks::sink> make_redacting_sink(std::shared_ptr<spdlog::sinks::sink> inner,
                                                         const Redactor& redactor) {
  return std::make_shared<RedactingSink>(std::move(inner), redactor);
}

}  // namespace roachrun
