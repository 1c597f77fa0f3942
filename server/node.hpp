// The node: one server process. It owns the worker threads (one io_context
// each), the rooms (each with a home worker fixed by a hash of its id), and the
// delivery of room events to the workers that have members.
//
// Threading contract (see DESIGN.md, "The path of a message"):
// - a connection lives on one worker and is touched only there;
// - a room is touched only on its home worker; operations reach it by post;
// - an event reaches each other worker with one post per batch, never one per
//   member; a worker then pushes the shared buffer into its local members'
//   send queues.
// Posts between two threads keep their order, so a joining member's snapshot
// (posted from the home worker after the join) arrives before event seq+1.
#pragma once

#include "domain/room.hpp"
#include "engine/engine.hpp"
#include "protocol/parse.hpp"
#include "server/address_cap.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/static_files.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace roundtable {

class client;

// The clients of one worker that are members of one room, or all of them.
// Removal is O(1): each client remembers its index (slot 0 for the plenary, 1
// for its table, 2 for the worker's list of all its clients).
class member_list {
 public:
  explicit member_list(int slot) : slot_(slot) {}
  void add(client* c);
  void remove(client* c);
  std::vector<client*> const& items() const noexcept { return items_; }

 private:
  int slot_;
  std::vector<client*> items_;
};

struct worker {
  // Asio makes an io_context's epoll instance on its first socket or timer. A
  // timer made here makes it at start: made later, when the process is out of
  // descriptors (EMFILE), it would throw inside a handler and end the process.
  explicit worker(std::uint32_t i) : index(i) { boost::asio::steady_timer early(ioc); }
  std::uint32_t index;
  // Worker-local state, touched only on this worker's thread.
  std::unordered_map<std::string, member_list> rooms;
  // Every connection of this worker: a pointer each (a hash set's node and
  // bucket cost an idle connection 40 bytes).
  member_list clients{2};
  worker_counters counters;
  // One parser per worker, not per connection: idle connections stay small.
  protocol::parser parser;
  // Clients with something queued since the last flush. Writes start at the
  // end of the loop turn, so the events of every delivery handled in that turn
  // leave together, one frame per client (uWebSockets calls this corking).
  std::vector<client*> dirty;
  std::vector<client*> flushing;
  bool flush_posted = false;
  bool flush_again = false;  // the posted flush has gone round once (see flush())
  void mark_dirty(client* c);
  void flush();
  // Send-queue buffers of clients with nothing queued. take_buffer() moves a
  // spare (or nothing) into an empty `b`; give_buffer() takes `b`'s memory
  // back, leaving it empty. A few hundred spares cover every connection
  // writing in one turn; past that, or past 1 MiB, a buffer is freed.
  void take_buffer(std::string& b);
  void give_buffer(std::string& b) noexcept;
  std::vector<std::string> spare_buffers;
  std::thread thread;
  // Last, so it is destroyed first: pending handlers own clients, whose
  // destructors still reach the state above.
  boost::asio::io_context ioc{1};
};

// A room and what other threads may read of it without a post.
struct room_slot {
  std::unique_ptr<room> r;
  std::uint32_t home = 0;
  table_config config;  // immutable copy: id, topic, moderator, capacity
  std::atomic<std::int64_t> count{0};
  std::atomic<bool> open{true};
  // At a glance (the chair's overview), set on the home thread after each
  // change: raised hands, a moderator seated, the running timer's end (0:
  // none), the summary (a room::summary_status).
  std::atomic<std::int64_t> hands{0};
  std::atomic<bool> moderated{false};
  std::atomic<std::int64_t> timer_ends_at{0};
  std::atomic<int> summary{0};
  std::atomic<bool> help{false};  // the table called the chair
  // Where in the room's log the figures above were read (home thread only):
  // from this node's replica, or a row another node shared while this node
  // let the replica go (server/glance.hpp). The newer wins.
  std::uint64_t glance_epoch = 0, glance_lsn = 0;
  // This node has connections in the room (set on the home thread): the
  // engine keeps the replica while it does.
  std::atomic<bool> here{false};
  // People seated per stakeholder group (room::mix), set on the home thread,
  // read by the lobby's writers: under the mutex, a map is no atomic. Under
  // it too, for the chair's `balance`: how many people are seated, and who
  // may be moved, the most recently seated first (room::people, movable).
  std::mutex mix_mutex;
  std::map<std::string, std::int64_t> mix;
  std::int64_t people = 0;
  std::vector<balance_person> movable;
  std::unique_ptr<boost::asio::steady_timer> timer;  // home thread only
  // The coalesced counts (polls, reactions): armed when the room has some to
  // tell and none is due, so at most one delivery per interval (home thread).
  std::unique_ptr<boost::asio::steady_timer> coalesce_timer;
  bool coalescing = false;
  std::unique_ptr<boost::asio::steady_timer> recall;  // the plenary's recall; home thread only
  std::unique_ptr<boost::asio::steady_timer> round;   // the plenary's rounds; home thread only
  // The row as the last `tables` event told it (the lobby timer's thread
  // only); -1: never sent. That event carries only the rows that differ.
  struct lobby_row {
    std::int64_t count = -1, hands = 0, timer_ends_at = 0;
    bool open = true, moderated = false;
    int summary = 0;
    bool help = false;
    std::map<std::string, std::int64_t> mix;
    bool operator==(lobby_row const&) const = default;
  };
  lobby_row lobby;
};

// The node is its engine's host (engine/engine.hpp): the engine reaches the
// rooms through on_home and deliver, whichever engine runs.
class node final : public engine_host {
 public:
  node(options opts, event_config event);
  ~node() override;
  node(node const&) = delete;
  node& operator=(node const&) = delete;

  options const& opts() const noexcept { return opts_; }
  event_config const& event() const noexcept { return event_; }
  metrics& stats() noexcept { return metrics_; }

  // Starts the worker threads; returns at once.
  void start();
  // Closes every client with 1001 (going away), lets their queues flush, then
  // stops the workers. Blocks until the threads have joined (at most ~5 s).
  void shutdown();

  std::size_t worker_count() const noexcept { return workers_.size(); }
  worker& worker_at(std::uint32_t i) noexcept { return *workers_[i]; }
  // The worker for the next accepted connection (round robin).
  worker& next_worker() noexcept;

  // Room lookup from any thread; null when there is no such room.
  room_slot* find_room(std::string_view id);
  room_slot& plenary() noexcept { return *plenary_; }
  // Tables in creation order (lobby order). Any thread.
  std::vector<room_slot*> tables();
  // Every room this node holds: the plenary, the tables, the group rooms.
  std::size_t room_count();
  // Creates a table at run time (chair, admin API; or decided on another
  // node). Any thread. A room the engine cannot load (its stored log is
  // damaged) is logged and left unopened, and every other room serves on:
  // `internal`, which open_table's `done` gets too.
  outcome create_table(table_config cfg);
  // Runs `then` on the plenary's home once this node has applied everything
  // the plenary's log held when asked: the tables created on any node by then
  // are known here (engine::catch_up).
  void after_plenary_caught_up(std::function<void()> then);
  // The chair's `create_table` and `POST /api/tables`, one path for both:
  // submits `table_created` to the plenary, whose apply refuses past
  // --max-tables (`full`) or an id in use; every node opens a table when it
  // applies it. `done` runs on the plenary's home with the outcome at apply,
  // or create_table's error when this node could not open the table.
  void open_table(table_config cfg, std::int64_t now_ms, std::function<void(outcome)> done);
  // The chair's `broadcast` and `POST /api/broadcast`: `done` as above.
  void announce(participant from, std::string text, std::int64_t now_ms,
                std::function<void(outcome)> done);

  // Runs `fn(room&)` on the room's home thread, then delivers what it emitted.
  // When `fn` returns a callable (typically a post of the reply to the
  // client's worker), it runs after the delivery posts: a joining member's
  // reply must follow the events it already holds in its snapshot.
  template <class F>
  void on_home(room_slot& s, F&& fn) {
    boost::asio::post(workers_[s.home]->ioc, [this, &s, fn = std::forward<F>(fn)]() mutable {
      if constexpr (std::is_void_v<decltype(fn(*s.r))>) {
        fn(*s.r);
        publish(s);
      } else {
        auto then = fn(*s.r);
        publish(s);
        then();
      }
    });
  }
  // engine_host: the same by the room's id (nothing for an unknown room).
  void on_home(std::string const& id, std::function<void(room&)> fn) override;
  // engine_host: opens a table another node created, unless it is open here.
  void table_found(table_config const& t) override;
  // engine_host: whether this node has connections in the room.
  bool has_members(std::string const& id) override;
  // engine_host: a table's lobby row from a node that applies its log.
  void glance_shared(std::string const& id, std::string_view row) override;
  // on_home once this node's replica of the room has applied what the room's
  // log held when asked (engine::catch_up): what reads a room without a
  // command (the report, the comments, an erasure's count) sees it as it is,
  // also a table whose replica this node had let go.
  template <class F>
  void on_current(room_slot& s, F fn) {
    engine_->catch_up(s.config.id,
                      [this, &s, fn = std::move(fn)]() mutable { on_home(s, std::move(fn)); });
  }
  // Runs `then` (on some room's home) once the plenary and every table here
  // have caught up as above: the chair's `balance` plans with every table.
  void after_all_caught_up(std::function<void()> then);
  // Runs `fn` on worker `w`.
  template <class F>
  void on_worker(std::uint32_t w, F&& fn) {
    boost::asio::post(workers_[w]->ioc, std::forward<F>(fn));
  }

  // Home thread: delivers the room's outbox to every worker with members and
  // refreshes the lobby counts.
  void publish(room_slot& s);
  // Closes every connection of participant `id` on this node (erasure):
  // 1008 with the reason "erased on request". Any thread.
  void close_participant(std::string const& id);
  // Home thread: (re)arms the room's countdown after a `timer` op (and the
  // plenary's recall).
  void arm_timer(room_slot& s);
  // How often at most derived counts go out: the `tables` lobby rows, and
  // per room the polls' counts and the reactions.
  static constexpr std::chrono::milliseconds coalesce_interval{250};

  // The `tables` lobby list with counts, written into `w` as an array: every
  // table, or with `changed_only` the rows that changed since the last call
  // with it (the lobby timer's thread only). Returns how many rows it wrote.
  std::size_t write_tables(protocol::json_writer& w, bool changed_only = false);
  // Marks the lobby as changed; a coalescing timer sends `tables` at most
  // every 250 ms.
  void tables_changed() noexcept { tables_dirty_.store(true, std::memory_order_relaxed); }

  static std::int64_t now_ms();
  std::uint64_t next_conn_serial() noexcept { return conn_serial_.fetch_add(1) + 1; }

  // Connection accounting per client address (limit: opts().max_connections_per_ip).
  // admit_address() returns the node's copy of `addr` (see address_cap::admit).
  std::string const* admit_address(std::string const& addr);
  void release_address(std::string const& addr);

  // The rooms' logs: the memory engine (with its store under --data-dir) or
  // the Redis engine (--redis), behind one interface.
  engine& rooms_engine() noexcept { return *engine_; }

  // Ready to serve: the engine is connected and has loaded every room.
  bool ready() const noexcept;
  bool stopping() const noexcept { return stopping_.load(std::memory_order_relaxed); }
  // The secret tokens are checked against (demo mode: generated at start).
  std::string const& secret() const noexcept { return secret_; }
  bool demo() const noexcept { return opts_.secret.empty(); }
  // The web client's files, read at start.
  static_files const& web_files() const noexcept { return web_files_; }

 private:
  // Creates a room, loaded from what the engine keeps of it; `restored`
  // (when given) says whether it had any.
  room_slot& add_room(table_config cfg, bool* restored = nullptr);
  // Why create_table could not open `id`, once; nothing when it did.
  outcome take_unopened(std::string const& id);
  // publish's parts, on the home thread, in its order.
  void deliver_outbox(room_slot& s);
  void update_glance(room_slot& s);
  bool update_mix(room_slot& s);
  void deliver_direct(room_slot& s);
  void remove_dropped(room_slot& s);
  void carry_out_orders(room_slot& s);
  std::uint32_t home_of(std::string_view id) const noexcept;
  void schedule_lobby();
  // Home thread: sends the room's coalesced counts once the interval is over.
  void arm_coalesce(room_slot& s);
  // Home thread: `b` to this node's members of the room that `to` accepts,
  // after what the room delivered before (one post per worker with members).
  // `to` null: every member. `via_plenary`: those `to` accepts among the
  // node's plenary members instead (the room's id is still what `to` gets).
  void deliver_to(room_slot& s, buffer b,
                  std::function<bool(participant const&, std::string const&)> to,
                  bool via_plenary = false);
  // The room's home thread: `timer` counts down to `at` (0: stops it), then
  // tells the room (room::*expired with `at` and the time) and publishes:
  // a room's timer, the plenary's recall and its networking rounds' deadlines.
  void arm_deadline(room_slot& s, std::unique_ptr<boost::asio::steady_timer>& timer,
                    std::int64_t at, void (room::*expired)(std::int64_t, std::int64_t));
  // Plenary's home thread: what the recall's end does on this node (its
  // connections leave their tables; the tables close).
  void recall_everyone();
  // Networking rounds (node_rounds.cpp), on the plenary's home thread: this
  // node's report of who is connected when a round gathers, and each group
  // room's side of a round (an ended round's rooms also emptied).
  void report_present(std::int64_t round);
  // Takes out of `moves` those into the ordered group rooms: each room posts
  // its members' moves once it has applied the round, so that no join reaches
  // it first (a post from its own thread can trail one from another thread).
  void order_groups(std::vector<room::group_order> orders, std::vector<room::move_order>& moves);
  // Seats this node's connections of the person a move order names.
  void seat_elsewhere(room::move_order order);

  options opts_;
  event_config event_;
  static_files web_files_;
  std::string secret_;
  metrics metrics_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::atomic<std::uint32_t> next_worker_{0};
  std::atomic<std::uint64_t> conn_serial_{0};

  std::mutex create_mutex_;  // create_table: one at a time
  // Tables the plenary's log created that this node could not open, and
  // why, until open_table's reply takes the error (under create_mutex_).
  std::map<std::string, error, std::less<>> unopened_;
  std::shared_mutex rooms_mutex_;
  std::map<std::string, std::unique_ptr<room_slot>, std::less<>> rooms_;
  std::vector<room_slot*> table_order_;
  room_slot* plenary_ = nullptr;

  std::atomic<bool> tables_dirty_{false};
  std::unique_ptr<boost::asio::steady_timer> lobby_timer_;
  std::atomic<bool> stopping_{false};

  address_cap per_address_;

  // Declared last: rooms hold a pointer to it, workers are joined before it
  // goes (the memory engine's store commits what is queued as it goes).
  std::unique_ptr<engine> engine_;
};

}  // namespace roundtable
