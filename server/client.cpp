// A connection's plumbing: the rate limit, the bounded send queue, pipelined
// replies in read order, the dispatch of each op to its handler (hello in
// client_hello.cpp, the others in client_ops.cpp), and the hop between tables
// (join, the chair's moves, leaving).
#include "server/client.hpp"

#include "protocol/json_writer.hpp"
#include "server/auth/digest.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace roundtable {

using protocol::json_writer;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

client::client(node& n, worker& w, std::string const* address)
    : worker_(w),
      node_(n),
      address_(address),
      serial_(n.next_conn_serial()),
      tokens_(n.opts().rate_burst) {
  worker_.clients.add(this);
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
  worker_.clients.remove(this);
  worker_.counters.connections.fetch_sub(1, std::memory_order_relaxed);
  node_.release_address(*address_);
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

void client::written(outgoing& out) noexcept {
  // Each object counted its separator in enqueue(): the first of a write has none.
  queued_bytes_ -= std::min(queued_bytes_, out.bytes.size() + 1);
  worker_.give_buffer(out.bytes);
  if (out.published_us != 0) {
    node_.stats().publish_to_write.record(static_cast<std::uint64_t>(now_us() - out.published_us));
    out.published_us = 0;
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

json_writer client::reply_head(std::string const& rid) {
  json_writer w;
  w.begin_object().field("type", "reply");
  if (!rid.empty()) w.key("rid").raw(rid);
  w.field("ok", true);
  return w;
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

bool client::refuse(std::string const& rid, error_code code, std::string message) {
  reply_error(rid, {code, std::move(message)});
  return true;
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
  return dispatch(cmd) && may_read_on();
}

bool client::may_read_on() {
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

room_slot* client::any_room(std::string const& rid, std::string const& id) {
  auto* s = node_.find_room(id);
  if (!s) reply_error(rid, {error_code::not_found, "no room '" + id + "'"});
  return s;
}

room_slot* client::decided_table(std::string const& rid, std::string const& named) {
  auto const& table = !named.empty() ? named : !table_.empty() ? table_ : who_.moderates;
  if (table.empty()) {
    refuse(rid, error_code::forbidden, "join a table first");
    return nullptr;
  }
  return any_room(rid, table);
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

bool client::do_join(std::string rid, std::string table) {
  auto* s = node_.find_room(table);
  if (!s || table == room::plenary_id) {
    reply_error(rid, {error_code::not_found, "no table '" + table + "'"});
    return true;
  }
  if (hopping_) {  // a move in flight: this join follows it
    waiting().join.emplace(std::move(rid), std::move(table));
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
  node_.on_home(s, [self = shared_from_this(), m = self_member(), said = said_or_none(),
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
    waiting().move = std::move(order);  // the latest order wins
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

std::string client::alias_at(std::string const& room_id, bool anonymous) const {
  if (!anonymous) return {};
  // Stable per person and room, on every node (they share the secret), and
  // not linkable to the person without it.
  std::string data = "anonymous\n";
  data.append(node_.event().id).append("\n").append(room_id).append("\n").append(who_.id);
  return "anon-" + auth::keyed_digest(node_.secret(), data).substr(0, 16);
}

void client::recalled() {
  if (waiting_) waiting_->move.reset();
  if (hopping_) {
    recalled_after_hop_ = true;
    return;
  }
  leave_table();
}

void client::after_hop() {
  if (std::exchange(recalled_after_hop_, false)) leave_table();
  if (!waiting_) return;
  // The join first; a move that waited too follows once that hop is done.
  if (auto join = std::exchange(waiting_->join, std::nullopt)) {
    if (!waiting_->move) waiting_.reset();
    if (do_join(std::move(join->first), std::move(join->second))) op_done();
  } else if (auto move = std::exchange(waiting_->move, std::nullopt)) {
    waiting_.reset();
    move_to(std::move(*move));
  } else {
    waiting_.reset();
  }
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
