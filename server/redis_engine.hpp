// The Redis engine: several roundtable-server nodes share one event through
// Redis. It is the rooms' sequencer and observer:
// - an op decided on any node is sequenced by one atomic Lua script that
//   increments the room's seq, appends to the room's stream (XADD, MAXLEN ~
//   the history size) and PUBLISHes it; every node applies the room's events
//   in seq order from its subscription, so every node's copy of the room (its
//   history window, presence, insights, hands, timer, summary) is the same;
// - a node that sees a gap fetches the missing range from the stream;
// - each room's epoch lives beside its stream; when Redis has lost it (a
//   restart without persistence) the script starts a new epoch and the
//   clients see it;
// - presence: each connection is in the room's roster hash and a sorted set
//   scored by expiry; nodes refresh their own every 5 s and reap expired ones
//   (a dead node's) with a `presence` left event;
// - the state (everything but the messages) is written to Redis after each
//   change, so a node that starts later, or restarts, catches up from it.
// Rooms are sharded over several Redis instances by a stable hash of the room
// id. All Redis I/O runs on the engine's own thread; rooms stay on their home
// workers and reach it by post.
#pragma once

#include "server/room.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roundtable {

class node;
struct room_slot;

struct redis_address {
  std::string host;
  int port = 6379;
};

// Parses "redis://HOST:PORT" (or "HOST:PORT"); throws std::invalid_argument.
redis_address parse_redis_url(std::string const& url);

// Demo mode with several nodes: the first node's generated secret, shared
// through Redis (SET NX), so a token printed by one node works on all.
// Blocking, at start only; nullopt when Redis does not answer within a second.
std::optional<std::string> shared_demo_secret(redis_address const& a, std::string const& event_id,
                                              std::string const& candidate);

class redis_engine final : public sequencer, public room_observer {
 public:
  redis_engine(node& n, std::vector<redis_address> shards, std::string node_id);
  ~redis_engine() override;

  // Connects, discovers tables created at run time, subscribes and loads
  // every room; the node is ready when all of that is done.
  void start();
  void stop();
  // A room the node just created (at start or at run time).
  void add_room(room_slot& s);
  bool ready() const noexcept;
  bool connected() const noexcept;
  // Tells the other nodes about a table created here, for nodes that start later.
  void table_created(table_config const& t);

  // sequencer
  void submit(room& r, event_draft d, std::uint64_t ticket) override;
  std::string const& node_id() const noexcept override { return node_id_; }

  // room_observer
  void on_event(std::string const&, std::uint64_t, history_entry const&) override {}
  void on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) override;
  void on_state(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                std::string const& state_json) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string node_id_;
};

}  // namespace roundtable
