// Polls and reactions, applied in log order like every other command (see
// room_apply.cpp). A poll's creation and its close are room events (`poll`,
// and `poll_results` with `open: false`: the final counts, in the history and
// replayed like any event). A ballot or a reaction changes the state and
// publishes nothing: with a thousand people voting at once, one event per
// ballot to everyone would be a million deliveries. Their counts go out
// coalesced instead (take_coalesced, called by the node at most every 250 ms
// per room), computed from the state the room has reached, the same on every
// replica: every node tells its own members, and the last word is exact.
#include "domain/room.hpp"
#include "domain/room_emit.hpp"

#include "protocol/command.hpp"

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

namespace {

void write_counts(json_writer& w, std::vector<std::uint64_t> const& counts) {
  w.key("counts").begin_array();
  for (auto const n : counts) w.value(n);
  w.end_array();
}

void write_emoji_counts(json_writer& w, reaction_entry const& r) {
  w.key(r.item).begin_object();
  for (auto const& [emoji, n] : r.counts()) w.field(emoji, n);
  w.end_object();
}

}  // namespace

room::ticket room::poll(participant const& p, cmd::poll op, std::int64_t now_ms) {
  return submit(p, {}, now_ms, std::move(op));
}

room::ticket room::poll_vote(member const& m, cmd::poll_vote op, std::int64_t now_ms) {
  return submit(m.who, conn_key(m.conn), now_ms, std::move(op));
}

room::ticket room::poll_close(participant const& p, std::string_view poll_id, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::poll_close{std::string(poll_id)});
}

room::ticket room::react(member const& m, cmd::react op, std::int64_t now_ms) {
  return submit(m.who, conn_key(m.conn), now_ms, std::move(op));
}

outcome room::require_member(room_command const& c) const {
  // The plenary has everyone; its membership is each node's own, checked
  // when the client's op was read.
  if (is_plenary() || roster_.count(c.conn)) return {};
  return make_error(error_code::forbidden, "not at this table");
}

poll_entry* room::find_poll(std::string const& id) {
  auto it =
      std::find_if(polls_.begin(), polls_.end(), [&](poll_entry const& p) { return p.id == id; });
  return it == polls_.end() ? nullptr : &*it;
}

void room::write_poll(json_writer& w, poll_entry const& p) const {
  w.field("id", p.id).field("question", p.question).key("options").begin_array();
  for (auto const& o : p.options) w.value(o);
  w.end_array().field("multiple", p.multiple).field("live", p.live).field("open", p.open).key("by");
  write_participant(w, p.by);
}

outcome room::on(room_command const& c, cmd::poll const& op) {
  if (!may_run_polls(c.who, cfg_.id)) {
    return make_error(error_code::forbidden, is_plenary()
                                                 ? "only the chair runs polls in the plenary"
                                                 : "only the table's moderator or the chair");
  }
  if (polls_.size() >= max_polls) {
    return make_error(error_code::full, "this room has " + std::to_string(max_polls) +
                                            " polls, the most it may hold");
  }
  auto& p = polls_.emplace_back();
  // The counter is in the state: the same id on every replica, in every epoch.
  p.id = op.id.empty() ? "q" + std::to_string(next_poll_) : op.id;
  ++next_poll_;
  p.question = op.question;
  p.options = op.options;
  p.multiple = op.multiple;
  p.live = op.live;
  p.by = participant{c.who.id, c.who.name, c.who.who, {}};
  p.ts = c.ts;
  emit("poll", c.ts, [&](json_writer& w) { write_poll(w, p); });
  return {};
}

outcome room::on(room_command const& c, cmd::poll_vote const& op) {
  auto* p = find_poll(op.poll);
  if (!p) return make_error(error_code::not_found, "no such poll in this room");
  if (auto e = require_member(c)) return e;
  if (!p->open) return make_error(error_code::forbidden, "the poll is closed");
  if (!p->multiple && op.choices.size() != 1)
    return make_error(error_code::bad_request, "poll_vote: this poll takes exactly one choice");
  for (auto const n : op.choices) {
    if (n < 0 || static_cast<std::size_t>(n) >= p->options.size()) {
      return make_error(error_code::bad_request,
                        "poll_vote: the poll has " + std::to_string(p->options.size()) +
                            " options (0 to " + std::to_string(p->options.size() - 1) + ")");
    }
  }
  auto choices = op.choices;
  std::sort(choices.begin(), choices.end());
  auto& ballot = p->ballots[c.who.id];
  if (ballot == choices) return {};  // the same ballot again
  ballot = std::move(choices);
  polls_changed_.insert(p->id);
  return {};
}

outcome room::on(room_command const& c, cmd::poll_close const& op) {
  auto* p = find_poll(op.poll);
  if (!p) return make_error(error_code::not_found, "no such poll in this room");
  if (!may_run_polls(c.who, cfg_.id))
    return make_error(error_code::forbidden, "only who may run polls here closes them");
  if (!p->open) return {};
  p->open = false;
  // The final counts are a room event: exact, in the history, replayed.
  polls_changed_.erase(p->id);
  emit("poll_results", c.ts, [&](json_writer& w) {
    w.field("poll", p->id);
    write_counts(w, p->counts());
    w.field("open", false);
  });
  return {};
}

bool room::reactable(std::string const& item) const {
  if (hidden_.count(item)) return false;
  return std::any_of(history_.begin(), history_.end(), [&](history_entry const& e) {
    return e.item == item && !e.deleted && (e.type == "message" || e.type == "report");
  });
}

outcome room::on(room_command const& c, cmd::react const& op) {
  if (auto e = require_member(c)) return e;
  auto it = std::find_if(reactions_.begin(), reactions_.end(),
                         [&](reaction_entry const& r) { return r.item == op.item; });
  // An item with reactions stays reactable after it leaves the window.
  if (it == reactions_.end() && !reactable(op.item))
    return make_error(error_code::not_found, "no such message or report in this room");
  if (it == reactions_.end()) {
    if (reactions_.size() >= max_reacted_items) {
      reactions_changed_.erase(reactions_.front().item);
      reactions_.erase(reactions_.begin());
    }
    reactions_.push_back({op.item, {}});
    it = std::prev(reactions_.end());
  }
  auto mine = it->by.find(c.who.id);
  if (mine != it->by.end() && mine->second == op.emoji) {
    it->by.erase(mine);  // the same emoji again takes it back
  } else {
    it->by[c.who.id] = op.emoji;
  }
  reactions_changed_.insert(op.item);
  return {};
}

void room::forget_ballots(std::string const& id) {
  for (auto& p : polls_) {
    if (p.ballots.erase(id) && p.open) polls_changed_.insert(p.id);
  }
  for (auto& r : reactions_) {
    if (r.by.erase(id)) reactions_changed_.insert(r.item);
  }
}

std::vector<coalesced_event> room::take_coalesced() {
  std::vector<coalesced_event> out;
  auto const head = [&](json_writer& w, std::string_view type) {
    w.begin_object().field("type", type).field("room", cfg_.id);
  };
  for (auto const& id : std::exchange(polls_changed_, {})) {
    auto const* p = find_poll(id);
    if (!p || !p->open) continue;
    json_writer w;
    head(w, "poll_results");
    w.field("poll", id);
    write_counts(w, p->counts());
    w.field("open", true).end_object();
    out.push_back({std::make_shared<std::string const>(w.release()), !p->live});
  }
  auto changed = std::exchange(reactions_changed_, {});
  if (!changed.empty()) {
    json_writer w;
    head(w, "reactions");
    w.key("items").begin_object();
    for (auto const& r : reactions_) {
      if (changed.count(r.item)) write_emoji_counts(w, r);
    }
    w.end_object().end_object();
    out.push_back({std::make_shared<std::string const>(w.release()), false});
  }
  return out;
}

void room::write_polls_snapshot(json_writer& w, participant const* viewer) const {
  w.key("polls").begin_array();
  for (auto const& p : polls_) {
    w.begin_object();
    write_poll(w, p);
    // A poll that shows its results at close keeps them from participants.
    if (p.live || !p.open || (viewer && may_run_polls(*viewer, cfg_.id)))
      write_counts(w, p.counts());
    w.key("mine").begin_array();
    if (viewer) {
      if (auto b = p.ballots.find(viewer->id); b != p.ballots.end()) {
        for (auto const n : b->second) w.value(n);
      }
    }
    w.end_array().end_object();
  }
  w.end_array().key("reactions").begin_object();
  for (auto const& r : reactions_) {
    if (!r.by.empty()) write_emoji_counts(w, r);
  }
  w.end_object().key("reacted").begin_object();
  for (auto const& r : reactions_) {
    if (!viewer) break;
    if (auto mine = r.by.find(viewer->id); mine != r.by.end()) w.field(r.item, mine->second);
  }
  w.end_object();
}

}  // namespace roundtable
