// Whatever was thrown, as plain data. A roachrun::Error says its kind and type itself; anything
// else (a std::exception the SDK does not define, or `throw 42;`) is named by its C++ type. The
// places where plugin code runs in the host (a step's run, a parameter check) and the CLI's last
// resort catch everything with `catch (...)` and describe it with this, so no exception ends the
// process without the reports being written and the local server removed.
//
// The description is copied out while the exception is handled: it outlives the exception, and
// the plugin library that threw it may be unloaded later.
#pragma once

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>

#include "roachrun/error.hpp"

namespace roachrun {

struct CaughtError {
  std::optional<ErrorKind> kind;  // a roachrun::Error's kind; empty for any other exception
  std::string type;               // the error type: "DbError", "std::out_of_range", "int"
  std::string message;            // what(); empty when it is not a std::exception
  std::string sqlstate;           // a DbError's; else empty
  bool std_exception = false;     // derived from std::exception (a roachrun::Error is one)
};

namespace detail {
inline std::string demangled(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && text ? std::string(text.get()) : std::string(name);
}
}  // namespace detail

// REQUIRES: called inside a catch block; describes the exception being handled.
inline CaughtError describe_current_exception() {
  CaughtError caught;
  try {
    throw;
  } catch (const Error& e) {
    caught.kind = e.kind();
    caught.type = e.type_name();
    caught.message = e.what();
    caught.std_exception = true;
    if (const auto* db = dynamic_cast<const DbError*>(&e)) caught.sqlstate = db->sqlstate();
  } catch (const std::exception& e) {
    caught.type = detail::demangled(typeid(e).name());
    caught.message = e.what();
    caught.std_exception = true;
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    caught.type = type ? detail::demangled(type->name()) : "an unknown type";
  }
  return caught;
}

// "unexpected exception <where>: std::out_of_range: <what>", or for what is not a std::exception
// "unexpected exception <where>: int, not derived from std::exception". For what the thrower
// did not mean to throw (anything but a roachrun::Error).
inline std::string unexpected_exception_text(const CaughtError& caught, std::string_view where) {
  std::string text = "unexpected exception " + std::string(where) + ": " + caught.type;
  return text + (caught.std_exception ? ": " + caught.message : ", not derived from std::exception");
}

}  // namespace roachrun
