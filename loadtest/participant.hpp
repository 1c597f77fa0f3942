// One simulated participant: a WebSocket connection that says hello, joins a table,
// publishes timed messages on request, hops between tables, and checks every room event
// it receives (exactly once, gapless seq order within an epoch, from the snapshot on).
// Each participant lives on one loop thread and writes only that thread's counters.
#pragma once

#include "loadtest/histogram.hpp"
#include "loadtest/net.hpp"
#include "loadtest/wire.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>

namespace loadtest {

enum class protocol { roundtable, socketio };

// Counters of one loop thread. Written by that thread only; read by the driver thread
// for the progress line and the totals.
struct thread_stats {
  using counter = std::atomic<std::uint64_t>;
  counter ready{0};         // hello (and first join) done
  counter failed{0};        // never became ready
  counter closed{0};        // dropped after becoming ready, not by us
  counter sent{0};          // say requests written
  counter acked{0};         // say replies ok
  counter errors{0};        // error replies and unparsable server messages
  counter rate_limited{0};  // error replies with code rate_limited (also in errors)
  counter delivered{0};     // message events received in the current room
  counter losses{0};        // seq gaps (a late arrival turns one back into out_of_order)
  counter duplicates{0};
  counter out_of_order{0};
  counter epoch_changes{0};
  counter early{0};  // an event of the room being joined before its snapshot
  counter stray{0};  // an event of a room already left
  counter hops{0};
  counter own_seen{0};  // a sender saw its own message (broadcast round trip)
  histogram delivery;   // publish (scheduled time) -> receipt, every receiver
  histogram hop;        // join sent -> snapshot reply
  histogram rtt;        // say -> the sender sees its own message
  histogram ack;        // say written -> its reply
  object_reader reader;
};

struct participant_config {
  protocol proto = protocol::roundtable;
  std::string host;
  std::uint16_t port = 0;
  int thread = 0;
  std::int64_t tag = 0;  // unique per participant, embedded in its messages
  std::string table;     // empty: hello only, in the plenary
  std::size_t message_size = 0;
};

class participant : public ws_handler {
 public:
  participant(loop_pool& pool, thread_stats& stats, participant_config cfg);

  // Any thread: opens the connection on the participant's loop thread.
  void start();
  // Loop thread: publish at `rate` per second from `first` until `until`.
  void publish(double rate, clock::time_point first, clock::time_point until);
  // Loop thread: say once now in the current room.
  void say_now();
  // Loop thread: hop to `table` unless a hop is already pending.
  void hop_to(std::string const& table);
  // Loop thread: close the connection (not counted as a drop).
  void close();

  int thread() const { return cfg_.thread; }
  std::int64_t tag() const { return cfg_.tag; }
  bool is_ready() const { return ready_.load(std::memory_order_acquire); }
  // Read only after the loop threads stopped.
  std::string const& room() const { return room_; }
  std::int64_t epoch() const { return epoch_; }
  std::int64_t last_seq() const { return next_seq_ - 1; }
  bool hop_pending() const { return join_rid_ != -1; }

  void on_open() override;
  void on_text(std::string_view text) override;
  void on_closed(std::string_view why) override;

 private:
  void send_op(std::string json);
  void handle(server_object const& o);
  void on_reply(server_object const& o);
  void on_event(server_object const& o);
  void publish_tick(double period_ns, clock::time_point next, clock::time_point until);
  void send_say(std::int64_t stamp_ns);

  loop_pool& pool_;
  thread_stats& stats_;
  participant_config cfg_;
  std::shared_ptr<ws_link> link_;
  std::atomic<bool> ready_{false};
  bool closing_ = false;
  bool dead_ = false;
  std::int64_t next_rid_ = 1;
  std::int64_t hello_rid_ = -1;
  std::int64_t join_rid_ = -1;
  std::string joining_;  // table of the pending join
  clock::time_point join_sent_;
  bool joined_once_ = false;
  std::string room_;  // the table whose events are checked
  std::int64_t epoch_ = -1;
  std::int64_t next_seq_ = 0;
  std::set<std::int64_t> missing_;  // gaps that a late arrival may still fill
  // Says awaiting their reply, oldest first: rid and when it was written (ns).
  std::deque<std::pair<std::int64_t, std::int64_t>> says_;
};

}  // namespace loadtest
