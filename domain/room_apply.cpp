// The room's rules, applied in log order: `apply(state, command)` checks who
// may do what against the state at this point of the log, changes the state and
// emits the events, or yields an error and changes nothing. Nothing here reads
// a clock, a node's own connections or anything else a replica does not share:
// replicas fed the same log reach the same state and the same event bytes.
#include "domain/room.hpp"
#include "domain/room_emit.hpp"

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

outcome room::apply(std::uint64_t lsn, std::uint64_t epoch, room_command const& c) {
  if (epoch != epoch_) start_epoch(epoch);
  lsn_ = lsn;
  bool const snapshot = observer_ && log_command(c);
  // An erased participant's commands still in flight (sent before their
  // connections closed, on any node) change nothing; their leave still counts.
  auto o =
      erased_.count(c.who.id) && !std::holds_alternative<cmd::leave>(c.op)
          ? outcome(make_error(error_code::forbidden, "this participant was erased on request"))
          : std::visit([&](auto const& op) { return on(c, op); }, c.op);
  // After an erasure the commands before it, blanked in the store, must not
  // be replayed: a snapshot stands in for them.
  if (snapshot || std::holds_alternative<cmd::erase>(c.op)) save_snapshot();
  if (c.origin == node_name()) settle_applied(c.ticket, o);
  settle_skipped();
  return o;
}

bool room::log_command(room_command const& c) {
  auto const gone = [&](std::string const& id, std::string const&) {
    return erased_.count(id) != 0;
  };
  auto const named = names(c);
  bool const sender = erased_.count(c.who.id) != 0;
  if (!sender && std::none_of(named.begin(), named.end(),
                              [&](named_person const& p) { return gone(p.id, p.name); }))
    return observer_->on_command(cfg_.id, epoch_, lsn_, snapshot_lsn_, c);
  // An erased participant's commands after the erasure (their connections'
  // leaves) keep no name in the log; refused or a leave, they need none. Nor
  // do others' commands that name them by id (a round_present sent before the
  // erasure reached that node).
  auto blanked = c;
  if (sender) blank_sender(blanked);
  blank_named(blanked, gone);
  return observer_->on_command(cfg_.id, epoch_, lsn_, snapshot_lsn_, blanked);
}

void room::start_epoch(std::uint64_t epoch) {
  history_.clear();
  epoch_ = epoch;
  seq_ = 0;
  lsn_ = 0;
  snapshot_lsn_ = 0;
  settle_skipped();
}

outcome room::require_seated(room_command const& c, bool open_only) const {
  if (is_plenary()) return make_error(error_code::bad_request, "this op is for a table");
  if (!roster_.count(c.conn)) return make_error(error_code::forbidden, "not at this table");
  if (open_only && !cfg_.open && !may_moderate(c.who))
    return make_error(error_code::forbidden, "the table is closed");
  return {};
}

void room::admit(room_command const& c) {
  if (c.origin != node_name()) return;
  auto j = join_tickets_.find(c.ticket);
  if (j == join_tickets_.end()) return;
  auto it = joining_.find(j->second);
  join_tickets_.erase(j);
  if (it == joining_.end()) return;  // it left before its join was applied
  auto const worker = it->second.worker;
  if (per_worker_.size() <= worker) per_worker_.resize(worker + 1, 0);
  ++per_worker_[worker];
  members_.insert(joining_.extract(it));
}

// --- membership --------------------------------------------------------------

outcome room::on(room_command const& c, cmd::join const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "everyone is in the plenary");
  if (!roster_.count(c.conn)) {
    bool const privileged = may_moderate(c.who);
    if (!cfg_.open && !privileged) return make_error(error_code::forbidden, "the table is closed");
    if (is_group_room(cfg_.id) && !group_members_.count(c.who.id))
      return make_error(error_code::forbidden, "only this round's group sits here");
    if (removed_.count(c.who.id) && !privileged)
      return make_error(error_code::forbidden, "the table's moderator removed you from this table");
    if (cfg_.capacity > 0 && static_cast<std::int64_t>(roster_.size()) >= cfg_.capacity &&
        !privileged) {
      return make_error(error_code::full, "the table is full");
    }
    roster_.emplace(c.conn, participant{c.who.id, c.who.name, c.who.who, c.who.moderates});
    picture_.sat(c.who.id, c.ts, op.from);  // a second connection of someone seated changes nothing
    seated_at_[c.conn] = lsn_;
    seating_.sit(c.conn, c.who, lsn_, c.who.moderates_table(cfg_.id), op.said);
    seen_.insert(c.who.id);
    profiles_[c.who.id] = op.said;
    mix_changed_ = true;
    emit(
        "presence", c.ts,
        [&](json_writer& w) {
          w.key("joined");
          write_seated(w, c.who);
        },
        {}, c.who.id);
    if (c.who.is_chair() && help_) answer_help(c);  // the chair came
  }
  admit(c);
  return {};
}

outcome room::on(room_command const& c, cmd::leave const&) {
  auto it = roster_.find(c.conn);
  if (it == roster_.end()) return {};  // a refused join, or gone already
  auto const who = std::move(it->second);
  roster_.erase(it);
  mix_changed_ = true;
  seated_at_.erase(c.conn);
  emit(
      "presence", c.ts, [&](json_writer& w) { w.field("left", who.id); }, {}, who.id);
  // A hand goes down with the participant's last connection here.
  if (seating_.stand(c.conn, who.id)) return {};
  picture_.left(who.id, c.ts);
  bool changed = std::erase_if(hands_, [&](hand_entry const& h) { return h.id == who.id; }) > 0;
  if (speaker_ && speaker_->id == who.id) {
    speaker_.reset();
    changed = true;
  }
  if (changed) emit_hands(c.ts);
  return {};
}

// --- talk ----------------------------------------------------------------------

outcome room::on(room_command const& c, cmd::say const& op) {
  if (!is_plenary()) {
    if (!roster_.count(c.conn))
      return make_error(error_code::forbidden, "not a member of this room");
    if (!cfg_.open && !may_moderate(c.who))
      return make_error(error_code::forbidden, "the table is closed");
    if (auto e = refuse_muted(c.who)) return e;
  }
  participant from;
  if (auto e = author_shown(c, op.alias, from)) return e;
  if (holds_from(c.who)) return hold(c, op.id, op.text, from, false);
  ++messages_total_;
  spoke_.insert(c.who.id);
  if (!is_plenary()) {
    picture_.contributed(c.ts);
  }
  auto const id = op.id.empty() ? "m" + std::to_string(seq_ + 1) : op.id;
  emit_message(id, from, op.text, c.ts);
  return {};
}

void room::emit_message(std::string const& id, participant const& from, std::string const& text,
                        std::int64_t ts) {
  emit(
      "message", ts,
      [&](json_writer& w) {
        w.field("id", id);
        w.key("from");
        write_participant(w, from);
        w.field("text", text).field("ts", ts);
      },
      id, author_of(from.id));
}

void room::emit_hands(std::int64_t ts) {
  emit("hands", ts, [&](json_writer& w) { write_hands(w, "queue"); });
}

void room::emit_timer(std::int64_t ts) {
  emit("timer", ts, [&](json_writer& w) {
    w.field("ends_at", timer_ends_at_).field("seconds", timer_seconds_);
    if (timer_left_ms_ > 0) w.field("paused", true).field("left", timer_left_ms_);
  });
}

outcome room::on(room_command const& c, cmd::hand const& op) {
  if (auto e = require_seated(c, false)) return e;
  auto const it = std::find_if(hands_.begin(), hands_.end(),
                               [&](hand_entry const& h) { return h.id == c.who.id; });
  if (op.up == (it != hands_.end())) return {};  // already as asked: nothing to tell anyone
  if (op.up) {
    hands_.push_back({c.who.id, c.who.name});
  } else {
    hands_.erase(it);
  }
  emit_hands(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::speaker const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary has no hand queue");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  speaker_.reset();
  if (op.clear) {
    hands_.clear();
  } else if (!hands_.empty()) {
    speaker_ = hands_.front();
    hands_.erase(hands_.begin());
  }
  emit_hands(c.ts);
  return {};
}

// --- insights --------------------------------------------------------------------

void room::emit_insight(insight_entry const& i, std::int64_t ts) {
  emit(
      "insight", ts, [&](json_writer& w) { write_insight(w, i); }, i.id, author_of(i.by.id));
}

outcome room::on(room_command const& c, cmd::insight const& op) {
  if (auto e = require_seated(c, true)) return e;
  // Held insights count against the caps as if added, so that approving one
  // never takes the table past them.
  if (insights_.size() + held_insights() >= max_insights) {
    return make_error(error_code::full,
                      "the table has " + std::to_string(max_insights) + " insights");
  }
  if (auto e = insight_quota(c.who)) return e;
  if (auto e = refuse_muted(c.who)) return e;
  participant by;
  if (auto e = author_shown(c, op.alias, by)) return e;
  if (holds_from(c.who)) return hold(c, op.id, op.text, by, true);
  capture_insight(op.id.empty() ? "i" + std::to_string(next_insight_++) : op.id, op.text,
                  std::move(by), c.ts);
  return {};
}

void room::capture_insight(std::string id, std::string text, participant by, std::int64_t ts) {
  auto& i = insights_.emplace_back();
  i.id = std::move(id);
  i.text = std::move(text);
  i.by = std::move(by);
  i.order = ++insight_order_;
  picture_.contributed(ts);
  emit_insight(i, ts);
}

outcome room::insight_quota(participant const& p) const {
  if (may_moderate(p)) return {};
  auto const mine = std::count_if(insights_.begin(), insights_.end(), [&](insight_entry const& i) {
    return author_of(i.by.id) == p.id;
  });
  if (static_cast<std::size_t>(mine) + held_insights(p.id) < max_insights_per_participant)
    return {};
  return make_error(error_code::full,
                    "you have " + std::to_string(max_insights_per_participant) +
                        " insights at this table, the most one participant may add");
}

outcome room::on(room_command const& c, cmd::vote const& op) {
  if (auto e = require_seated(c, true)) return e;
  auto const it = std::find_if(insights_.begin(), insights_.end(),
                               [&](insight_entry const& i) { return i.id == op.insight; });
  if (it == insights_.end() || hidden_.count(op.insight))
    return make_error(error_code::not_found, "no such insight");
  if (!op.up) {
    if (it->voters.erase(c.who.id) == 0) return {};  // no vote to take back
  } else if (!it->voters.insert(c.who.id).second) {
    return make_error(error_code::forbidden, "already voted for this insight");
  }
  emit_insight(*it, c.ts);
  return {};
}

// --- moderation ----------------------------------------------------------------------

void room::deleted(std::string const& item, std::int64_t ts, std::string_view field) {
  emit(
      "deleted", ts, [&](json_writer& w) { w.field(field, item); }, item);
  // A hidden message left the report's count when it was hidden.
  bool const counted = hidden_.erase(item) == 0;
  for (auto& h : history_) {
    if ((h.type == "message" || h.type == "insight") && h.item == item && !h.deleted) {
      // The report counts the messages that are held.
      if (h.type == "message" && counted && messages_total_ > 0) {
        --messages_total_;
        ++messages_deleted_;
      }
      tombstone(h);
    }
  }
  std::erase_if(insights_, [&](insight_entry const& i) { return i.id == item; });
}

outcome room::on(room_command const& c, cmd::del const& op) {
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto const it = std::find_if(history_.begin(), history_.end(), [&](history_entry const& e) {
    return e.type == "message" && e.item == op.message;
  });
  if (it == history_.end() || it->deleted)
    return make_error(error_code::not_found, "no such message");
  deleted(op.message, c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::del_insight const& op) {
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto const it = std::find_if(insights_.begin(), insights_.end(),
                               [&](insight_entry const& i) { return i.id == op.insight; });
  if (it == insights_.end()) return make_error(error_code::not_found, "no such insight");
  deleted(op.insight, c.ts, "insight");
  return {};
}

std::set<std::string> room::authored(std::string_view author) const {
  std::set<std::string> out;
  for (auto const& e : history_) {
    if ((e.type == "message" || e.type == "insight") && e.author == author && !e.deleted)
      out.insert(e.item);
  }
  for (auto const& i : insights_) {
    if (author_of(i.by.id) == author) out.insert(i.id);
  }
  return out;
}

outcome room::on(room_command const& c, cmd::erase const& op) {
  for (auto const& id : authored(op.author)) deleted(id, c.ts);
  auto const& who = op.author;
  if (!erased_.count(who)) {
    emit(
        "erased", c.ts, [&](json_writer& w) { w.field("participant", who); }, {}, who);
  }
  // Their votes and hand go: everyone sees the new counts and queue.
  std::vector<std::string> recount;
  for (auto const& i : insights_) {
    if (i.voters.count(who)) recount.push_back(i.id);
  }
  bool const hand =
      std::any_of(hands_.begin(), hands_.end(), [&](hand_entry const& h) { return h.id == who; }) ||
      (speaker_ && speaker_->id == who);
  if (roles_.count(who)) emit_role(who, role_holder{}, c.ts);  // taken back, no name left
  forget(who);
  for (auto const& i : insights_) {
    if (std::find(recount.begin(), recount.end(), i.id) != recount.end()) emit_insight(i, c.ts);
  }
  if (hand) emit_hands(c.ts);
  return {};
}

void room::forget(std::string const& id) {
  for (auto& e : history_) blank_name(e, id);
  for (auto& i : insights_) {
    i.voters.erase(id);
    for (auto& h : i.history) {
      if (h.by.id == id) h.by.name.clear();
    }
  }
  std::erase_if(hands_, [&](hand_entry const& h) { return h.id == id; });
  std::erase_if(held_, [&](held_entry const& h) { return h.from.id == id; });
  std::erase_if(comments_, [&](comment_entry const& e) { return e.by.id == id && !e.approved; });
  for (auto& e : comments_) {
    if (e.by.id == id) e.by.name.clear();
  }
  forget_ballots(id);
  profiles_.erase(id);
  seating_.describe(id, {});
  mix_changed_ = true;
  roles_.erase(id);
  if (speaker_ && speaker_->id == id) speaker_.reset();
  // The rounds name who is in which group, who opted out and who met whom.
  rounds_.pool.erase(id);
  for (auto& g : rounds_.groups) g.erase(id);
  rounds_.opted_out.erase(id);
  rounds_.met.forget(id);
  group_members_.erase(id);
  if (erased_.insert(id).second) newly_erased_.push_back(id);
}

outcome room::on(room_command const& c, cmd::timer const& op) {
  if (is_plenary() ? !c.who.is_chair() : !may_moderate(c.who)) {
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  }
  timer_ends_at_ = op.seconds > 0 ? c.ts + op.seconds * 1000 : 0;
  timer_seconds_ = op.seconds;
  timer_ended_ = false;
  timer_left_ms_ = 0;
  timer_changed_ = true;
  emit_timer(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::timer_ended const& op) {
  // Every replica's countdown submits one: the first ends the timer.
  if (timer_ends_at_ == 0 || timer_ends_at_ != op.ends_at) return {};
  timer_ends_at_ = 0;
  timer_seconds_ = 0;
  timer_ended_ = true;
  timer_changed_ = true;
  emit(
      "timer_ended", c.ts, [](json_writer&) {}, std::to_string(op.ends_at));
  return {};
}

outcome room::on(room_command const& c, cmd::summary const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "summaries belong to tables");
  if (!may_draft(c.who))
    return make_error(error_code::forbidden,
                      "only the table's moderator, its rapporteur or the chair");
  if (op.publish && !may_draft(c.who, cfg_.id))
    return make_error(error_code::forbidden,
                      "only the table's moderator or the chair publishes the summary");
  draft_ = op.text;
  if (op.publish) {
    published_ = op.text;
    emit("summary", c.ts,
         [&](json_writer& w) { w.field("text", op.text).field("published", true); });
    return {};
  }
  // The draft is the drafters' until published: no seq, so everyone else's
  // history stays gapless and no replay carries it.
  json_writer w;
  w.begin_object()
      .field("type", "summary")
      .field("room", cfg_.id)
      .field("text", op.text)
      .field("published", false)
      .key("by");
  write_participant(w, c.who);
  w.field("ts", c.ts).end_object();
  direct_.push_back(
      {rapporteur_id(), std::make_shared<std::string const>(w.release()), audience::drafters});
  return {};
}

outcome room::on(room_command const& c, cmd::open const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary is always open");
  if (!may_moderate(c.who))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (cfg_.open == op.open) return {};
  cfg_.open = op.open;
  emit("table", c.ts, [&](json_writer& w) { w.field("table", cfg_.id).field("open", op.open); });
  return {};
}

// --- the plenary -----------------------------------------------------------------------

outcome room::on(room_command const& c, cmd::report const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "reports go to the plenary");
  // Its id (for reactions) comes from its seq: the same on every replica.
  auto id = "r" + std::to_string(seq_ + 1);
  emit(
      "report", c.ts,
      [&](json_writer& w) {
        w.field("id", id)
            .field("table", op.table.id)
            .field("topic", op.table.topic)
            .field("moderator", op.table.moderator)
            .field("text", op.text)
            .field("ts", c.ts);
        auto const& f = op.figures;
        w.field("participants", f.participants)
            .field("spoke", f.spoke)
            .field("messages", f.messages)
            .key("stays")
            .begin_object()
            .field("count", f.stays)
            .field("person_minutes", f.person_minutes)
            .field("median_minutes", f.median_minutes)
            .end_object()
            .field("hops_in", f.hops_in);
      },
      id);
  reports_.push_back(history_.back().json);
  return {};
}

outcome room::on(room_command const& c, cmd::broadcast const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "broadcasts go to the plenary");
  if (!c.who.is_chair()) return make_error(error_code::forbidden, "only the chair");
  emit("broadcast", c.ts, [&](json_writer& w) {
    w.key("from");
    write_participant(w, c.who);
    w.field("text", op.text).field("ts", c.ts);
  });
  broadcasts_.push_back(history_.back().json);
  return {};
}

outcome room::on(room_command const& c, cmd::phase const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "the phase is the plenary's");
  phase_ = op.name;
  emit("phase", c.ts, [&](json_writer& w) { w.field("name", op.name); });
  phases_.push_back(history_.back().json);
  if (phases_.size() > kept_phases) phases_.erase(phases_.begin());
  return {};
}

outcome room::on(room_command const& c, cmd::table_created const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "tables open in the plenary");
  if (op.table.id == plenary_id || tables_.count(op.table.id))
    return make_error(error_code::bad_request, "table '" + op.table.id + "' exists");
  if (is_group_room(op.table.id))
    return make_error(error_code::bad_request, "ids group-... are the networking rounds' rooms");
  if (tables_.size() >= max_tables_) {
    return make_error(error_code::full, "the event has " + std::to_string(max_tables_) +
                                            " tables, the most it may hold");
  }
  tables_.insert(op.table.id);
  emit("table_created", c.ts, [&](json_writer& w) {
    w.field("table", op.table.id)
        .field("topic", op.table.topic)
        .field("moderator", op.table.moderator)
        .field("capacity", op.table.capacity);
  });
  created_.push_back(
      table_config{op.table.id, op.table.topic, op.table.moderator, op.table.capacity, true});
  return {};
}

}  // namespace roundtable
