// The Redis engine: several roundtable-server nodes share one event through
// Redis. It is the rooms' log (their sequencer):
// - a command submitted on any node gets its place in the room's log from one
//   atomic Lua script that increments the room's log position, appends the
//   command to the room's stream (XADD, MAXLEN ~ ten times the history) and
//   PUBLISHes it; every node applies the room's commands in log order from its
//   subscription with the room's one apply function, so every node's replica
//   of the room (history window, seqs, presence, insights, hands, timer,
//   summary) is the same, and the submitting node answers its client;
// - a node that sees a gap fetches the missing range from the stream;
// - each room's epoch lives beside its stream; when Redis has lost it (a
//   restart without persistence) the script starts a new epoch and the
//   clients see it;
// - presence: each connection that joined is in a sorted set scored by
//   expiry; nodes refresh their own every 5 s and reap expired ones (a dead
//   node's) with a `leave` command;
// - snapshots: every so many log positions, the node whose command landed
//   there writes its replica's state, so a node that starts later, or
//   restarts, loads the snapshot and applies the log's tail after it;
// - behind Redis Sentinel, a failover drops the links; they reconnect to the
//   master the sentinels name, and every room loads again as after a restart;
// - with wait_replicas, an op's reply waits until WAIT says that many replicas
//   hold its log entry, so a failover keeps every op that was answered ok.
// Rooms are sharded over several Redis instances by a stable hash of the room
// id. All Redis I/O runs on the engine's own thread; rooms stay on their home
// workers and reach it by post.
#pragma once

#include "server/redis/sentinel.hpp"
#include "server/room.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roundtable {

class node;
struct room_slot;

// One Redis shard: a fixed address, or (sentinel set) whichever server those
// sentinels name master at each connection attempt.
struct redis_address {
  std::string host;
  int port = 6379;
  std::optional<redis::sentinel_group> sentinel;
};

// Parses "redis://HOST:PORT" (or "HOST:PORT") or
// "sentinel://HOST:PORT[,HOST:PORT...]/MASTER"; throws std::invalid_argument.
redis_address parse_redis_url(std::string const& url);

// Demo mode with several nodes: the first node's generated secret, shared
// through Redis (SET NX), so a token printed by one node works on all.
// Blocking, at start only; nullopt when Redis does not answer within a second.
std::optional<std::string> shared_demo_secret(redis_address const& a, std::string const& event_id,
                                              std::string const& candidate);

class redis_engine final : public sequencer {
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
  void submit(room& r, room_command c) override;
  std::string const& node_id() const noexcept override { return node_id_; }
  bool confirms() const noexcept override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string node_id_;
};

}  // namespace roundtable
