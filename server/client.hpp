// One connected participant, independent of the transport: it parses each
// message, applies the per-connection rate limit, checks what it can locally
// (hello first, membership), sends the op to the room's home worker, and owns
// the bounded send queue. The WebSocket session (net.cpp) derives from it and
// supplies the three transport hooks.
//
// Ops apply in the order they were read and their replies leave in that
// order. Ops that only wait for a room's answer (say, hand, vote, ...) are
// pipelined: the transport reads on while up to `max_pipelined` of them are
// in flight, and their replies wait in order in `replies_` (a publisher's
// throughput is not capped by its round trip). Any other op (hello, join,
// leave, summary, ...) waits until those are answered, and the transport
// reads on only once it is. Lives on one worker; every cross-thread handler
// holds a shared_ptr, so the client lives while it has work pending.
#pragma once

#include "domain/participant.hpp"
#include "protocol/command.hpp"
#include "protocol/json_writer.hpp"
#include "server/node.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roundtable {

class client : public std::enable_shared_from_this<client> {
 public:
  // `address`: the client address as the node counts it (admit_address()),
  // given back when the connection closes.
  client(node& n, worker& w, std::string const* address);
  virtual ~client();
  client(client const&) = delete;
  client& operator=(client const&) = delete;

  // Handles one text message. Returns true when the op completed at once (read
  // the next message); false when an answer will come later through op_done().
  bool on_message(std::string_view text);
  // Replies in flight (or waiting for an earlier one) beyond which the
  // transport stops reading: bounds what one client can have queued on rooms.
  static constexpr std::size_t max_pipelined = 32;
  // Called by the transport when the connection is gone (any reason). Removes
  // the client from its worker and its rooms; safe to call more than once.
  void on_closed();

  // Appends one object to the send queue: a contiguous buffer where queued
  // objects are joined by '\n' and leave as one WebSocket message per write
  // (copying ~200 bytes costs less than a shared buffer's reference count
  // and a gather entry per object). Over the queue's byte bound the
  // connection is closed with 1008 (slow consumer) and the queue is freed.
  // `published_us` (steady clock) is when the room published the event, for
  // the publish-to-write latency histogram; 0 for replies.
  void enqueue(std::string_view bytes, std::int64_t published_us = 0);
  void enqueue(buffer const& b, std::int64_t published_us = 0) { enqueue(*b, published_us); }

  std::uint64_t serial() const noexcept { return serial_; }
  std::uint32_t worker_index() const noexcept { return worker_.index; }
  participant const& who() const noexcept { return who_; }
  // The table this connection is at (empty: none); its worker thread only.
  std::string const& table() const noexcept { return table_; }
  // Local member-list bookkeeping (see member_list).
  std::uint32_t slots_[3] = {0, 0, 0};

  // The worker's end-of-turn flush: starts the write of what was queued.
  void flushed() {
    dirty_ = false;
    if (!closed_) start_write();
  }
  // After a write completed: what was queued meanwhile waits for the end of
  // the turn like any other output, so that the events still being delivered
  // in this turn leave with it (writing at once sent a message per write
  // completion, a few events each).
  void write_later() {
    if (dirty_ || queue_.empty()) return;
    dirty_ = true;
    worker_.mark_dirty(this);
  }
  // Writes now, without waiting for the end of the turn: a reply must leave
  // before the transport reads on (the next frame may fail the connection).
  void flush_now() {
    if (!dirty_) return;
    std::erase(worker_.dirty, this);
    flushed();
  }

  // The table's moderator removed this connection from `table`: its stream
  // there ends (the room already took it off the roster).
  void removed_from(std::string const& table);
  // The chair moved this participant to `table` (by `balance`, when
  // `balanced`: their `moved` says so, which tells them why): the connection
  // hops there (after a hop of its own still in flight) and gets `moved` with
  // the table's snapshot, or with the error when the table's log refused it.
  struct seat_order {
    std::string table;
    participant by;
    bool balanced = false;
  };
  void move_to(seat_order order);
  // The chair's recall ended: the connection leaves its table (after a hop
  // in flight), and no move waiting for one is made.
  void recalled();

  // Closes with `code` (e.g. 1001 at shutdown); the transport flushes first.
  void close(unsigned short code, std::string_view reason);
  // For a transport without keep-alive of its own: called on the worker
  // every half idle timeout by its sweep (net.cpp).
  virtual void keep_alive_tick() {}

 protected:
  // Transport hooks, called on the owning worker.
  virtual void start_write() = 0;  // the queue became non-empty
  virtual void resume_read() = 0;  // the pending op completed
  virtual void close_transport(unsigned short code, std::string_view reason) = 0;

  // What the transport writes: the queued objects, and when the room
  // published the oldest event among them (0: replies only). The transport
  // keeps it while the write is out, so an idle client holds none of it.
  struct outgoing {
    std::string bytes;
    std::int64_t published_us = 0;
  };
  // For the transport's writer: moves everything queued into `out`, which
  // must be empty (given back by written()).
  void take_queue(outgoing& out) {
    out.published_us = std::exchange(oldest_published_us_, 0);
    out.bytes.swap(queue_);
  }
  // The transport finished writing `out` (from take_queue()); its buffer goes
  // back to the worker's spares and `out` is left empty.
  void written(outgoing& out) noexcept;
  bool queue_empty() const noexcept { return queue_.empty(); }
  bool closing() const noexcept { return closing_; }
  worker& worker_;
  node& node_;

 private:
  member self_member() const { return member{serial_, worker_.index, who_}; }
  bool rate_ok();
  static std::string ok_json(std::string const& rid);
  std::string error_json(std::string const& rid, error const& e);  // counts the error
  void reply_ok(std::string const& rid);
  void reply_error(std::string const& rid, error const& e);
  // Queues a reply after those of the pipelined ops still in flight.
  void send_reply(std::string json);
  // Completes an op that went to another thread.
  void op_done();
  // Pipelining: `slot` is the reply's place (see replies_); fills it, sends
  // the answered prefix, then reads on or runs the parked op.
  void pipelined_done(std::uint64_t slot, std::string json);
  // After an op was dispatched: whether reading goes on now, or pauses until
  // the replies in flight drop below max_pipelined.
  bool may_read_on();
  // Ops that may pass while others are in flight: they touch nothing of the
  // client's own state (table_, who_) and reply through room_op. Any other op
  // is parked until the replies in flight are sent.
  static bool pipelinable(protocol::command const& cmd);

  // Hello first, then each op to its handler (on_op, client_ops.cpp). An op
  // that names a room this node does not know waits once for the plenary's
  // read barrier (`caught_up` false): a table created on another node a
  // moment ago is known here after it.
  bool dispatch(protocol::command& cmd, bool caught_up = false);
  // Whether `cmd` names a table or room this node does not know (yet).
  bool names_unknown_room(protocol::command const& cmd) const;
  // One handler per op: returns true when the op completed at once (read
  // on), false when its answer comes later through op_done(). `now` is the
  // time stamped on the op's command.
  bool on_op(std::string rid, protocol::hello& h, std::int64_t now);  // client_hello.cpp
  bool on_op(std::string rid, protocol::ping& op, std::int64_t now);
  bool on_op(std::string rid, protocol::join& op, std::int64_t now);
  bool on_op(std::string rid, protocol::leave& op, std::int64_t now);
  bool on_op(std::string rid, protocol::say& op, std::int64_t now);
  bool on_op(std::string rid, protocol::hand& op, std::int64_t now);
  bool on_op(std::string rid, protocol::speaker& op, std::int64_t now);
  bool on_op(std::string rid, protocol::insight& op, std::int64_t now);
  bool on_op(std::string rid, protocol::vote& op, std::int64_t now);
  bool on_op(std::string rid, protocol::del& op, std::int64_t now);
  bool on_op(std::string rid, protocol::timer& op, std::int64_t now);
  bool on_op(std::string rid, protocol::summary& op, std::int64_t now);
  bool on_op(std::string rid, protocol::broadcast& op, std::int64_t now);
  bool on_op(std::string rid, protocol::phase& op, std::int64_t now);
  bool on_op(std::string rid, protocol::table& op, std::int64_t now);
  bool on_op(std::string rid, protocol::create_table& op, std::int64_t now);
  bool on_op(std::string rid, protocol::outcome& op, std::int64_t now);
  bool on_op(std::string rid, protocol::hide& op, std::int64_t now);
  bool on_op(std::string rid, protocol::restore& op, std::int64_t now);
  bool on_op(std::string rid, protocol::mute& op, std::int64_t now);
  bool on_op(std::string rid, protocol::remove_from_table& op, std::int64_t now);
  bool on_op(std::string rid, protocol::moderation& op, std::int64_t now);
  bool on_op(std::string rid, protocol::approve& op, std::int64_t now);
  bool on_op(std::string rid, protocol::reject& op, std::int64_t now);
  bool on_op(std::string rid, protocol::poll& op, std::int64_t now);
  bool on_op(std::string rid, protocol::poll_vote& op, std::int64_t now);
  bool on_op(std::string rid, protocol::poll_close& op, std::int64_t now);
  bool on_op(std::string rid, protocol::react& op, std::int64_t now);
  bool on_op(std::string rid, protocol::help& op, std::int64_t now);
  // The chair's `move`: checked against the lobby here, then ordered in the
  // plenary's log, which every node applies (node::publish seats the person).
  bool on_op(std::string rid, protocol::move& op, std::int64_t now);
  bool on_op(std::string rid, protocol::recall& op, std::int64_t now);
  bool on_op(std::string rid, protocol::give_role& op, std::int64_t now);
  // The chair's `balance`: planned here from this node's tables (open ones,
  // or those named), then ordered in the plenary's log as one command; the
  // reply lists the moves.
  bool on_op(std::string rid, protocol::balance& op, std::int64_t now);
  // Networking rounds: start, stop (the chair) or opt out (anyone).
  bool on_op(std::string rid, protocol::networking& op, std::int64_t now);
  // What hide and restore, mute and removal, approve and reject share.
  bool hide_item(std::string rid, std::string const& room_id, std::string item, bool on,
                 std::int64_t now);
  bool sanction(std::string rid, protocol::mute const& op, bool mute, std::int64_t now);
  bool review(std::string rid, std::string const& room_id, std::string item, bool approve,
              std::int64_t now);

  // The hello's stages (client_hello.cpp): its state travels from one to the next.
  struct hello_state;
  // Sets who_ from the hello's token (or a demo guest); the error otherwise.
  outcome identify(protocol::hello const& h);
  // On the plenary's home: membership, replay and snapshot; returns the post
  // of the rest back to the client's worker.
  static std::function<void()> hello_at_plenary(std::shared_ptr<client> self, room& r,
                                                member const& m, hello_state st);
  // Back on the worker: the plenary's stream starts; then a resumed table, if any.
  void hello_in_plenary(hello_state st, std::vector<buffer> replay, outcome refused);
  // The first table named in `resume` that this node knows: rejoined on its home.
  void hello_resume_table(room_slot& slot, protocol::resume_point rp, hello_state st);
  void hello_at_table(hello_state st, std::vector<buffer> replay, std::string room_id);
  void finish_hello(hello_state st);

  bool do_join(std::string rid, std::string table);
  // The one hop, for `join` and for a move: joins `table` (leaving the table
  // held) and runs `done` on this worker with the outcome and the snapshot,
  // unless the connection closed meanwhile. One hop at a time per connection.
  void seat(room_slot& s, std::function<void(outcome, std::string)> done);
  // After a hop: runs the join or the move that waited for it.
  void after_hop();
  // The pseudonym this participant's anonymous items carry in `room_id`;
  // empty when `anonymous` is false.
  std::string alias_at(std::string const& room_id, bool anonymous) const;
  // Stops the table's stream here and (unless told not to) leaves the room.
  void leave_table(bool tell_room = true);
  // Starts a reply object: {"type":"reply","rid":...,"ok":true
  static protocol::json_writer reply_head(std::string const& rid);
  // Replies with the error; returns true (the op completed at once).
  bool refuse(std::string const& rid, error_code code, std::string message);
  // The reply to an op that ran on a room's home: posted back to this
  // client's worker with the outcome, then the next message is read. A
  // successful reply carries `key` with the JSON `value` when a key is given.
  static std::function<void(outcome)> replier(std::shared_ptr<client> self, std::string rid,
                                              std::string key = {}, std::string value = {});
  // Runs `fn(room&) -> outcome` on the room's home and replies with the
  // result in the op's place among the pipelined replies; returns true (read on).
  template <class F>
  bool room_op(std::string rid, room_slot& s, F&& fn);
  // The room an op names: null (after replying with the error) when it is
  // not a member's (member_room), not the sender's table (table_room), or
  // unknown (any_room).
  room_slot* member_room(std::string const& rid, std::string const& id);
  room_slot* table_room(std::string const& rid);
  room_slot* any_room(std::string const& rid, std::string const& id);
  // The table a moderator's op is about: named, else where the sender sits,
  // else the one it moderates; who may decide is checked at apply.
  room_slot* decided_table(std::string const& rid, std::string const& named);
  // The room of a poll or reaction op: the one named, else the sender's
  // table, else the plenary.
  std::string default_room(std::string const& named) const;

  // What the replays of a resuming hello may take together: a quarter of the
  // send-queue bound, so that they, two snapshots and the lobby always fit.
  // Past it a room answers recovered: false with its snapshot. `replayed`:
  // what this hello's replays took so far.
  std::size_t replay_budget(std::size_t replayed) const noexcept {
    auto const total = node_.opts().send_queue_bytes / 4;
    return total - std::min(total, replayed);
  }

  // The places of the plenary and the table in a worker's member lists.
  static constexpr int plenary_slot = 0;
  static constexpr int table_slot = 1;

  std::string const* address_;
  std::uint64_t serial_;
  participant who_;
  // What the participant said of themselves at hello; none when nothing (on
  // the heap, like the waits below: an idle connection is kept small).
  std::unique_ptr<profile> said_;
  profile said_or_none() const { return said_ ? *said_ : profile{}; }
  bool hello_done_ = false;
  bool closed_ = false;
  bool closing_ = false;
  bool was_seated_ = false;  // at a table before: a join now comes from the plenary
  // A hop (join, move, hello's re-seat) is in flight; a `join` read meanwhile
  // and the latest move wait for it, so that table_ follows the room's log.
  bool hopping_ = false;
  bool recalled_after_hop_ = false;
  // Beside the flags above, so that they fill one word together.
  bool read_paused_ = false;  // at max_pipelined: resume once one is sent
  bool dirty_ = false;        // in worker_.dirty
  std::string table_;         // current table; empty: plenary only
  // What waits for the hop in flight: a `join` read meanwhile (rid, table)
  // and the latest move. Made when one has to wait, freed when none does.
  struct hop_waits {
    std::optional<std::pair<std::string, std::string>> join;
    std::optional<seat_order> move;
  };
  std::unique_ptr<hop_waits> waiting_;
  hop_waits& waiting() {
    if (!waiting_) waiting_ = std::make_unique<hop_waits>();
    return *waiting_;
  }

  // Replies in read order while pipelined ops are in flight: nullopt until
  // answered. The first one's number (counting every reply queued here) is
  // replies_base_.
  std::vector<std::optional<std::string>> replies_;
  std::uint64_t replies_base_ = 0;
  // An op read while pipelined ones were in flight that must wait for them.
  std::unique_ptr<protocol::command> parked_;

  // Objects joined by '\n'. A buffer is borrowed from the worker's spares
  // when the first object is queued and given back once written, so an idle
  // connection holds none and a busy one allocates none per write.
  std::string queue_;
  std::size_t queued_bytes_ = 0;
  std::int64_t oldest_published_us_ = 0;  // of the events in queue_

  double tokens_;
  std::int64_t last_refill_us_ = 0;
  unsigned refused_in_row_ = 0;
};

}  // namespace roundtable
