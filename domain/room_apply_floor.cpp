// The floor of a table, run by its moderator (or the chair): give the floor to
// any raised hand, end a turn, lower someone's hand; and the timer paused,
// resumed or extended. Like room_apply.cpp, these are apply functions: each
// checks its rules against the state at its place in the room's log, so of two
// moderators picking at the same instant on two nodes, the log's order
// decides, identically on every replica.
#include "domain/room.hpp"

#include "protocol/command.hpp"

#include <algorithm>

namespace roundtable {

// --- operations: each submits one command ---------------------------------------

room::ticket room::pick_speaker(participant const& p, std::string_view who, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::pick{std::string(who)});
}

room::ticket room::end_turn(participant const& p, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::end_turn{});
}

room::ticket room::drop_hand(participant const& p, std::string_view who, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::drop_hand{std::string(who)});
}

room::ticket room::pause_timer(participant const& p, bool pause, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::timer_pause{pause});
}

room::ticket room::extend_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::timer_extend{seconds});
}

// --- the floor ----------------------------------------------------------------------

outcome room::require_floor_moderator(room_command const& c) const {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary has no hand queue");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  return {};
}

outcome room::on(room_command const& c, cmd::pick const& op) {
  if (auto e = require_floor_moderator(c)) return e;
  if (speaker_ && speaker_->id == op.participant) return {};  // has it already
  auto const it = std::find_if(hands_.begin(), hands_.end(),
                               [&](hand_entry const& h) { return h.id == op.participant; });
  if (it == hands_.end()) return make_error(error_code::not_found, "no raised hand from them");
  speaker_ = *it;  // whoever spoke before ends their turn
  hands_.erase(it);
  emit_hands(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::end_turn const&) {
  if (auto e = require_floor_moderator(c)) return e;
  if (!speaker_) return {};
  speaker_.reset();
  emit_hands(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::drop_hand const& op) {
  if (auto e = require_floor_moderator(c)) return e;
  if (std::erase_if(hands_, [&](hand_entry const& h) { return h.id == op.participant; }) == 0)
    return {};  // down already: nothing to tell anyone
  emit_hands(c.ts);
  return {};
}

// --- the timer ------------------------------------------------------------------------

outcome room::may_change_timer(room_command const& c) const {
  if (is_plenary() ? !c.who.is_chair() : !may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (timer_ends_at_ == 0 && timer_left_ms_ == 0)
    return make_error(error_code::not_found, "no timer running");
  return {};
}

outcome room::on(room_command const& c, cmd::timer_pause const& op) {
  if (auto e = may_change_timer(c)) return e;
  bool const paused = timer_left_ms_ > 0;
  if (op.pause == paused) return {};  // as asked already
  if (op.pause) {
    // A timer whose end passed but whose timer_ended is not applied yet keeps 1 ms.
    timer_left_ms_ = std::max<std::int64_t>(1, timer_ends_at_ - c.ts);
    timer_ends_at_ = 0;
  } else {
    timer_ends_at_ = c.ts + timer_left_ms_;
    timer_left_ms_ = 0;
  }
  timer_changed_ = true;
  emit_timer(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::timer_extend const& op) {
  if (auto e = may_change_timer(c)) return e;
  bool const paused = timer_left_ms_ > 0;
  auto const left = paused ? timer_left_ms_ : std::max<std::int64_t>(0, timer_ends_at_ - c.ts);
  // The same bound as a timer set at once: a day.
  if (left + op.seconds * 1000 > protocol::limits::timer_seconds * 1000) {
    return make_error(error_code::bad_request, "timer: at most " +
                                                   std::to_string(protocol::limits::timer_seconds) +
                                                   " seconds may be left");
  }
  timer_seconds_ += op.seconds;
  if (paused)
    timer_left_ms_ += op.seconds * 1000;
  else
    timer_ends_at_ += op.seconds * 1000;
  timer_changed_ = true;
  emit_timer(c.ts);
  return {};
}

}  // namespace roundtable
