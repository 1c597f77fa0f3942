// The hosts' tools, applied in log order like every other command (see
// room_apply.cpp): the chair moves a participant to a table, and calls
// everyone back to the plenary. Both go through the plenary's log because
// every node holds the plenary: each replica that applies them hands them to
// its node, which acts on its own connections (seats the person, or takes
// everyone off the tables).
#include "domain/room.hpp"
#include "domain/room_emit.hpp"

namespace roundtable {

using protocol::json_writer;

room::ticket room::move(participant const& chair, cmd::move op, std::int64_t now_ms) {
  return submit(chair, {}, now_ms, std::move(op));
}

outcome room::on(room_command const& c, cmd::move const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "move goes through the plenary");
  if (!c.who.is_chair()) return make_error(error_code::forbidden, "only the chair moves people");
  if (!tables_.count(op.table))
    return make_error(error_code::not_found, "no table '" + op.table + "'");
  moves_.push_back({op, participant{c.who.id, c.who.name, c.who.who, {}}});
  return {};
}

room::ticket room::recall(participant const& chair, cmd::recall op, std::int64_t now_ms) {
  return submit(chair, {}, now_ms, op);
}

void room::recall_expired(std::int64_t ends_at, std::int64_t now_ms) {
  if (recall_ends_at_ == 0 || recall_ends_at_ != ends_at) return;
  submit({}, {}, now_ms, cmd::recall_ended{ends_at});
}

outcome room::on(room_command const& c, cmd::recall const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "recall goes through the plenary");
  if (!c.who.is_chair())
    return make_error(error_code::forbidden, "only the chair calls everyone back");
  if (op.cancel && recall_ends_at_ == 0)
    return make_error(error_code::not_found, "no recall is running");
  if (!op.cancel && op.seconds == 0) {
    recall_ends_at_ = c.ts;
    end_recall(c.ts);
    return {};
  }
  recall_ends_at_ = op.cancel ? 0 : c.ts + op.seconds * 1000;
  timer_changed_ = true;
  emit("recall", c.ts, [&](json_writer& w) {
    w.field("ends_at", recall_ends_at_).field("ended", false).key("by");
    write_participant(w, c.who);
  });
  return {};
}

outcome room::on(room_command const& c, cmd::recall_ended const& op) {
  // Every replica's countdown submits one: the first ends the recall.
  if (recall_ends_at_ == 0 || recall_ends_at_ != op.ends_at) return {};
  end_recall(c.ts);
  return {};
}

// --- anonymous contributions ---------------------------------------------------

outcome room::author_shown(room_command const& c, std::string const& alias, participant& from) {
  if (alias.empty()) {
    from = participant{c.who.id, c.who.name, c.who.who, {}};
    return {};
  }
  if (!cfg_.anonymous) {
    return make_error(error_code::forbidden, is_plenary()
                                                 ? "the plenary takes no anonymous contributions"
                                                 : "this table takes no anonymous contributions");
  }
  aliases_.emplace(alias, c.who.id);
  // Moderators and the chair see this too: the pseudonym, never the name.
  from = participant{alias, "Anonymous", role::participant, {}};
  return {};
}

std::string const& room::author_of(std::string const& shown) const {
  auto const it = aliases_.find(shown);
  return it == aliases_.end() ? shown : it->second;
}

void room::end_recall(std::int64_t ts) {
  auto const ends_at = std::exchange(recall_ends_at_, 0);
  recalled_ = true;
  timer_changed_ = true;
  emit("recall", ts, [&](json_writer& w) { w.field("ends_at", ends_at).field("ended", true); });
}

}  // namespace roundtable
