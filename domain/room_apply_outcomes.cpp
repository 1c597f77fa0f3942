// The rules of an insight's outcome, applied in log order like every other
// command: the table's moderator or the chair (the admin API acts as the
// chair) decides what became of an insight, with a public note; the decision
// goes out as an `outcome` event and into the insight's bounded change
// history, which the outcomes page shows.
#include "domain/room.hpp"
#include "domain/room_emit.hpp"
#include "protocol/command.hpp"

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

outcome room::on(room_command const& c, cmd::outcome const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "outcomes belong to a table");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  // The parser checked these for clients; a log entry is checked again, since
  // apply must never store what no client could send.
  if (!protocol::is_outcome_status(op.status) || (op.status == "merged") == op.into.empty() ||
      op.into == op.insight || op.note.size() > protocol::limits::note) {
    return make_error(error_code::bad_request, "not a valid outcome");
  }
  auto const find = [&](std::string const& id) {
    return std::find_if(insights_.begin(), insights_.end(),
                        [&](insight_entry const& i) { return i.id == id; });
  };
  auto const it = find(op.insight);
  if (it == insights_.end()) return make_error(error_code::not_found, "no such insight");
  if (!op.into.empty()) {
    auto const target = find(op.into);
    if (target == insights_.end())
      return make_error(error_code::not_found, "no insight '" + op.into + "' to merge into");
    if (target->status == "merged" && target->into == op.insight)
      return make_error(error_code::bad_request,
                        "'" + op.into + "' is merged into this insight already");
  }
  if (it->status == op.status && it->note == op.note && it->into == op.into) return {};
  it->status = op.status;
  it->note = op.note;
  it->into = op.into;
  auto const by = participant{c.who.id, c.who.name, c.who.who, {}};
  it->history.push_back({op.status, op.note, op.into, by, c.ts});
  if (it->history.size() > max_outcome_history) it->history.erase(it->history.begin());
  emit(
      "outcome", c.ts,
      [&](json_writer& w) {
        w.field("insight", it->id).field("status", it->status).field("note", it->note);
        if (!it->into.empty()) w.field("into", it->into);
        w.key("by");
        write_participant(w, by);
        w.field("ts", c.ts);
      },
      it->id, c.who.id);
  return {};
}

}  // namespace roundtable
