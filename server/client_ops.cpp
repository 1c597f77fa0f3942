// One small handler per op (client::on_op, chosen by client::dispatch): each
// finds the room the op is about and what it may check locally, then submits
// the op's command to that room's log through room_op, whose reply comes from
// the command's apply. Permissions and the room's rules are decided at apply,
// on every replica alike; what is checked here is only what gives a clear
// answer at once (the room exists, the sender sits there, the chair's tools).
// Hello is in client_hello.cpp; the hop (join, leave, moves) in client.cpp.
#include "server/client.hpp"

#include "server/invitation.hpp"

#include <algorithm>
#include <random>

namespace roundtable {

using protocol::json_writer;

template <class F>
bool client::room_op(std::string rid, room_slot& s, F&& fn) {
  // Pipelined (see on_message): the reply takes its place in replies_ now.
  auto const slot = replies_base_ + replies_.size();
  replies_.emplace_back();
  node_.on_home(s, [self = shared_from_this(), rid = std::move(rid), fn = std::forward<F>(fn),
                    m = self_member(), slot](room& r) mutable {
    r.after(fn(r, m), [self = std::move(self), rid = std::move(rid), slot](outcome o) mutable {
      auto const w = self->worker_index();
      self->node_.on_worker(
          w, [self = std::move(self), rid = std::move(rid), slot, o = std::move(o)] {
            self->pipelined_done(slot, o ? self->error_json(rid, *o) : self->ok_json(rid));
          });
    });
  });
  return true;
}

bool client::dispatch(protocol::command& cmd, bool caught_up) {
  if (!hello_done_ && !std::holds_alternative<protocol::hello>(cmd.op)) {
    return refuse(cmd.rid, error_code::unauthorized, "send hello first");
  }
  // `balance` plans with every table's seats: each replica here first
  // catches up (one this node let go is loaded again).
  bool const every_table = std::holds_alternative<protocol::balance>(cmd.op);
  if (!caught_up && (every_table || names_unknown_room(cmd))) {
    // Reading waits meanwhile, so the replies keep their order.
    auto again = [self = shared_from_this(), cmd = std::move(cmd)]() mutable {
      auto const w = self->worker_index();
      self->node_.on_worker(w, [self = std::move(self), cmd = std::move(cmd)]() mutable {
        if (self->closed_) return;
        if (self->dispatch(cmd, true) && self->may_read_on()) self->op_done();
      });
    };
    if (every_table)
      node_.after_all_caught_up(std::move(again));
    else
      node_.after_plenary_caught_up(std::move(again));
    return false;
  }
  auto const now = node::now_ms();
  return std::visit([&](auto& op) { return on_op(std::move(cmd.rid), op, now); }, cmd.op);
}

bool client::names_unknown_room(protocol::command const& cmd) const {
  auto const unknown = [this](std::string const& id) {
    return !id.empty() && id != room::plenary_id && node_.find_room(id) == nullptr;
  };
  return std::visit(
      [&](auto const& op) {
        using T = std::decay_t<decltype(op)>;
        // A new table's id is unknown until its creation is applied.
        if constexpr (std::is_same_v<T, protocol::create_table>) return false;
        if constexpr (requires { op.table; }) {
          if (unknown(op.table)) return true;
        }
        if constexpr (requires { op.room; }) {
          if (unknown(op.room)) return true;
        }
        if constexpr (requires { op.tables; }) {
          return std::any_of(op.tables.begin(), op.tables.end(), unknown);
        }
        return false;
      },
      cmd.op);
}

bool client::on_op(std::string rid, protocol::ping&, std::int64_t) {
  reply_ok(rid);
  return true;
}

bool client::on_op(std::string rid, protocol::join& op, std::int64_t) {
  return do_join(std::move(rid), std::move(op.table));
}

bool client::on_op(std::string rid, protocol::leave&, std::int64_t) {
  if (table_.empty()) {
    reply_ok(rid);
    return true;
  }
  auto* s = node_.find_room(table_);
  leave_table(false);
  // The reply waits until the leave is applied: whoever joins next sees the
  // seat free, on every node.
  node_.on_home(*s, [self = shared_from_this(), rid = std::move(rid)](room& r) mutable {
    auto const conn = self->serial_;
    r.after(r.leave(conn, node::now_ms()), replier(std::move(self), std::move(rid)));
  });
  return false;
}

bool client::on_op(std::string rid, protocol::say& op, std::int64_t now) {
  auto* s = member_room(rid, op.room);
  if (!s) return true;
  return room_op(
      std::move(rid), *s,
      [text = std::move(op.text), alias = alias_at(op.room, op.anonymous), now](
          room& r, member const& m) mutable { return r.say(m, text, now, std::move(alias)); });
}

bool client::on_op(std::string rid, protocol::hand& op, std::int64_t now) {
  auto* s = table_room(rid);
  if (!s) return true;
  if (!op.participant.empty()) {
    return room_op(std::move(rid), *s,
                   [who = std::move(op.participant), now](room& r, member const& m) {
                     return r.drop_hand(m.who, who, now);
                   });
  }
  return room_op(std::move(rid), *s,
                 [up = op.up, now](room& r, member const& m) { return r.hand(m, up, now); });
}

bool client::on_op(std::string rid, protocol::speaker& op, std::int64_t now) {
  auto* s = any_room(rid, op.room);
  if (!s) return true;
  using action = protocol::speaker::action;
  return room_op(std::move(rid), *s,
                 [what = op.what, who = std::move(op.participant), now](room& r, member const& m) {
                   if (!who.empty()) return r.pick_speaker(m.who, who, now);
                   if (what == action::end) return r.end_turn(m.who, now);
                   return r.next_speaker(m.who, what == action::clear, now);
                 });
}

bool client::on_op(std::string rid, protocol::insight& op, std::int64_t now) {
  auto* s = table_room(rid);
  if (!s) return true;
  return room_op(std::move(rid), *s,
                 [text = std::move(op.text), alias = alias_at(table_, op.anonymous), now](
                     room& r, member const& m) mutable {
                   return r.add_insight(m, text, now, std::move(alias));
                 });
}

bool client::on_op(std::string rid, protocol::vote& op, std::int64_t now) {
  auto* s = table_room(rid);
  if (!s) return true;
  return room_op(std::move(rid), *s,
                 [id = std::move(op.insight), up = op.up, now](room& r, member const& m) {
                   return r.vote(m, id, now, up);
                 });
}

bool client::on_op(std::string rid, protocol::del& op, std::int64_t now) {
  auto* s = any_room(rid, op.room);
  if (!s) return true;
  return room_op(
      std::move(rid), *s,
      [msg = std::move(op.message), ins = std::move(op.insight), now](room& r, member const& m) {
        return msg.empty() ? r.delete_insight(m.who, ins, now) : r.delete_message(m.who, msg, now);
      });
}

bool client::on_op(std::string rid, protocol::timer& op, std::int64_t now) {
  auto* s = any_room(rid, op.room);
  if (!s) return true;
  using action = protocol::timer::action;
  return room_op(std::move(rid), *s,
                 [what = op.what, secs = op.seconds, now](room& r, member const& m) {
                   switch (what) {
                     case action::pause:
                     case action::resume:
                       return r.pause_timer(m.who, what == action::pause, now);
                     case action::extend:
                       return r.extend_timer(m.who, secs, now);
                     case action::set:
                       break;
                   }
                   return r.set_timer(m.who, secs, now);
                 });
}

bool client::on_op(std::string rid, protocol::summary& op, std::int64_t now) {
  // A moderator's own table, else where the sender sits (its rapporteur may
  // draft); the chair names any table (room::may_draft), at apply.
  std::string const table = !op.table.empty()         ? op.table
                            : !who_.moderates.empty() ? who_.moderates
                            : who_.is_chair()         ? std::string()
                                                      : table_;
  if (table.empty()) {
    return refuse(rid, error_code::forbidden,
                  "only a table's moderator, its rapporteur, or the chair naming it");
  }
  auto* s = any_room(rid, table);
  if (!s) return true;
  bool const publish = op.publish;
  node_.on_home(*s, [self = shared_from_this(), rid = std::move(rid), text = std::move(op.text),
                     publish, now, who = who_](room& r) mutable {
    auto& n = self->node_;
    auto const ticket = r.summary(who, text, publish, now);
    auto reply = replier(std::move(self), std::move(rid));
    r.after(ticket, [&n, &r, publish, text = std::move(text), now,
                     reply = std::move(reply)](outcome o) mutable {
      if (!o && publish) {
        // Published: the report goes to the plenary's log. The reply waits
        // for nothing more; the plenary event follows soon.
        n.on_home(n.plenary(), [cfg = r.config(), text, now, figures = r.report_figures()](
                                   room& p) { p.report(cfg, text, now, figures); });
      }
      reply(std::move(o));
    });
  });
  return false;
}

bool client::on_op(std::string rid, protocol::broadcast& op, std::int64_t now) {
  if (!who_.is_chair()) return refuse(rid, error_code::forbidden, "only the chair");
  node_.announce(who_, std::move(op.text), now, replier(shared_from_this(), std::move(rid)));
  return false;
}

bool client::on_op(std::string rid, protocol::phase& op, std::int64_t now) {
  if (!who_.is_chair()) return refuse(rid, error_code::forbidden, "only the chair");
  // The agenda is the event's config, the same on every node.
  if (!on_agenda(node_.event(), op.name)) {
    std::string ids;
    for (auto const& a : node_.event().agenda) ids += (ids.empty() ? "" : ", ") + a.id;
    return refuse(rid, error_code::bad_request,
                  "phase: '" + op.name + "' is not on the agenda (" + ids + ")");
  }
  return room_op(
      std::move(rid), node_.plenary(),
      [name = std::move(op.name), now](room& r, member const&) { return r.phase(name, now); });
}

bool client::on_op(std::string rid, protocol::table& op, std::int64_t now) {
  auto* s = any_room(rid, op.table);
  if (!s) return true;
  return room_op(std::move(rid), *s, [open = op.open, now](room& r, member const& m) {
    return r.set_open(m.who, open, now);
  });
}

bool client::on_op(std::string rid, protocol::create_table& op, std::int64_t now) {
  if (!who_.is_chair()) return refuse(rid, error_code::forbidden, "only the chair");
  table_config cfg{op.table, op.topic, op.moderator, op.capacity, true};
  auto invite = invitation::moderator(cfg, node_.secret(), now / 1000);
  node_.open_table(std::move(cfg), now,
                   replier(shared_from_this(), std::move(rid), "invite", std::move(invite)));
  return false;
}

bool client::hide_item(std::string rid, std::string const& room_id, std::string item, bool on,
                       std::int64_t now) {
  auto* s = room_id.empty() ? table_room(rid) : any_room(rid, room_id);
  if (!s) return true;
  return room_op(std::move(rid), *s, [item = std::move(item), on, now](room& r, member const& m) {
    return r.hide(m.who, item, on, now);
  });
}

bool client::on_op(std::string rid, protocol::hide& op, std::int64_t now) {
  return hide_item(std::move(rid), op.room, std::move(op.item), true, now);
}

bool client::on_op(std::string rid, protocol::restore& op, std::int64_t now) {
  return hide_item(std::move(rid), op.room, std::move(op.item), false, now);
}

bool client::sanction(std::string rid, protocol::mute const& op, bool mute, std::int64_t now) {
  auto* s = decided_table(rid, op.table);
  if (!s) return true;
  return room_op(std::move(rid), *s, [mute, op, now](room& r, member const& m) {
    return mute ? r.mute(m.who, op.participant, op.on, op.reason, now)
                : r.remove_member(m.who, op.participant, op.on, op.reason, now);
  });
}

bool client::on_op(std::string rid, protocol::mute& op, std::int64_t now) {
  return sanction(std::move(rid), op, true, now);
}

bool client::on_op(std::string rid, protocol::remove_from_table& op, std::int64_t now) {
  return sanction(std::move(rid), op, false, now);
}

bool client::on_op(std::string rid, protocol::moderation& op, std::int64_t now) {
  auto* s = any_room(rid, op.table);
  if (!s) return true;
  return room_op(std::move(rid), *s, [on = op.premoderate, now](room& r, member const& m) {
    return r.set_premoderate(m.who, on, now);
  });
}

bool client::review(std::string rid, std::string const& room_id, std::string item, bool approve,
                    std::int64_t now) {
  auto* s = room_id.empty() ? table_room(rid) : any_room(rid, room_id);
  if (!s) return true;
  return room_op(std::move(rid), *s,
                 [item = std::move(item), approve, now](room& r, member const& m) {
                   return r.review(m.who, item, approve, now);
                 });
}

bool client::on_op(std::string rid, protocol::approve& op, std::int64_t now) {
  return review(std::move(rid), op.room, std::move(op.item), true, now);
}

bool client::on_op(std::string rid, protocol::reject& op, std::int64_t now) {
  return review(std::move(rid), op.room, std::move(op.item), false, now);
}

bool client::on_op(std::string rid, protocol::help& op, std::int64_t now) {
  auto* s = op.table.empty() ? table_room(rid) : any_room(rid, op.table);
  if (!s) return true;
  return room_op(std::move(rid), *s,
                 [done = op.done, now](room& r, member const& m) { return r.help(m, done, now); });
}

bool client::on_op(std::string rid, protocol::outcome& op, std::int64_t now) {
  auto* s = decided_table(rid, op.table);
  if (!s) return true;
  return room_op(
      std::move(rid), *s,
      [c = cmd::outcome{std::move(op.insight), std::move(op.status), std::move(op.note),
                        std::move(op.into)},
       now](room& r, member const& m) mutable { return r.set_outcome(m.who, std::move(c), now); });
}

bool client::on_op(std::string rid, protocol::poll& op, std::int64_t now) {
  auto* s = any_room(rid, op.room);
  if (!s) return true;
  return room_op(
      std::move(rid), *s,
      [c = cmd::poll{{}, std::move(op.question), std::move(op.options), op.multiple, op.live}, now](
          room& r, member const& m) mutable { return r.poll(m.who, std::move(c), now); });
}

bool client::on_op(std::string rid, protocol::poll_vote& op, std::int64_t now) {
  auto* s = member_room(rid, default_room(op.room));
  if (!s) return true;
  return room_op(
      std::move(rid), *s,
      [c = cmd::poll_vote{std::move(op.poll), std::move(op.choices)}, now](
          room& r, member const& m) mutable { return r.poll_vote(m, std::move(c), now); });
}

bool client::on_op(std::string rid, protocol::poll_close& op, std::int64_t now) {
  auto* s = any_room(rid, default_room(op.room));
  if (!s) return true;
  return room_op(std::move(rid), *s, [id = std::move(op.poll), now](room& r, member const& m) {
    return r.poll_close(m.who, id, now);
  });
}

bool client::on_op(std::string rid, protocol::react& op, std::int64_t now) {
  auto* s = member_room(rid, default_room(op.room));
  if (!s) return true;
  return room_op(std::move(rid), *s,
                 [c = cmd::react{std::move(op.item), std::move(op.emoji)}, now](
                     room& r, member const& m) mutable { return r.react(m, std::move(c), now); });
}

bool client::on_op(std::string rid, protocol::move& op, std::int64_t now) {
  if (!who_.is_chair()) return refuse(rid, error_code::forbidden, "only the chair moves people");
  // What the lobby knows now, for a clear answer at once; the table's log
  // decides again when the person joins (a table that filled meanwhile
  // refuses them there, and they hear it in `moved`).
  auto* s = node_.find_room(op.table);
  if (!s || op.table == room::plenary_id) {
    return refuse(rid, error_code::not_found, "no table '" + op.table + "'");
  }
  if (!s->open.load(std::memory_order_relaxed)) {
    return refuse(rid, error_code::forbidden,
                  "table '" + op.table + "' is closed: reopen it first");
  }
  auto const seated = s->count.load(std::memory_order_relaxed);
  if (s->config.capacity > 0 && seated >= s->config.capacity) {
    return refuse(rid, error_code::full,
                  "table '" + op.table + "' is full (" + std::to_string(seated) + " of " +
                      std::to_string(s->config.capacity) + ")");
  }
  return room_op(
      std::move(rid), node_.plenary(),
      [c = cmd::move{std::move(op.participant), std::move(op.name), std::move(op.table), {}}, now](
          room& r, member const& m) mutable { return r.move(m.who, std::move(c), now); });
}

bool client::on_op(std::string rid, protocol::recall& op, std::int64_t now) {
  return room_op(std::move(rid), node_.plenary(),
                 [c = cmd::recall{op.seconds, op.cancel}, now](room& r, member const& m) {
                   return r.recall(m.who, c, now);
                 });
}

bool client::on_op(std::string rid, protocol::give_role& op, std::int64_t now) {
  auto* s = decided_table(rid, op.table);
  if (!s) return true;
  return room_op(std::move(rid), *s,
                 [who = std::move(op.participant), role = std::move(op.role), now](
                     room& r, member const& m) { return r.give_role(m.who, who, role, now); });
}

bool client::on_op(std::string rid, protocol::balance& op, std::int64_t now) {
  if (!who_.is_chair()) return refuse(rid, error_code::forbidden, "only the chair balances tables");
  std::vector<room_slot*> slots;
  if (op.tables.empty()) {
    for (auto* s : node_.tables()) {
      if (s->open.load(std::memory_order_relaxed)) slots.push_back(s);
    }
  }
  for (auto const& id : op.tables) {
    auto* s = node_.find_room(id);
    if (!s || id == room::plenary_id) {
      return refuse(rid, error_code::not_found, "no table '" + id + "'");
    }
    if (!s->open.load(std::memory_order_relaxed)) {
      return refuse(rid, error_code::forbidden, "table '" + id + "' is closed: reopen it first");
    }
    slots.push_back(s);
  }
  std::vector<balance_table> tables;
  for (auto* s : slots) {
    std::lock_guard lock(s->mix_mutex);
    tables.push_back({s->config.id, s->config.capacity, s->people, s->movable});
  }
  auto const moves = plan_balance(std::move(tables));
  json_writer list;
  list.begin_array();
  cmd::balance c;
  for (auto const& m : moves) {
    list.begin_object().key("participant").begin_object();
    list.field("id", m.who.id).field("name", m.who.name).end_object();
    list.field("from", m.from).field("table", m.table).end_object();
    c.moves.push_back({m.who.id, {}, m.table, m.from});
  }
  list.end_array();
  if (moves.empty()) {  // balanced already: nothing to order
    auto r = reply_head(rid);
    r.key("moves").raw(list.str()).end_object();
    send_reply(r.release());
    return true;
  }
  node_.on_home(node_.plenary(), [self = shared_from_this(), rid = std::move(rid), chair = who_,
                                  c = std::move(c), list = list.release(), now](room& r) mutable {
    r.after(r.balance(chair, std::move(c), now),
            replier(std::move(self), std::move(rid), "moves", std::move(list)));
  });
  return false;
}

bool client::on_op(std::string rid, protocol::networking& op, std::int64_t now) {
  if (op.opting) {
    return room_op(
        std::move(rid), node_.plenary(),
        [on = op.opt_out, now](room& r, member const& m) { return r.opt_out(m.who, on, now); });
  }
  if (op.stop) {
    return room_op(std::move(rid), node_.plenary(),
                   [now](room& r, member const& m) { return r.rounds_stop(m.who, now); });
  }
  // The seed is drawn here, once, and travels in the log: every replica forms
  // the same groups from it. Within 2^53, as every number on the wire.
  std::random_device rd;
  auto const seed = static_cast<std::int64_t>(((std::uint64_t{rd()} << 32) | rd()) >> 11);
  return room_op(std::move(rid), node_.plenary(),
                 [c = cmd::rounds_start{op.size, op.minutes, op.rounds, seed}, now](
                     room& r, member const& m) { return r.rounds_start(m.who, c, now); });
}

}  // namespace roundtable
