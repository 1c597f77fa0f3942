// The moderation rules, applied in log order like every other command (see
// room_apply.cpp): hide and restore a message or an insight, mute and remove a
// participant at a table, and their undoing. Each is the table's moderator's
// (or the chair's), each tells the whole table, so that the person concerned
// and everyone else see what happened and why.
#include "domain/room.hpp"
#include "domain/room_emit.hpp"

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

outcome room::on(room_command const& c, cmd::hide const& op) {
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto const msg = std::find_if(history_.begin(), history_.end(), [&](history_entry const& e) {
    return e.type == "message" && e.item == op.item && !e.deleted;
  });
  auto const ins = std::find_if(insights_.begin(), insights_.end(),
                                [&](insight_entry const& i) { return i.id == op.item; });
  bool const is_insight = ins != insights_.end();
  // A hidden message that aged out of the window can still be restored (its
  // text then comes back only to those who had it).
  if (msg == history_.end() && !is_insight && !hidden_.count(op.item))
    return make_error(error_code::not_found, "no such message or insight");
  if (hidden_.count(op.item) == static_cast<std::size_t>(op.on)) return {};  // already so
  if (op.on) {
    hidden_.insert(op.item);
  } else {
    hidden_.erase(op.item);
  }
  // The report counts the messages in view; hidden ones are counted apart.
  if (!is_insight)
    messages_total_ =
        op.on ? messages_total_ - std::min<std::size_t>(messages_total_, 1) : messages_total_ + 1;
  emit(op.on ? "hidden" : "restored", c.ts, [&](json_writer& w) {
    w.field("item", op.item).key("by");
    write_participant(w, c.who);
    if (op.on) return;
    // Whoever arrived after the hide never had the item: it comes back whole.
    if (is_insight) {
      w.key("insight").begin_object();
      write_insight(w, *ins);
      w.end_object();
    } else if (msg != history_.end()) {
      w.key("message").raw(*msg->json);
    }
  });
  return {};
}

outcome room::may_sanction(room_command const& c, std::string const& who) const {
  if (is_plenary()) return make_error(error_code::bad_request, "mute and remove are for tables");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (!seen_.count(who))
    return make_error(error_code::not_found, "'" + who + "' has not been at this table");
  // The roster knows roles, not which table a moderator has: any moderator's
  // and the chair's seat is beyond a table's moderation.
  bool const privileged = std::any_of(roster_.begin(), roster_.end(), [&](auto const& r) {
    return r.second.id == who && r.second.who != role::participant;
  });
  if (privileged || who == c.who.id)
    return make_error(error_code::forbidden, "moderators and the chair cannot be muted or removed");
  return {};
}

outcome room::sanction(room_command const& c, cmd::mute const& op, std::set<std::string>& list,
                       std::string_view type) {
  if (auto e = may_sanction(c, op.participant)) return e;
  if (list.count(op.participant) == static_cast<std::size_t>(op.on)) return {};  // already so
  if (op.on) {
    list.insert(op.participant);
  } else {
    list.erase(op.participant);
  }
  emit(
      type, c.ts,
      [&](json_writer& w) {
        w.field("participant", op.participant).field("on", op.on).field("reason", op.reason);
        w.key("by");
        write_participant(w, c.who);
      },
      {}, op.participant);
  return {};
}

outcome room::on(room_command const& c, cmd::mute const& op) {
  return sanction(c, op, muted_, "muted");
}

outcome room::on(room_command const& c, cmd::remove_member const& op) {
  bool const was = removed_.count(op.participant) != 0;
  // First the reason, while the person is still seated to hear it.
  if (auto e = sanction(c, op, removed_, "removed")) return e;
  if (op.on && !was) unseat(op.participant, c.ts);
  return {};
}

void room::unseat(std::string const& who, std::int64_t ts) {
  std::vector<std::string> keys;
  for (auto const& [key, p] : roster_) {
    if (p.id == who) keys.push_back(key);
  }
  for (auto const& key : keys) {
    for (auto const& [serial, m] : members_) {
      if (conn_key(serial) == key) dropped_.insert(serial);
    }
    room_command gone;
    gone.conn = key;
    gone.ts = ts;
    on(gone, cmd::leave{});  // presence `left`, and their hand goes down
  }
}

outcome room::refuse_muted(participant const& p) const {
  if (is_plenary() || !muted_.count(p.id)) return {};
  return make_error(error_code::forbidden,
                    "the table's moderator muted you: you can read but not post here");
}

// --- pre-moderation ---------------------------------------------------------------

outcome room::on(room_command const& c, cmd::premoderate const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "pre-moderation is for tables");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (cfg_.premoderate == op.on) return {};
  cfg_.premoderate = op.on;
  emit("moderation", c.ts,
       [&](json_writer& w) { w.field("table", cfg_.id).field("premoderate", op.on); });
  return {};
}

outcome room::hold(room_command const& c, std::string const& id, std::string const& text,
                   participant const& from, bool insight) {
  // Messages and insights wait in one queue, read by the same moderators: one
  // bound for both, and one share of it per participant.
  if (held_.size() >= max_held) {
    return make_error(error_code::full, "the moderator has " + std::to_string(max_held) +
                                            " items waiting; try again later");
  }
  auto const mine = std::count_if(held_.begin(), held_.end(), [&](held_entry const& h) {
    return author_of(h.from.id) == c.who.id;
  });
  if (static_cast<std::size_t>(mine) >= max_held_per_participant) {
    return make_error(error_code::full, "you have " + std::to_string(max_held_per_participant) +
                                            " items waiting for the moderator");
  }
  // The id the item would get, so that the approved one keeps it.
  auto fallback = insight ? "i" + std::to_string(next_insight_++) : "h" + std::to_string(lsn_);
  held_.push_back({id.empty() ? std::move(fallback) : id, text, from, c.ts, insight});
  tell_held(held_.back(), true, false);
  return {};
}

std::size_t room::held_insights(std::string const& author) const {
  return static_cast<std::size_t>(
      std::count_if(held_.begin(), held_.end(), [&](held_entry const& h) {
        return h.insight && (author.empty() || author_of(h.from.id) == author);
      }));
}

void room::tell_held(held_entry const& h, bool pending, bool approved) {
  // Two copies: the author's says it is theirs (an anonymous item's `from`
  // names only the pseudonym), the moderators' never names the author.
  auto const& author = author_of(h.from.id);
  for (bool const own : {true, false}) {
    json_writer w;
    w.begin_object().field("type", "pending").field("room", cfg_.id).field("id", h.id);
    if (h.insight) w.field("insight", true);
    if (pending) {
      w.key("from");
      write_participant(w, h.from);
      w.field("text", h.text).field("ts", h.ts);
    } else {
      w.field("approved", approved);
    }
    if (own) w.field("own", true);
    w.field("pending", pending).end_object();
    direct_.push_back({author, std::make_shared<std::string const>(w.release()),
                       own ? audience::author : audience::held});
  }
}

outcome room::on(room_command const& c, cmd::review const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary holds nothing");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto const it = std::find_if(held_.begin(), held_.end(),
                               [&](held_entry const& h) { return h.id == op.item; });
  // Of two moderators deciding at once, the later finds it decided.
  if (it == held_.end()) return make_error(error_code::not_found, "no such item waiting");
  auto const h = std::move(*it);
  held_.erase(it);
  if (op.approve && h.insight) {
    capture_insight(h.id, h.text, h.from, c.ts);
  } else if (op.approve) {
    ++messages_total_;
    picture_.contributed(c.ts);
    emit_message(h.id, h.from, h.text, h.ts);
  }
  tell_held(h, false, op.approve);
  return {};
}

}  // namespace roundtable
