// The rules of comments after the event, applied in log order like every
// other command, so that every node holds the same comments and counts: a
// comment is checked against its bounds and held; the chair approves it (the
// outcomes page shows it) or rejects it (it is dropped, never shown).
#include "domain/room.hpp"

#include <algorithm>

namespace roundtable {

outcome room::on(room_command const& c, cmd::comment const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "comments belong to a table");
  // The route checked these; a log entry is checked again, since apply must
  // never store what no client could send.
  if (op.id.empty() || op.text.empty() || op.text.size() > max_comment_text)
    return make_error(error_code::bad_request, "not a valid comment");
  if (!op.insight.empty() &&
      (hidden_.count(op.insight) ||
       std::none_of(insights_.begin(), insights_.end(),
                    [&](insight_entry const& i) { return i.id == op.insight; })))
    return make_error(error_code::not_found, "no insight '" + op.insight + "' at this table");
  if (std::any_of(comments_.begin(), comments_.end(),
                  [&](comment_entry const& e) { return e.id == op.id; }))
    return make_error(error_code::bad_request, "a comment '" + op.id + "' exists already");
  auto const held = std::count_if(comments_.begin(), comments_.end(),
                                  [](comment_entry const& e) { return !e.approved; });
  if (static_cast<std::size_t>(held) >= max_held_comments || comments_.size() >= max_comments)
    return make_error(error_code::full, "this table takes no more comments for now");
  auto const mine = std::count_if(comments_.begin(), comments_.end(),
                                  [&](comment_entry const& e) { return e.by.id == c.who.id; });
  if (static_cast<std::size_t>(mine) >= max_comments_per_person)
    return make_error(error_code::full, "you have " + std::to_string(max_comments_per_person) +
                                            " comments on this table already");
  comments_.push_back(
      {op.id, op.insight, op.text, participant{c.who.id, c.who.name, c.who.who, {}}, c.ts, false});
  return {};
}

outcome room::on(room_command const& c, cmd::comment_review const& op) {
  if (!c.who.is_chair())
    return make_error(error_code::forbidden, "only the chair reviews comments");
  auto const it = std::find_if(comments_.begin(), comments_.end(), [&](comment_entry const& e) {
    return e.id == op.id && !e.approved;
  });
  // Of two decisions at once, the later finds it decided.
  if (it == comments_.end()) return make_error(error_code::not_found, "no such comment waiting");
  if (op.approve) {
    it->approved = true;
  } else {
    comments_.erase(it);
  }
  return {};
}

}  // namespace roundtable
