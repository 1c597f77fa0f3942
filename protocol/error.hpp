// Protocol error codes: the stable strings clients see in `error.code`, and the
// WebSocket close codes the server uses. This is the one list; PROTOCOL.md
// documents each entry and the server never invents a code outside it.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace roundtable::protocol {

enum class error_code {
  bad_request = 1,  // malformed JSON, missing or mistyped field, unknown op
  unauthorized,     // bad or expired token, or an op before `hello`
  forbidden,        // the role, the room or a closed table does not allow the op
  not_found,        // no such table, message or insight
  full,             // the table is at capacity
  rate_limited,     // over the per-connection message rate
  too_large,        // a field over its length limit
  unavailable,      // a backend the op needs (Redis, the store) is down
  internal,         // a server bug; logged
};

// The stable wire string, e.g. "bad_request".
std::string_view to_string(error_code c) noexcept;

std::error_category const& error_category() noexcept;
inline std::error_code make_error_code(error_code c) noexcept {
  return {static_cast<int>(c), error_category()};
}

// An error reply: a code and a message for humans. The message never echoes
// secrets (tokens) back.
struct error {
  error_code code = error_code::internal;
  std::string message;
};

// WebSocket close codes the server sends (RFC 6455 section 7.4.1).
namespace close_code {
inline constexpr unsigned short normal = 1000;
inline constexpr unsigned short going_away = 1001;   // server shutdown
inline constexpr unsigned short unsupported = 1003;  // binary frame
inline constexpr unsigned short bad_payload = 1007;  // invalid UTF-8
inline constexpr unsigned short policy = 1008;       // slow consumer, flood
inline constexpr unsigned short too_big = 1009;      // message over the size limit
inline constexpr unsigned short internal = 1011;
}  // namespace close_code

}  // namespace roundtable::protocol

template <>
struct std::is_error_code_enum<roundtable::protocol::error_code> : std::true_type {};
