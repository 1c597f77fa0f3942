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
//   hold its log entry, so a failover keeps every op that was answered ok;
// - a node applies a table's log only while it uses the table (its members
//   there, a submit or read barrier within replica_linger): it lets the
//   replica go (unsubscribes) otherwise and loads its tail again when needed.
//   The nodes that hold a table publish its changed lobby row on the event's
//   glance channel for the nodes that do not.
// Rooms are sharded over several Redis instances by a stable hash of the room
// id. All Redis I/O runs on the engine's own thread; rooms stay on their home
// threads (the host's), and each side reaches the other by post.
#pragma once

#include "engine/engine.hpp"
#include "engine/redis/sentinel.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roundtable {

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

class redis_engine final : public engine {
 public:
  // Checks every URL of s.redis (a host that does not resolve would leave the
  // node retrying forever, never ready); throws std::invalid_argument.
  redis_engine(engine_host& host, engine_settings s);
  ~redis_engine() override;

  // Connects, discovers tables created at run time, subscribes and loads
  // every room; ready when all of that is done.
  void start() override;
  // Lets the last presence changes reach Redis, then closes the links.
  void stop() override;
  bool ready() const noexcept override;
  std::vector<engine_gauge> gauges() const override;

  // A new room with a new epoch: Redis's epoch, snapshot and tail replace
  // them once add_room has loaded it.
  made_room make_room(table_config const& cfg, std::function<void(room&)> const& setup) override;
  void add_room(std::string const& id) override;
  // Tells the other nodes about a table created here, for nodes that start later.
  void table_created(table_config const& t, std::size_t order) override;
  // Demo mode with several nodes: the first node's secret, shared through
  // Redis (SET NX), so a token printed by one node works on all; `candidate`
  // (with a warning) when Redis does not answer within a second.
  std::string demo_secret(std::string candidate) override;
  bool shares_glance() const noexcept override;
  void glance_changed(std::string const& id, std::string row) override;

  // sequencer
  void submit(room& r, room_command c) override;
  void catch_up(std::string const& id, std::function<void()> then) override;
  std::string const& node_id() const noexcept override { return node_id_; }
  bool confirms() const noexcept override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string node_id_;
};

}  // namespace roundtable
