// Invitations: the links that bring the chair or a table's moderator in
// without the join form. A link is the client page with a signed token in its
// query; the page connects with it at once and takes it out of the address
// bar. The start banner prints them; creating a table (the `create_table` op,
// `POST /api/tables`) answers with its moderator's.
#pragma once

#include "domain/room_command.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace roundtable::invitation {

// An invitation is good for a day: the length of an event, and no longer, so
// a link left in a chat log does not open the next event.
inline constexpr std::int64_t lifetime_seconds = 24 * 3600;

// Tokens signed with `secret`, valid from `now_s` (seconds since the epoch).
std::string chair_token(std::string_view secret, std::int64_t now_s);
// The moderator of `t`: id "mod-<table>", the table's moderator name (or a
// name made from its topic, within the 64 bytes a name may have).
std::string moderator_token(table_config const& t, std::string_view secret, std::int64_t now_s);

// `base` (the page's address, ending in '/') with the token in its query.
std::string link(std::string_view base, std::string_view token);

// The moderator's invitation as JSON, `{table, token, link}`, with the link
// relative to the server's address ("/?token=..."): a server behind a proxy
// does not know the address its users reach it at.
std::string moderator(table_config const& t, std::string_view secret, std::int64_t now_s);

}  // namespace roundtable::invitation
