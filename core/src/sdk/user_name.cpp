#include <clocale>
#include <cwchar>
#include <cwctype>
#include <string>
#include <string_view>

#include <locale.h>

#include "roachrun/connection.hpp"

namespace roachrun {

namespace {

// C.UTF-8 for this thread while alive, whatever the process's locale is (roachrun never calls
// setlocale, so the global locale is "C", in which mbrtowc knows no UTF-8).
class Utf8Ctype {
 public:
  Utf8Ctype() : locale_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    if (locale_) previous_ = uselocale(locale_);
  }
  ~Utf8Ctype() {
    if (locale_) {
      uselocale(previous_);
      freelocale(locale_);
    }
  }
  Utf8Ctype(const Utf8Ctype&) = delete;
  Utf8Ctype& operator=(const Utf8Ctype&) = delete;
  explicit operator bool() const noexcept { return locale_ != static_cast<locale_t>(nullptr); }

 private:
  locale_t locale_;
  locale_t previous_ = LC_GLOBAL_LOCALE;
};

char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string normalize_user_name(std::string_view user) {
  std::string out;
  out.reserve(user.size());
  Utf8Ctype utf8;
  std::mbstate_t in_state{}, out_state{};
  for (std::size_t at = 0; at < user.size();) {
    const auto byte = static_cast<unsigned char>(user[at]);
    if (byte < 0x80 || !utf8) {
      out += ascii_lower(user[at]);
      ++at;
      continue;
    }
    wchar_t wide = 0;
    const std::size_t used = std::mbrtowc(&wide, user.data() + at, user.size() - at, &in_state);
    if (used == static_cast<std::size_t>(-1) || used == static_cast<std::size_t>(-2) || used == 0) {
      // Not UTF-8: kept as it is (the server decides what such a name means).
      in_state = {};
      out += user[at];
      ++at;
      continue;
    }
    char encoded[MB_LEN_MAX];
    const std::size_t written = std::wcrtomb(encoded, static_cast<wchar_t>(std::towlower(static_cast<wint_t>(wide))), &out_state);
    if (written == static_cast<std::size_t>(-1)) out.append(user.data() + at, used);
    else out.append(encoded, written);
    at += used;
  }
  return out;
}

}  // namespace roachrun
