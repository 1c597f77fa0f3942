// Who is at the table: what each participant said of themselves at hello (a
// stakeholder group and one line of expertise, carried by their join), the
// table's mix of groups that the lobby shows, and the table roles a moderator
// gives (rapporteur, note-taker, timekeeper or the event's own), applied in
// log order like every other command. A role has one holder at a table and a
// holder one role, so that "the rapporteur" names one person on every replica
// whatever order two moderators' clicks reach the log in.
#include "domain/room.hpp"
#include "domain/room_emit.hpp"

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

namespace {
// The role that may draft the table's summary besides its moderator.
constexpr std::string_view rapporteur = "rapporteur";
}  // namespace

room::ticket room::give_role(participant const& p, std::string_view who, std::string_view role,
                             std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::role{std::string(who), std::string(role)});
}

outcome room::on(room_command const& c, cmd::role const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "roles belong to a table");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (!op.role.empty() &&
      std::find(roles_offered_.begin(), roles_offered_.end(), op.role) == roles_offered_.end()) {
    std::string offered;
    for (auto const& r : roles_offered_) offered += (offered.empty() ? "" : ", ") + r;
    return make_error(error_code::bad_request,
                      "'" + op.role + "' is not one of the event's roles (" + offered + ")");
  }
  auto const held = roles_.find(op.participant);
  if (held != roles_.end() && held->second.role == op.role) return {};  // as asked already
  auto const take_back = [&](std::map<std::string, role_holder>::iterator it) {
    auto const id = it->first;
    auto h = std::move(it->second);
    roles_.erase(it);
    h.role.clear();
    emit_role(id, h, c.ts);
  };
  if (op.role.empty()) {
    if (held != roles_.end()) take_back(held);
    return {};
  }
  auto const seat = std::find_if(roster_.begin(), roster_.end(),
                                 [&](auto const& r) { return r.second.id == op.participant; });
  if (seat == roster_.end())
    return make_error(error_code::not_found, "'" + op.participant + "' is not at this table");
  auto const former = std::find_if(roles_.begin(), roles_.end(),
                                   [&](auto const& r) { return r.second.role == op.role; });
  if (former != roles_.end()) take_back(former);
  auto& h = roles_[op.participant];
  h = role_holder{seat->second.name, op.role};
  emit_role(op.participant, h, c.ts);
  return {};
}

void room::emit_role(std::string const& who, role_holder const& h, std::int64_t ts) {
  emit(
      "role", ts,
      [&](json_writer& w) {
        w.field("participant", who).key("role");
        if (h.role.empty()) {
          w.null();
        } else {
          w.value(h.role);
        }
        // {id, name}: an erasure blanks the name in the history like elsewhere.
        w.key("who").begin_object().field("id", who).field("name", h.name).end_object();
      },
      {}, who);
}

bool room::may_draft(participant const& p) const {
  if (may_draft(p, cfg_.id)) return true;
  auto const it = roles_.find(p.id);
  return it != roles_.end() && it->second.role == rapporteur;
}

std::string room::rapporteur_id() const {
  for (auto const& [id, h] : roles_) {
    if (h.role == rapporteur) return id;
  }
  return {};
}

void room::write_seated(json_writer& w, participant const& p) const {
  w.begin_object().field("id", p.id).field("name", p.name).field("role", auth::to_string(p.who));
  if (auto const* said = seating_.said(p.id)) {
    if (!said->stakeholder.empty()) w.field("stakeholder", said->stakeholder);
    if (!said->expertise.empty()) w.field("expertise", said->expertise);
  }
  w.end_object();
}

}  // namespace roundtable
