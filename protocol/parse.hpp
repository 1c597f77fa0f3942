// Parsing one client message: bytes in, a typed command or a protocol error out.
// Sans-io: no sockets, no Asio. Uses simdjson on-demand.
#pragma once

#include "protocol/command.hpp"
#include "protocol/error.hpp"

#include <string_view>

namespace roundtable::protocol {

// Reusable parser state (simdjson's buffers). One per thread or per connection;
// not thread-safe.
// What is wrong with a one-line label (a name, a topic), if anything.
enum class label_problem { none, control_characters, too_long, empty };

// The check every name and topic gets, wherever it comes from (an op, a token's
// claims): no control characters at all, surrounding Unicode spaces trimmed
// (`s` is left trimmed), then at most `max` bytes and not empty.
label_problem check_label(std::string_view& s, std::size_t max) noexcept;

class parser {
 public:
  parser();
  ~parser();
  parser(parser const&) = delete;
  parser& operator=(parser const&) = delete;

  // Parses one message. On success fills `out` and returns true. On failure fills
  // `err` (code and a human message) and returns false; `out.rid` is still set
  // when the message was an object with a valid `rid`, so the error reply can
  // echo it.
  bool parse(std::string_view message, command& out, error& err);
  // Parses `message` as the fields of op `op` (a wire name, e.g. "create_table")
  // with exactly the checks that op gets over the WebSocket; an "op" field in
  // it is ignored. For the admin API, whose bodies are an op's fields.
  bool parse_fields(std::string_view op, std::string_view message, command& out, error& err);

 private:
  struct impl;
  impl* impl_;
};

}  // namespace roundtable::protocol
