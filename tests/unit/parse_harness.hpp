// The harness of the protocol parser's unit tests: one parser reused across
// messages (as a connection reuses it), the last command and error, and the
// checks every op's tests make: parsed as op T, or refused with a code.
#pragma once

#include "protocol/parse.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace roundtable::protocol::test {

struct harness {
  parser p;
  command cmd;
  error err;

  bool parse(std::string_view s) {
    err = {};
    return p.parse(s, cmd, err);
  }
  template <class T>
  T const& as() const {
    REQUIRE(std::holds_alternative<T>(cmd.op));
    return std::get<T>(cmd.op);
  }
  // Parses `s`, expects op T, and returns it.
  template <class T>
  T const& parsed(std::string_view s) {
    INFO(s);
    REQUIRE(parse(s));
    return as<T>();
  }
  // Parses `s`, expects failure with `code`, and returns the message.
  std::string fails(std::string_view s, error_code code) {
    INFO(s);
    REQUIRE_FALSE(parse(s));
    CHECK(to_string(err.code) == to_string(code));
    return err.message;
  }
};

}  // namespace roundtable::protocol::test
