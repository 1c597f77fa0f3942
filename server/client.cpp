// Per-connection protocol logic: hello, hop, room ops, rate limit, send queue.
#include "server/client.hpp"

#include "protocol/json_writer.hpp"
#include "server/auth/digest.hpp"
#include "server/invitation.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

namespace roundtable {

using protocol::json_writer;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int plenary_slot = 0;
constexpr int table_slot = 1;

// A guest token outlives a day of sessions; each hello hands out a fresh one, so a
// guest who keeps coming back keeps the same id.
constexpr std::int64_t guest_token_seconds = 24 * 3600;
// A guest id is random (72 bits), not a counter: it lives on in the guest's token,
// so it must not be handed out again after a restart or by another node.
constexpr std::size_t guest_id_bytes = 9;

// Starts a reply object: {"type":"reply","rid":...,"ok":true
json_writer reply_head(std::string const& rid) {
  json_writer w;
  w.begin_object().field("type", "reply");
  if (!rid.empty()) w.key("rid").raw(rid);
  w.field("ok", true);
  return w;
}

}  // namespace

client::client(node& n, worker& w, std::string address)
    : worker_(w),
      node_(n),
      address_(std::move(address)),
      serial_(n.next_conn_serial()),
      tokens_(n.opts().rate_burst) {
  worker_.clients.insert(this);
  worker_.counters.connections.fetch_add(1, std::memory_order_relaxed);
  node_.stats().connections_total.fetch_add(1, std::memory_order_relaxed);
}

client::~client() {
  on_closed();
}

void client::on_closed() {
  if (closed_) return;
  closed_ = true;
  worker_.give_buffer(queue_);
  queued_bytes_ = 0;
  if (dirty_) std::erase(worker_.dirty, this);
  worker_.clients.erase(this);
  worker_.counters.connections.fetch_sub(1, std::memory_order_relaxed);
  node_.release_address(address_);
  if (!hello_done_) return;
  if (auto it = worker_.rooms.find(std::string(room::plenary_id)); it != worker_.rooms.end()) {
    it->second.remove(this);
  }
  if (node_.stopping()) return;  // the rooms go away with the node
  auto const conn = serial_;
  node_.on_home(node_.plenary(), [conn](room& r) { r.leave(conn, node::now_ms()); });
  leave_table();
}

void client::close(unsigned short code, std::string_view reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  close_transport(code, reason);
}

void client::enqueue(std::string_view bytes, std::int64_t published_us) {
  if (closing_ || closed_) return;
  if (published_us != 0 && oldest_published_us_ == 0) oldest_published_us_ = published_us;
  queued_bytes_ += bytes.size() + 1;
  if (queued_bytes_ > node_.opts().send_queue_bytes) {
    // A client that does not read must not grow our memory or stall its room.
    worker_.counters.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    worker_.give_buffer(queue_);
    queued_bytes_ = 0;
    close(protocol::close_code::policy, "send queue over its bound");
    return;
  }
  if (queue_.empty()) {
    worker_.take_buffer(queue_);
  } else {
    queue_.push_back('\n');
  }
  queue_.append(bytes);
  if (!dirty_) {
    dirty_ = true;
    worker_.mark_dirty(this);
  }
}

void client::written(std::string& out) noexcept {
  // Each object counted its separator in enqueue(): the first of a write has none.
  queued_bytes_ -= std::min(queued_bytes_, out.size() + 1);
  worker_.give_buffer(out);
  if (inflight_published_us_ != 0) {
    node_.stats().publish_to_write.record(
        static_cast<std::uint64_t>(now_us() - inflight_published_us_));
    inflight_published_us_ = 0;
  }
}

bool client::rate_ok() {
  double const rate = node_.opts().rate_per_second;
  if (rate <= 0) return true;
  auto const now = now_us();
  if (last_refill_us_ != 0) {
    tokens_ = std::min(node_.opts().rate_burst,
                       tokens_ + static_cast<double>(now - last_refill_us_) * rate / 1e6);
  }
  last_refill_us_ = now;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    refused_in_row_ = 0;
    return true;
  }
  return false;
}

std::string client::ok_json(std::string const& rid) {
  auto w = reply_head(rid);
  w.end_object();
  return w.release();
}

void client::reply_ok(std::string const& rid) {
  send_reply(ok_json(rid));
}

void client::send_reply(std::string json) {
  if (replies_.empty()) {
    enqueue(json);
  } else {
    replies_.emplace_back(std::move(json));  // after the ones in flight
  }
}

void client::pipelined_done(std::uint64_t slot, std::string json) {
  if (closed_) return;
  replies_[slot - replies_base_] = std::move(json);
  std::size_t sent = 0;
  while (sent < replies_.size() && replies_[sent]) enqueue(*replies_[sent++]);
  replies_.erase(replies_.begin(), replies_.begin() + static_cast<std::ptrdiff_t>(sent));
  replies_base_ += sent;
  // A burst's block is given back; the few slots a steady publisher reuses stay
  // (freeing them per op cost an allocation per op).
  if (replies_.empty() && replies_.capacity() > 4) replies_.shrink_to_fit();
  if (closing_ || sent == 0) return;
  if (replies_.empty() && parked_) {
    auto cmd = std::move(parked_);
    if (dispatch(*cmd)) op_done();
  } else if (read_paused_ && replies_.size() < max_pipelined) {
    read_paused_ = false;
    op_done();
  }
}

bool client::pipelinable(protocol::command const& cmd) {
  return std::visit(
      [](auto const& op) {
        using T = std::decay_t<decltype(op)>;
        return std::is_same_v<T, protocol::say> || std::is_same_v<T, protocol::hand> ||
               std::is_same_v<T, protocol::speaker> || std::is_same_v<T, protocol::insight> ||
               std::is_same_v<T, protocol::vote> || std::is_same_v<T, protocol::del> ||
               std::is_same_v<T, protocol::timer> || std::is_same_v<T, protocol::phase> ||
               std::is_same_v<T, protocol::table> || std::is_same_v<T, protocol::outcome> ||
               std::is_same_v<T, protocol::hide> || std::is_same_v<T, protocol::restore> ||
               std::is_same_v<T, protocol::mute> ||
               std::is_same_v<T, protocol::remove_from_table> ||
               std::is_same_v<T, protocol::moderation> || std::is_same_v<T, protocol::approve> ||
               std::is_same_v<T, protocol::reject> || std::is_same_v<T, protocol::poll> ||
               std::is_same_v<T, protocol::poll_vote> || std::is_same_v<T, protocol::poll_close> ||
               std::is_same_v<T, protocol::react> || std::is_same_v<T, protocol::help> ||
               std::is_same_v<T, protocol::move> || std::is_same_v<T, protocol::recall> ||
               std::is_same_v<T, protocol::give_role> || std::is_same_v<T, protocol::networking>;
      },
      cmd.op);
}

std::string client::error_json(std::string const& rid, error const& e) {
  worker_.counters.errors.fetch_add(1, std::memory_order_relaxed);
  json_writer w;
  w.begin_object().field("type", "reply");
  if (!rid.empty()) w.key("rid").raw(rid);
  w.field("ok", false)
      .key("error")
      .begin_object()
      .field("code", protocol::to_string(e.code))
      .field("message", e.message)
      .end_object()
      .end_object();
  return w.release();
}

void client::reply_error(std::string const& rid, error const& e) {
  send_reply(error_json(rid, e));
}

void client::op_done() {
  flush_now();
  if (!closed_ && !closing_) resume_read();
}

bool client::on_message(std::string_view text) {
  if (closed_ || closing_) return false;
  worker_.counters.ops_in.fetch_add(1, std::memory_order_relaxed);
  protocol::command cmd;
  error err;
  bool const parsed = worker_.parser.parse(text, cmd, err);
  if (!rate_ok()) {
    worker_.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
    // A client that keeps sending into a refusing limiter is flooding: close.
    if (++refused_in_row_ > 2 * static_cast<unsigned>(node_.opts().rate_burst) + 10) {
      worker_.counters.flood_closes.fetch_add(1, std::memory_order_relaxed);
      close(protocol::close_code::policy, "message flood");
      return false;
    }
    reply_error(cmd.rid, {error_code::rate_limited, "too many messages; slow down"});
    return true;
  }
  if (!parsed) {
    reply_error(cmd.rid, err);
    return true;
  }
  if (!replies_.empty() && (!hello_done_ || !pipelinable(cmd))) {
    parked_ = std::make_unique<protocol::command>(std::move(cmd));  // after those in flight
    return false;
  }
  // Ops through room_op read on at once: the reply has its place in replies_.
  if (!dispatch(cmd)) return false;
  if (replies_.size() < max_pipelined) return true;
  read_paused_ = true;
  return false;
}

std::function<void(outcome)> client::replier(std::shared_ptr<client> self, std::string rid,
                                             std::string key, std::string value) {
  return [self = std::move(self), rid = std::move(rid), key = std::move(key),
          value = std::move(value)](outcome o) mutable {
    auto const w = self->worker_index();
    self->node_.on_worker(w, [self = std::move(self), rid = std::move(rid), o = std::move(o),
                              key = std::move(key), value = std::move(value)] {
      if (o) {
        self->reply_error(rid, *o);
      } else if (key.empty()) {
        self->reply_ok(rid);
      } else {
        auto r = reply_head(rid);
        r.key(key).raw(value).end_object();
        self->enqueue(r.release());
      }
      self->op_done();
    });
  };
}

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

room_slot* client::member_room(std::string const& rid, std::string const& id) {
  if (id == room::plenary_id) return &node_.plenary();
  if (!table_.empty() && id == table_) return node_.find_room(id);
  if (node_.find_room(id) == nullptr) {
    reply_error(rid, {error_code::not_found, "no room '" + id + "'"});
  } else {
    reply_error(rid, {error_code::forbidden, "not a member of room '" + id + "'"});
  }
  return nullptr;
}

std::string client::default_room(std::string const& named) const {
  if (!named.empty()) return named;
  return table_.empty() ? std::string(room::plenary_id) : table_;
}

room_slot* client::table_room(std::string const& rid) {
  if (table_.empty()) {
    reply_error(rid, {error_code::forbidden, "join a table first"});
    return nullptr;
  }
  return node_.find_room(table_);
}

bool client::dispatch(protocol::command& cmd) {
  std::string& rid = cmd.rid;
  if (auto* h = std::get_if<protocol::hello>(&cmd.op)) return do_hello(std::move(rid), *h);
  if (!hello_done_) {
    reply_error(rid, {error_code::unauthorized, "send hello first"});
    return true;
  }
  auto const now = node::now_ms();
  auto refuse = [&](error_code c, std::string msg) {
    reply_error(rid, {c, std::move(msg)});
    return true;
  };
  auto any_room = [&](std::string const& id) -> room_slot* {
    auto* s = node_.find_room(id);
    if (!s) reply_error(rid, {error_code::not_found, "no room '" + id + "'"});
    return s;
  };
  // The table a moderator's op is about: named, else where the sender sits,
  // else the one it moderates; who may decide is checked at apply.
  auto decided_table = [&](std::string const& named) -> room_slot* {
    auto const& table = !named.empty() ? named : !table_.empty() ? table_ : who_.moderates;
    if (table.empty()) {
      refuse(error_code::forbidden, "join a table first");
      return nullptr;
    }
    return any_room(table);
  };
  return std::visit(
      [&](auto& op) -> bool {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, protocol::hello>) {
          return true;  // handled above
        } else if constexpr (std::is_same_v<T, protocol::ping>) {
          reply_ok(rid);
          return true;
        } else if constexpr (std::is_same_v<T, protocol::join>) {
          return do_join(std::move(rid), std::move(op.table));
        } else if constexpr (std::is_same_v<T, protocol::leave>) {
          return do_leave(std::move(rid));
        } else if constexpr (std::is_same_v<T, protocol::say>) {
          auto* s = member_room(rid, op.room);
          if (!s) return true;
          return room_op(std::move(rid), *s,
                         [text = std::move(op.text), alias = alias_at(op.room, op.anonymous), now](
                             room& r, member const& m) mutable {
                           return r.say(m, text, now, std::move(alias));
                         });
        } else if constexpr (std::is_same_v<T, protocol::hand>) {
          auto* s = table_room(rid);
          if (!s) return true;
          if (!op.participant.empty()) {
            return room_op(std::move(rid), *s,
                           [who = std::move(op.participant), now](room& r, member const& m) {
                             return r.drop_hand(m.who, who, now);
                           });
          }
          return room_op(std::move(rid), *s, [up = op.up, now](room& r, member const& m) {
            return r.hand(m, up, now);
          });
        } else if constexpr (std::is_same_v<T, protocol::speaker>) {
          auto* s = any_room(op.room);
          if (!s) return true;
          using action = protocol::speaker::action;
          return room_op(
              std::move(rid), *s,
              [what = op.what, who = std::move(op.participant), now](room& r, member const& m) {
                if (!who.empty()) return r.pick_speaker(m.who, who, now);
                if (what == action::end) return r.end_turn(m.who, now);
                return r.next_speaker(m.who, what == action::clear, now);
              });
        } else if constexpr (std::is_same_v<T, protocol::insight>) {
          auto* s = table_room(rid);
          if (!s) return true;
          return room_op(std::move(rid), *s,
                         [text = std::move(op.text), alias = alias_at(table_, op.anonymous), now](
                             room& r, member const& m) mutable {
                           return r.add_insight(m, text, now, std::move(alias));
                         });
        } else if constexpr (std::is_same_v<T, protocol::vote>) {
          auto* s = table_room(rid);
          if (!s) return true;
          return room_op(std::move(rid), *s,
                         [id = std::move(op.insight), up = op.up, now](room& r, member const& m) {
                           return r.vote(m, id, now, up);
                         });
        } else if constexpr (std::is_same_v<T, protocol::del>) {
          auto* s = any_room(op.room);
          if (!s) return true;
          return room_op(std::move(rid), *s,
                         [msg = std::move(op.message), ins = std::move(op.insight), now](
                             room& r, member const& m) {
                           return msg.empty() ? r.delete_insight(m.who, ins, now)
                                              : r.delete_message(m.who, msg, now);
                         });
        } else if constexpr (std::is_same_v<T, protocol::timer>) {
          auto* s = any_room(op.room);
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
        } else if constexpr (std::is_same_v<T, protocol::summary>) {
          // A moderator's own table, else where the sender sits (its rapporteur
          // may draft); the chair names any table (room::may_draft), at apply.
          std::string const table = !op.table.empty()         ? op.table
                                    : !who_.moderates.empty() ? who_.moderates
                                    : who_.is_chair()         ? std::string()
                                                              : table_;
          if (table.empty())
            return refuse(error_code::forbidden,
                          "only a table's moderator, its rapporteur, or the chair naming it");
          auto* s = any_room(table);
          if (!s) return true;
          bool const publish = op.publish;
          node_.on_home(*s, [self = shared_from_this(), rid = std::move(rid),
                             text = std::move(op.text), publish, now, who = who_](room& r) mutable {
            auto& n = self->node_;
            auto const ticket = r.summary(who, text, publish, now);
            auto reply = replier(std::move(self), std::move(rid));
            r.after(ticket, [&n, &r, publish, text = std::move(text), now,
                             reply = std::move(reply)](outcome o) mutable {
              if (!o && publish) {
                // Published: the report goes to the plenary's log. The reply
                // waits for nothing more; the plenary event follows soon.
                n.on_home(n.plenary(), [cfg = r.config(), text, now, figures = r.report_figures()](
                                           room& p) { p.report(cfg, text, now, figures); });
              }
              reply(std::move(o));
            });
          });
          return false;
        } else if constexpr (std::is_same_v<T, protocol::broadcast>) {
          if (!who_.is_chair()) return refuse(error_code::forbidden, "only the chair");
          node_.announce(who_, std::move(op.text), now,
                         replier(shared_from_this(), std::move(rid)));
          return false;
        } else if constexpr (std::is_same_v<T, protocol::phase>) {
          if (!who_.is_chair()) return refuse(error_code::forbidden, "only the chair");
          // The agenda is the event's config, the same on every node.
          if (!on_agenda(node_.event(), op.name)) {
            std::string ids;
            for (auto const& a : node_.event().agenda) ids += (ids.empty() ? "" : ", ") + a.id;
            return refuse(error_code::bad_request,
                          "phase: '" + op.name + "' is not on the agenda (" + ids + ")");
          }
          return room_op(std::move(rid), node_.plenary(),
                         [name = std::move(op.name), now](room& r, member const&) {
                           return r.phase(name, now);
                         });
        } else if constexpr (std::is_same_v<T, protocol::table>) {
          auto* s = any_room(op.table);
          if (!s) return true;
          return room_op(std::move(rid), *s, [open = op.open, now](room& r, member const& m) {
            return r.set_open(m.who, open, now);
          });
        } else if constexpr (std::is_same_v<T, protocol::create_table>) {
          if (!who_.is_chair()) return refuse(error_code::forbidden, "only the chair");
          table_config cfg{op.table, op.topic, op.moderator, op.capacity, true};
          auto invite = invitation::moderator(cfg, node_.secret(), now / 1000);
          node_.open_table(
              std::move(cfg), now,
              replier(shared_from_this(), std::move(rid), "invite", std::move(invite)));
          return false;
        } else if constexpr (std::is_same_v<T, protocol::hide> ||
                             std::is_same_v<T, protocol::restore>) {
          auto* s = op.room.empty() ? table_room(rid) : any_room(op.room);
          if (!s) return true;
          bool const on = std::is_same_v<T, protocol::hide>;
          return room_op(std::move(rid), *s,
                         [item = std::move(op.item), on, now](room& r, member const& m) {
                           return r.hide(m.who, item, on, now);
                         });
        } else if constexpr (std::is_base_of_v<protocol::mute, T>) {
          auto* s = decided_table(op.table);
          if (!s) return true;
          bool const mute = std::is_same_v<T, protocol::mute>;
          return room_op(
              std::move(rid), *s, [mute, op = protocol::mute(op), now](room& r, member const& m) {
                return mute ? r.mute(m.who, op.participant, op.on, op.reason, now)
                            : r.remove_member(m.who, op.participant, op.on, op.reason, now);
              });
        } else if constexpr (std::is_same_v<T, protocol::moderation>) {
          auto* s = any_room(op.table);
          if (!s) return true;
          return room_op(std::move(rid), *s, [on = op.premoderate, now](room& r, member const& m) {
            return r.set_premoderate(m.who, on, now);
          });
        } else if constexpr (std::is_same_v<T, protocol::approve> ||
                             std::is_same_v<T, protocol::reject>) {
          auto* s = op.room.empty() ? table_room(rid) : any_room(op.room);
          if (!s) return true;
          bool const approve = std::is_same_v<T, protocol::approve>;
          return room_op(std::move(rid), *s,
                         [item = std::move(op.item), approve, now](room& r, member const& m) {
                           return r.review(m.who, item, approve, now);
                         });
        } else if constexpr (std::is_same_v<T, protocol::help>) {
          auto* s = op.table.empty() ? table_room(rid) : any_room(op.table);
          if (!s) return true;
          return room_op(std::move(rid), *s, [done = op.done, now](room& r, member const& m) {
            return r.help(m, done, now);
          });
        } else if constexpr (std::is_same_v<T, protocol::outcome>) {
          auto* s = decided_table(op.table);
          if (!s) return true;
          return room_op(std::move(rid), *s,
                         [c = cmd::outcome{std::move(op.insight), std::move(op.status),
                                           std::move(op.note), std::move(op.into)},
                          now](room& r, member const& m) mutable {
                           return r.set_outcome(m.who, std::move(c), now);
                         });
        } else if constexpr (std::is_same_v<T, protocol::poll>) {
          auto* s = any_room(op.room);
          if (!s) return true;
          return room_op(
              std::move(rid), *s,
              [c =
                   cmd::poll{
                       {}, std::move(op.question), std::move(op.options), op.multiple, op.live},
               now](room& r, member const& m) mutable { return r.poll(m.who, std::move(c), now); });
        } else if constexpr (std::is_same_v<T, protocol::poll_vote>) {
          auto* s = member_room(rid, default_room(op.room));
          if (!s) return true;
          return room_op(
              std::move(rid), *s,
              [c = cmd::poll_vote{std::move(op.poll), std::move(op.choices)}, now](
                  room& r, member const& m) mutable { return r.poll_vote(m, std::move(c), now); });
        } else if constexpr (std::is_same_v<T, protocol::poll_close>) {
          auto* s = any_room(default_room(op.room));
          if (!s) return true;
          return room_op(std::move(rid), *s,
                         [id = std::move(op.poll), now](room& r, member const& m) {
                           return r.poll_close(m.who, id, now);
                         });
        } else if constexpr (std::is_same_v<T, protocol::react>) {
          auto* s = member_room(rid, default_room(op.room));
          if (!s) return true;
          return room_op(
              std::move(rid), *s,
              [c = cmd::react{std::move(op.item), std::move(op.emoji)}, now](
                  room& r, member const& m) mutable { return r.react(m, std::move(c), now); });
        } else if constexpr (std::is_same_v<T, protocol::move>) {
          return do_move(std::move(rid), op, now);
        } else if constexpr (std::is_same_v<T, protocol::balance>) {
          return do_balance(std::move(rid), op, now);
        } else if constexpr (std::is_same_v<T, protocol::recall>) {
          return room_op(std::move(rid), node_.plenary(),
                         [c = cmd::recall{op.seconds, op.cancel}, now](room& r, member const& m) {
                           return r.recall(m.who, c, now);
                         });
        } else if constexpr (std::is_same_v<T, protocol::networking>) {
          return do_networking(std::move(rid), op, now);
        } else if constexpr (std::is_same_v<T, protocol::give_role>) {
          auto* s = decided_table(op.table);
          if (!s) return true;
          return room_op(
              std::move(rid), *s,
              [who = std::move(op.participant), role = std::move(op.role), now](
                  room& r, member const& m) { return r.give_role(m.who, who, role, now); });
        } else {
          static_assert(sizeof(T) == 0, "an op without a handler");
        }
      },
      cmd.op);
}

bool client::do_hello(std::string rid, protocol::hello& h) {
  if (hello_done_) {
    reply_error(rid, {error_code::bad_request, "hello was already sent"});
    return true;
  }
  if (!h.token.empty()) {
    auto const v = auth::verify(h.token, node_.secret(), node::now_ms() / 1000);
    if (!v.ok) {
      reply_error(rid, {error_code::unauthorized, v.error});
      return true;
    }
    who_ = participant{v.value.sub, v.value.name, v.value.who,
                       v.value.who == role::moderator ? v.value.table : std::string()};
  } else if (!node_.demo()) {
    reply_error(rid, {error_code::unauthorized, "a token is required"});
    return true;
  } else {
    who_ = participant{"p-" + auth::random_text(guest_id_bytes), h.name, role::participant, {}};
  }
  auto const& groups = node_.event().stakeholders;
  if (!h.stakeholder.empty() &&
      std::find(groups.begin(), groups.end(), h.stakeholder) == groups.end()) {
    std::string names;
    for (auto const& g : groups) names += (names.empty() ? "" : ", ") + g;
    reply_error(rid, {error_code::bad_request,
                      "hello: 'stakeholder' must be one of the event's (" + names + ")"});
    return true;
  }
  said_ = profile{h.stakeholder, h.expertise};
  hello_done_ = true;
  // Step 1 on the plenary's home: membership and snapshot (or replay) in one go.
  node_.on_home(node_.plenary(), [self = shared_from_this(), rid = std::move(rid), h = std::move(h),
                                  m = self_member()](room& r) mutable {
    // The plenary's membership is this node's own: its replica says whether
    // the participant was erased on request (a table refuses them at apply).
    outcome refused;
    if (r.erased(m.who.id))
      refused = make_error(error_code::forbidden, "this participant was erased on request");
    else
      r.join(m, node::now_ms());
    std::vector<buffer> replay;
    std::string recovered = "{";
    for (auto const& rp : h.resume) {
      if (rp.room != room::plenary_id) continue;
      bool const ok = r.replay(rp.epoch, rp.seq, replay, self->replay_budget());
      recovered += "\"plenary\":";
      recovered += ok ? "true" : "false";
    }
    json_writer snap;
    r.write_snapshot(snap, &m.who);
    return [self = std::move(self), rid = std::move(rid), h = std::move(h),
            replay = std::move(replay), snap = snap.release(), phase = r.phase_name(),
            recovered = std::move(recovered), refused = std::move(refused)]() mutable {
      auto const w = self->worker_index();
      self->node_.on_worker(w, [self = std::move(self), rid = std::move(rid), h = std::move(h),
                                replay = std::move(replay), snap = std::move(snap),
                                phase = std::move(phase), recovered = std::move(recovered),
                                refused = std::move(refused)]() mutable {
        if (self->closed_) return;
        if (refused) {
          self->reply_error(rid, *refused);
          self->flush_now();
          self->close(protocol::close_code::policy, "erased on request");
          return;
        }
        self->worker_.rooms.try_emplace(std::string(room::plenary_id), plenary_slot)
            .first->second.add(self.get());
        for (auto const& b : replay) {
          self->enqueue(b);
          self->replayed_bytes_ += b->size();
        }
        // Step 2: a resumed table (the first table named in `resume`).
        std::optional<protocol::resume_point> table_rp;
        for (auto const& rp : h.resume) {
          if (rp.room != room::plenary_id && self->node_.find_room(rp.room)) {
            table_rp = rp;
            break;
          }
        }
        if (!table_rp) {
          self->finish_hello(std::move(rid), std::move(h), std::move(snap), std::move(phase), {},
                             std::move(recovered));
          return;
        }
        auto& slot = *self->node_.find_room(table_rp->room);
        self->table_ = table_rp->room;  // provisional: on_closed must leave it too
        self->hopping_ = true;
        self->node_.on_home(slot, [self, rid = std::move(rid), h = std::move(h),
                                   snap = std::move(snap), phase = std::move(phase),
                                   recovered = std::move(recovered), rp = *table_rp,
                                   m = self->self_member(), said = self->said_](room& t) mutable {
          // Replay and snapshot once our `joined` is applied, at its seq.
          auto done = [&t, self = std::move(self), rid = std::move(rid), h = std::move(h),
                       snap = std::move(snap), phase = std::move(phase),
                       recovered = std::move(recovered), rp](outcome o) mutable {
            std::vector<buffer> table_replay;
            bool ok = false;
            std::string table_snap;
            if (!o) {
              ok = t.replay(rp.epoch, rp.seq, table_replay, self->replay_budget());
              json_writer tw;
              t.write_snapshot(tw, &self->who_);
              table_snap = tw.release();
            }
            if (recovered.size() > 1) recovered += ',';
            protocol::append_json_string(recovered, rp.room);
            recovered += ok ? ":true" : ":false";
            auto const wi = self->worker_index();
            self->node_.on_worker(wi, [self = std::move(self), rid = std::move(rid),
                                       h = std::move(h), snap = std::move(snap),
                                       phase = std::move(phase), recovered = std::move(recovered),
                                       table_replay = std::move(table_replay),
                                       table_snap = std::move(table_snap),
                                       room_id = rp.room]() mutable {
              if (self->closed_) return;
              self->hopping_ = false;
              if (table_snap.empty()) {
                self->table_.clear();  // full or closed meanwhile: plenary only
              } else {
                self->worker_.rooms.try_emplace(room_id, table_slot).first->second.add(self.get());
                self->was_seated_ = true;
                for (auto const& b : table_replay) self->enqueue(b);
              }
              self->finish_hello(std::move(rid), std::move(h), std::move(snap), std::move(phase),
                                 std::move(table_snap), std::move(recovered));
              self->after_hop();
            });
          };
          t.after(t.join(m, node::now_ms(), std::move(said)), std::move(done));
        });
      });
    };
  });
  return false;
}

void client::finish_hello(std::string rid, protocol::hello h, std::string plenary_snapshot,
                          std::string phase, std::string table_snapshot, std::string recovered) {
  auto w = reply_head(rid);
  w.key("you")
      .begin_object()
      .field("id", who_.id)
      .field("name", who_.name)
      .field("role", auth::to_string(who_.who));
  if (!said_.stakeholder.empty()) w.field("stakeholder", said_.stakeholder);
  if (!said_.expertise.empty()) w.field("expertise", said_.expertise);
  w.key("table");
  if (table_.empty())
    w.null();
  else
    w.value(table_);
  if (!who_.moderates.empty()) w.field("moderates", who_.moderates);
  w.end_object();
  if (node_.demo() && who_.who == role::participant) {
    // The guest keeps this and presents it at its next hello: same id, same votes.
    w.field("token", auth::mint({who_.id,
                                 who_.name,
                                 role::participant,
                                 {},
                                 node::now_ms() / 1000 + guest_token_seconds},
                                node_.secret()));
  }
  w.key("event")
      .begin_object()
      .field("id", node_.event().id)
      .field("title", node_.event().title)
      .field("phase", phase)
      .field("rules", node_.event().rules);
  if (!node_.event().agenda.empty()) {
    w.key("agenda");
    write_agenda(w, node_.event().agenda);
  }
  w.key("stakeholders").begin_array();
  for (auto const& g : node_.event().stakeholders) w.value(g);
  w.end_array().key("roles").begin_array();
  for (auto const& r : node_.event().roles) w.value(r);
  w.end_array();
  w.end_object();
  w.key("tables");
  node_.write_tables(w);
  w.key("plenary").raw(plenary_snapshot);
  w.key("table");
  if (table_snapshot.empty())
    w.null();
  else
    w.raw(table_snapshot);
  if (h.has_resume) {
    recovered += '}';
    w.key("recovered").raw(recovered);
  }
  w.end_object();
  enqueue(w.release());
  op_done();
}

bool client::do_join(std::string rid, std::string table) {
  auto* s = node_.find_room(table);
  if (!s || table == room::plenary_id) {
    reply_error(rid, {error_code::not_found, "no table '" + table + "'"});
    return true;
  }
  if (hopping_) {  // a move in flight: this join follows it
    waiting_join_.emplace(std::move(rid), std::move(table));
    return false;
  }
  seat(*s, [this, rid = std::move(rid)](outcome o, std::string snap) {
    if (o) {
      reply_error(rid, *o);
    } else {
      auto w = reply_head(rid);
      w.key("snapshot").raw(snap).end_object();
      enqueue(w.release());
    }
    op_done();
  });
  return false;
}

void client::seat(room_slot& s, std::function<void(outcome, std::string)> done) {
  hopping_ = true;
  // Where this connection comes from, for the table's participation picture.
  std::string from = !table_.empty() ? table_
                     : was_seated_   ? std::string(table_picture::from_plenary)
                                     : std::string(table_picture::from_lobby);
  node_.on_home(s, [self = shared_from_this(), m = self_member(), said = said_,
                    from = std::move(from), done = std::move(done)](room& r) mutable {
    // Back on the client's worker with the outcome and the snapshot.
    auto finish = [self = std::move(self), done = std::move(done), id = r.id()](
                      outcome o, std::string snap) mutable {
      auto const wi = self->worker_index();
      self->node_.on_worker(wi, [self = std::move(self), o = std::move(o), snap = std::move(snap),
                                 id = std::move(id), done = std::move(done)]() mutable {
        self->hopping_ = false;
        if (self->closed_) {
          // on_closed ran before we knew of the join: leave what we joined.
          if (!o)
            self->node_.on_home(*self->node_.find_room(id),
                                [conn = self->serial_](room& t) { t.leave(conn, node::now_ms()); });
          return;
        }
        if (!o && self->table_ != id) {
          self->leave_table();  // the hop: the old table's stream ends here
          self->table_ = id;
          self->was_seated_ = true;
          self->worker_.rooms.try_emplace(id, table_slot).first->second.add(self.get());
        }
        done(std::move(o), std::move(snap));
        self->after_hop();
      });
    };
    // The snapshot is taken right after our join is applied: at its seq.
    r.after(r.join(m, node::now_ms(), std::move(said), std::move(from)),
            [&r, who = m.who, finish = std::move(finish)](outcome o) mutable {
              std::string snap;
              if (!o) {
                json_writer w;
                r.write_snapshot(w, &who);
                snap = w.release();
              }
              finish(std::move(o), std::move(snap));
            });
  });
}

void client::move_to(seat_order order) {
  if (closed_ || closing_) return;
  auto* s = node_.find_room(order.table);
  if (!s) return;  // the plenary knew it, this node not yet: cannot happen once created
  if (hopping_) {
    waiting_move_ = std::move(order);  // the latest order wins
    return;
  }
  seat(*s, [this, order = std::move(order)](outcome o, std::string snap) {
    json_writer w;
    w.begin_object().field("type", "moved").field("table", order.table).key("by");
    w.begin_object()
        .field("id", order.by.id)
        .field("name", order.by.name)
        .field("role", auth::to_string(order.by.who))
        .end_object();
    if (order.balanced) w.field("balance", true);
    if (o) {
      w.key("error")
          .begin_object()
          .field("code", protocol::to_string(o->code))
          .field("message", o->message)
          .end_object();
    } else {
      w.key("snapshot").raw(snap);
    }
    enqueue(w.end_object().release());
  });
}

bool client::do_move(std::string rid, protocol::move& op, std::int64_t now) {
  if (!who_.is_chair()) {
    reply_error(rid, {error_code::forbidden, "only the chair moves people"});
    return true;
  }
  // What the lobby knows now, for a clear answer at once; the table's log
  // decides again when the person joins (a table that filled meanwhile
  // refuses them there, and they hear it in `moved`).
  auto* s = node_.find_room(op.table);
  if (!s || op.table == room::plenary_id) {
    reply_error(rid, {error_code::not_found, "no table '" + op.table + "'"});
    return true;
  }
  if (!s->open.load(std::memory_order_relaxed)) {
    reply_error(rid,
                {error_code::forbidden, "table '" + op.table + "' is closed: reopen it first"});
    return true;
  }
  auto const seated = s->count.load(std::memory_order_relaxed);
  if (s->config.capacity > 0 && seated >= s->config.capacity) {
    reply_error(rid,
                {error_code::full, "table '" + op.table + "' is full (" + std::to_string(seated) +
                                       " of " + std::to_string(s->config.capacity) + ")"});
    return true;
  }
  return room_op(
      std::move(rid), node_.plenary(),
      [c = cmd::move{std::move(op.participant), std::move(op.name), std::move(op.table), {}}, now](
          room& r, member const& m) mutable { return r.move(m.who, std::move(c), now); });
}

bool client::do_balance(std::string rid, protocol::balance& op, std::int64_t now) {
  if (!who_.is_chair()) {
    reply_error(rid, {error_code::forbidden, "only the chair balances tables"});
    return true;
  }
  std::vector<room_slot*> slots;
  if (op.tables.empty()) {
    for (auto* s : node_.tables()) {
      if (s->open.load(std::memory_order_relaxed)) slots.push_back(s);
    }
  }
  for (auto const& id : op.tables) {
    auto* s = node_.find_room(id);
    if (!s || id == room::plenary_id) {
      reply_error(rid, {error_code::not_found, "no table '" + id + "'"});
      return true;
    }
    if (!s->open.load(std::memory_order_relaxed)) {
      reply_error(rid, {error_code::forbidden, "table '" + id + "' is closed: reopen it first"});
      return true;
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

bool client::do_networking(std::string rid, protocol::networking const& op, std::int64_t now) {
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

std::string client::alias_at(std::string const& room_id, bool anonymous) const {
  if (!anonymous) return {};
  // Stable per person and room, on every node (they share the secret), and
  // not linkable to the person without it.
  std::string data = "anonymous\n";
  data.append(node_.event().id).append("\n").append(room_id).append("\n").append(who_.id);
  return "anon-" + auth::keyed_digest(node_.secret(), data).substr(0, 16);
}

void client::recalled() {
  waiting_move_.reset();
  if (hopping_) {
    recalled_after_hop_ = true;
    return;
  }
  leave_table();
}

void client::after_hop() {
  if (std::exchange(recalled_after_hop_, false)) leave_table();
  if (waiting_join_) {
    auto [rid, table] = std::move(*waiting_join_);
    waiting_join_.reset();
    if (do_join(std::move(rid), std::move(table))) op_done();
  } else if (waiting_move_) {
    auto order = std::move(*waiting_move_);
    waiting_move_.reset();
    move_to(std::move(order));
  }
}

bool client::do_leave(std::string rid) {
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

void client::removed_from(std::string const& table) {
  if (table_ != table) return;  // hopped away meanwhile
  leave_table(false);           // the room took it off the table already
}

void client::leave_table(bool tell_room) {
  if (table_.empty()) return;
  auto it = worker_.rooms.find(table_);
  if (it != worker_.rooms.end()) it->second.remove(this);
  if (auto* s = node_.find_room(table_); s && tell_room) {
    node_.on_home(*s, [conn = serial_](room& r) { r.leave(conn, node::now_ms()); });
  }
  table_.clear();
}

}  // namespace roundtable
