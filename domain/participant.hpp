// Who is speaking: a participant's identity and role as the server knows it
// after `hello`, and the shared immutable buffer type that events travel in.
#pragma once

#include "server/auth/jwt.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace roundtable {

using auth::role;

// A serialized server message, shared by every recipient (serialize once).
using buffer = std::shared_ptr<std::string const>;

struct participant {
  std::string id;
  std::string name;
  role who = role::participant;
  std::string moderates;  // the table a moderator moderates; empty otherwise

  bool is_chair() const noexcept { return who == role::chair; }
  bool moderates_table(std::string const& table) const noexcept {
    return who == role::moderator && moderates == table;
  }
};

// What a participant said of themselves at `hello`: their stakeholder group
// (one of the event's) and one line of expertise; both may be empty. It
// travels with their joins, so every table knows its mix.
struct profile {
  std::string stakeholder;
  std::string expertise;
};

// One connection's membership in a room: the connection serial (unique per
// process), the worker thread that owns the connection, and the participant.
struct member {
  std::uint64_t conn = 0;
  std::uint32_t worker = 0;
  participant who;
};

}  // namespace roundtable
