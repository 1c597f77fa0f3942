// The engine: the rooms' ordered logs, one interface for the node whichever
// engine runs. It appends a room's commands to the room's log (`submit`, from
// the room's sequencer side), delivers the log's commands in order to every
// replica of the room that a node holds (through its host's `deliver`, on the
// room's home thread; a node may hold only the rooms it uses, and share their
// lobby rows with the others), loads a room from what it keeps (a snapshot
// plus the log's tail),
// keeps presence, names the node and says when it is ready; and it serves
// what the node needs at start and stop: the tables created at run time, the
// durable flush before a delivery, the erasure of an author's stored items,
// the demo secret. Two implementations (engine/memory_engine.hpp: one
// process, with or without a data dir; engine/redis_engine.hpp: nodes sharing
// Redis). A capability an engine lacks answers plainly (nothing stored,
// nothing to flush) so that no caller asks which engine runs.
//
// The engine reaches the rooms only through its host (the node; a test), so
// it can run without a whole server.
#pragma once

#include "domain/room.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace roundtable {

// Where the rooms live: the node, or a test's threads.
class engine_host {
 public:
  virtual ~engine_host() = default;
  // Runs `fn` on the home thread of the room `id`, then delivers what the
  // room emitted; nothing when there is no such room.
  virtual void on_home(std::string const& id, std::function<void(room&)> fn) = 0;
  // The room's home thread: the command at position `lsn` of the log of
  // epoch `epoch`, in log order (a test records it on its way).
  virtual void deliver(room& r, std::uint64_t epoch, std::uint64_t lsn, room_command const& c) {
    r.apply(lsn, epoch, c);
  }
  // A table that another node created at run time, found at start: the host
  // opens it unless it has it.
  virtual void table_found(table_config const& t) = 0;
  // Any thread: whether this node has connections in the room (seated or
  // joining). An engine that applies a room's log only where it has members
  // asks this before it lets the replica go.
  virtual bool has_members(std::string const& id) { return true; }
  // A room's lobby row as a node that applies its log wrote it (glance_row),
  // for a node that does not: the host takes it unless it holds newer. Any
  // thread.
  virtual void glance_shared(std::string const& id, std::string_view row) {}
};

// What an engine is made from (the node takes it from its options).
struct engine_settings {
  std::string event_id = "event";
  std::string node_id;             // empty: one is made up
  std::size_t history = 1000;      // events a room keeps in its window
  std::string data_dir;            // memory engine: its durable store, if any
  std::vector<std::string> redis;  // Redis engine: one URL per shard
  std::chrono::milliseconds presence_ttl{30'000};
  int wait_replicas = 0;  // Redis WAIT before an op is confirmed
  std::chrono::milliseconds wait_timeout{100};
  // Redis engine: a table's replica is let go this long after the node's last
  // member there left (0: every room is kept on every node).
  std::chrono::milliseconds replica_linger{30'000};
};

// A gauge or counter the engine adds to /metrics (roundtable_<name>).
struct engine_gauge {
  std::string name, help;
  std::uint64_t value = 0;
  bool counter = false;  // only ever grows (Prometheus type `counter`)
};

class engine : public sequencer {
 public:
  // A room made for the host, and whether it came back from what the engine
  // keeps (false: a new room, with a new epoch).
  struct made_room {
    std::unique_ptr<room> r;
    bool restored = false;
  };

  // Connects and loads (Redis); returns at once.
  virtual void start() {}
  // Stops delivering: after it, nothing reaches the host. Idempotent.
  virtual void stop() {}
  // Ready to serve: connected and every room loaded.
  virtual bool ready() const noexcept { return true; }
  virtual std::vector<engine_gauge> gauges() const { return {}; }

  // Makes the room `cfg` names, loaded from what the engine keeps of it;
  // `setup` runs on the new room before anything is loaded into it. Any
  // thread, before the room is used.
  virtual made_room make_room(table_config const& cfg, std::function<void(room&)> const& setup) = 0;
  // The host has the room (from make_room) where on_home reaches it.
  virtual void add_room(std::string const& id) {}
  // A table opened at run time here (its `order` in the lobby), kept for a
  // restart or for nodes that start later.
  virtual void table_created(table_config const& t, std::size_t order) {}
  // Tables opened at run time that the engine kept, in creation order.
  virtual std::vector<table_config> created_tables() { return {}; }

  // A read barrier: runs `then` once the replica of room `id` here has
  // applied every command the log held when asked (on the room's home; in one
  // process, where a command is applied as it is appended, at once on the
  // caller's thread). A table created on another node a moment ago is then
  // known here; a room whose replica this node let go is loaded again first.
  virtual void catch_up(std::string const& id, std::function<void()> then) { then(); }

  // Whether glance_changed wants the rows: only when some node may not apply a
  // room's log. The host then writes a row per change (not otherwise: a
  // join or a leave at every hop would pay for a row nobody reads).
  virtual bool shares_glance() const noexcept { return false; }
  // The room's lobby row changed on this replica (home thread): an engine
  // whose nodes do not all apply every room's log passes it on to the nodes
  // that do not (engine_host::glance_shared), coalesced.
  virtual void glance_changed(std::string const& id, std::string row) {}

  // The room's home thread, before a delivery: what anyone is about to see is
  // durable first (a group commit shared by the threads that wait here).
  virtual void flush() {}
  // Whether the engine keeps every event beyond the rooms' windows (an
  // archive); the two below read and erase it.
  virtual bool stores_archive() const noexcept { return false; }
  // A room's stored events of `epoch` in order, without deleted items.
  virtual std::vector<std::string> archive(std::string const& room, std::uint64_t epoch) {
    return {};
  }
  // An erasure's first step, before any room erases the author: the names
  // they went by in what the engine keeps, for erase_author. The rooms' erase
  // commands blank that name in the events they hold, so it must be read
  // before. Blocking (disk): never on a room's home thread.
  virtual std::set<std::string> erasure_names(std::string const& author) { return {}; }
  // Rewrites the author's stored messages and insights as tombstones, beyond
  // the rooms' windows, and their `names` (from erasure_names) in others'
  // stored commands; returns how many items. Blocking (disk).
  virtual std::size_t erase_author(std::string const& author, std::set<std::string> const& names) {
    return 0;
  }
  // Demo mode: the secret tokens are signed with, `candidate` when the engine
  // keeps none (kept with the data, or shared by the nodes). Blocking, at start.
  virtual std::string demo_secret(std::string candidate) { return candidate; }
};

// A new epoch: distinct across restarts without persistence (time-based, plus
// randomness so two rooms created in the same millisecond still differ),
// within 2^53 so that JavaScript clients hold it exactly.
std::uint64_t new_epoch();

// The engine the settings name: Redis with URLs, else memory (durable with a
// data dir). Throws std::invalid_argument with a one-line reason.
std::unique_ptr<engine> make_engine(engine_host& host, engine_settings s);

}  // namespace roundtable
