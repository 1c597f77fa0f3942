// Invitation tokens and links (see invitation.hpp).
#include "server/invitation.hpp"

#include "protocol/json_writer.hpp"
#include "server/auth/jwt.hpp"

namespace roundtable::invitation {

namespace {

// A token's name passes the checks of `hello` names: at most 64 bytes.
std::string moderator_name(table_config const& t) {
  if (!t.moderator.empty()) return t.moderator;
  auto name = "Moderator of " + t.topic;
  return name.size() <= 64 ? name : "Moderator";
}

}  // namespace

std::string chair_token(std::string_view secret, std::int64_t now_s) {
  return auth::mint({"chair", "Chair", auth::role::chair, "", now_s + lifetime_seconds}, secret);
}

std::string moderator_token(table_config const& t, std::string_view secret, std::int64_t now_s) {
  return auth::mint(
      {"mod-" + t.id, moderator_name(t), auth::role::moderator, t.id, now_s + lifetime_seconds},
      secret);
}

std::string link(std::string_view base, std::string_view token) {
  // A JWT is base64url and dots: nothing in it needs escaping in a query.
  return std::string(base) + "?token=" + std::string(token);
}

std::string moderator(table_config const& t, std::string_view secret, std::int64_t now_s) {
  auto const token = moderator_token(t, secret, now_s);
  protocol::json_writer w;
  w.begin_object()
      .field("table", t.id)
      .field("token", token)
      .field("link", link("/", token))
      .end_object();
  return w.release();
}

}  // namespace roundtable::invitation
