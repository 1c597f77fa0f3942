// Redis engine: Lua sequencing, pub/sub fan-in, catch-up, presence expiry.
#include "engine/redis_engine.hpp"

#include "engine/redis/client.hpp"
#include "protocol/json_writer.hpp"
#include "server/config.hpp"
#include "server/hash.hpp"
#include "server/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <hiredis/hiredis.h>

#include <netdb.h>
#include <sys/socket.h>

#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

namespace roundtable {

namespace asio = boost::asio;
using redis::reply;

redis_address parse_redis_url(std::string const& url) {
  if (url.starts_with("sentinel://")) return {"", 0, redis::parse_sentinel_url(url)};
  std::string rest = url;
  if (rest.rfind("redis://", 0) == 0) rest = rest.substr(8);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  redis_address a;
  auto const colon = rest.rfind(':');
  a.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (colon != std::string::npos) {
    char* end = nullptr;
    long const p = std::strtol(rest.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535)
      throw std::invalid_argument("bad Redis port in " + url);
    a.port = static_cast<int>(p);
  }
  if (a.host.empty()) throw std::invalid_argument("no Redis host in " + url);
  if (a.host == "localhost") a.host = "127.0.0.1";  // hiredis 0.14 resolves synchronously
  return a;
}

namespace {

// The demo secret shared through Redis: blocking, at start only; nullopt when
// Redis does not answer within a second.
std::optional<std::string> shared_demo_secret(redis_address const& a, std::string const& event_id,
                                              std::string const& candidate) {
  redis::endpoint at{a.host, a.port};
  if (a.sentinel) {
    auto group = *a.sentinel;
    auto master = redis::ask_sentinels(group, std::chrono::seconds(1));
    if (!master) return std::nullopt;
    at = *master;
  }
  timeval const timeout{1, 0};
  redisContext* c = redisConnectWithTimeout(at.host.c_str(), at.port, timeout);
  if (c == nullptr) return std::nullopt;
  std::optional<std::string> out;
  if (c->err == 0) {
    redisSetTimeout(c, timeout);
    auto const key = "rt:{" + event_id + "}:demo_secret";
    if (auto* r = static_cast<redisReply*>(redisCommand(c, "SET %b %b NX", key.data(), key.size(),
                                                        candidate.data(), candidate.size()))) {
      freeReplyObject(r);
    }
    if (auto* r = static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size()))) {
      if (r->type == REDIS_REPLY_STRING) out = std::string(r->str, r->len);
      freeReplyObject(r);
    }
  }
  redisFree(c);
  return out;
}

// A --redis URL that names a reachable kind of address: a host that does not
// resolve (Redis's, or any sentinel's) would otherwise leave the node retrying
// forever, never ready.
redis_address checked_redis_address(std::string const& url) {
  redis_address a;
  try {
    a = parse_redis_url(url);
  } catch (std::exception const& e) {
    throw std::invalid_argument("--redis " + url + ": " + e.what());
  }
  std::vector<std::string> hosts{a.host};
  if (a.sentinel) {
    hosts.clear();
    for (auto const& s : a.sentinel->sentinels) hosts.push_back(s.host);
  }
  for (auto const& host : hosts) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int const rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (found) freeaddrinfo(found);
    if (rc != 0) {
      throw std::invalid_argument("--redis " + url + ": cannot resolve host '" + host +
                                  "': " + gai_strerror(rc));
    }
  }
  return a;
}

// One script for every write, so each is atomic: ARGV[1] is the mode.
//   init:   the room's epoch (created if Redis has none) and log position
//   append: give one command the next log position (and keep presence)
//   reap:   append a `leave` for every connection whose presence expired
// KEYS: 1 log position, 2 epoch, 3 stream, 4 presence (zset)
// ARGV: 1 mode, 2 candidate epoch, 3 stream maxlen, 4 channel, 5 command,
//       6 presence change ('join', 'leave' or ''), 7 connection key,
//       8 now (ms), 9 expiry (ms)
// The reaper's command is written here in room_command's JSON shape.
constexpr char const* lua_source = R"lua(
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
end
local function append(cmd)
  local lsn = redis.call('INCR', KEYS[1])
  local msg = lsn .. '\n' .. epoch .. '\n' .. cmd
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], lsn .. '-0', 'm', msg)
  redis.call('PUBLISH', ARGV[4], msg)
  return lsn
end
local mode = ARGV[1]
if mode == 'init' then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), epoch}
end
if mode == 'reap' then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[8])
  for _, conn in ipairs(gone) do
    redis.call('ZREM', KEYS[4], conn)
    append('{"op":"leave","origin":"","ticket":0,"conn":' .. cjson.encode(conn) ..
           ',"ts":' .. ARGV[8] .. '}')
  end
  return #gone
end
if ARGV[6] == 'join' then
  redis.call('ZADD', KEYS[4], ARGV[9], ARGV[7])
elseif ARGV[6] == 'leave' then
  redis.call('ZREM', KEYS[4], ARGV[7])
end
return {append(ARGV[5]), epoch}
)lua";

// A snapshot write wins only if it is newer (epoch, then log position) than
// what Redis holds. KEYS: 1 the snapshot hash; ARGV: 1 lsn, 2 epoch, 3 state.
constexpr char const* snapshot_lua = R"lua(
local cur_epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local cur = tonumber(redis.call('HGET', KEYS[1], 'lsn') or '-1')
local epoch = tonumber(ARGV[2])
if epoch > cur_epoch or (epoch == cur_epoch and tonumber(ARGV[1]) > cur) then
  redis.call('HSET', KEYS[1], 'lsn', ARGV[1], 'epoch', ARGV[2], 'state', ARGV[3])
end
return 1
)lua";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A pub/sub or stream message: log position, epoch, command.
struct wire_event {
  std::uint64_t lsn = 0, epoch = 0;
  room_command cmd;
};

bool parse_wire(std::string_view m, wire_event& out) {
  std::string_view parts[2];
  for (auto& p : parts) {
    auto const nl = m.find('\n');
    if (nl == std::string_view::npos) return false;
    p = m.substr(0, nl);
    m.remove_prefix(nl + 1);
  }
  out.lsn = std::strtoull(std::string(parts[0]).c_str(), nullptr, 10);
  out.epoch = std::strtoull(std::string(parts[1]).c_str(), nullptr, 10);
  auto c = command_from_json(m);
  if (!c) return false;
  out.cmd = std::move(*c);
  return out.lsn > 0;
}

// The entries of an XRANGE reply, in log order; unreadable ones are skipped.
std::vector<wire_event> stream_entries(reply const& rep) {
  std::vector<wire_event> out;
  if (rep.type != reply::kind::array) return out;
  for (auto const& e : rep.elements) {
    wire_event x;
    if (e.elements.size() == 2 && e.elements[1].elements.size() == 2 &&
        parse_wire(e.elements[1].elements[1].str, x)) {
      out.push_back(std::move(x));
    }
  }
  return out;
}

}  // namespace

struct redis_engine::impl {
  // A command Redis gave a log position, not yet confirmed on the replicas.
  struct placed {
    std::string room_id;
    room::ticket ticket = 0;
    std::uint64_t epoch = 0, lsn = 0;
  };
  // One Redis instance: a command connection and a subscriber connection.
  struct shard {
    std::unique_ptr<redis::connection> cmd;
    std::unique_ptr<redis::connection> sub;
    bool cmd_up = false, sub_up = false;
    // While Redis was unreachable nobody could refresh presence, so an
    // expiry that passed then proves nothing: this shard reaps only once its
    // link has been up for two presence TTLs. Every live node refreshes its
    // connections as soon as its rooms are loaded again, and a node slower
    // than that to come back (a loaded machine) still has a whole TTL.
    std::chrono::steady_clock::time_point up_since{};
    // With wait_replicas: appended commands waiting for the next WAIT's
    // answer, and whether that WAIT is posted but not yet sent.
    std::vector<placed> unconfirmed;
    bool wait_posted = false;
  };
  // The engine's view of one room, on the engine thread.
  struct room_sync {
    std::string id;
    std::size_t shard = 0;
    std::string prefix;  // "rt:{event:room}"
    bool loading = false, live = false;
    std::uint64_t epoch = 0, lsn = 0;  // the last command handed to the room
    std::vector<wire_event> held;      // arrived while loading or fetching
    // Submitted while loading (a table just created): sent once loaded. As
    // bounded as the ops of the room's members, who each wait for an answer.
    std::vector<room_command> waiting;
    // Leaves that could not reach the log (see not_appended): at most one per
    // connection this node had in the room.
    std::vector<room_command> lost_leaves;
    // catch_up's waiters, by the log position they wait for: at most one per
    // op in flight on this node.
    std::multimap<std::uint64_t, std::function<void()>> catching_up;
    bool fetching = false;
    // Let go (see release): not subscribed, its commands not applied here.
    bool dormant = false;
    // Counts the releases: what a release started (dropping the state) stops
    // if the replica was held again meanwhile.
    std::uint64_t releases = 0;
    // The last submit or read barrier here: a replica stays at least
    // replica_linger after it.
    std::chrono::steady_clock::time_point used = std::chrono::steady_clock::now();
    bool plenary = false;
    // This node's appends without Redis's answer yet, and the log position of
    // its latest command: the replica stays until it has applied that one, or
    // the sender's reply (which waits for the apply) would wait for good.
    std::size_t appending = 0;
    std::uint64_t own_epoch = 0, own_lsn = 0;
  };

  impl(redis_engine& e, engine_host& h, engine_settings s, std::vector<redis_address> a)
      : self(e),
        host(h),
        settings(std::move(s)),
        addresses(std::move(a)),
        script(lua_source),
        snapshot_script(snapshot_lua),
        refresh(io),
        reap(io),
        reload(io),
        linger(io),
        glance_timer(io) {}

  redis_engine& self;
  engine_host& host;
  engine_settings settings;
  std::vector<redis_address> addresses;
  asio::io_context io;
  std::thread thread;
  std::vector<shard> shards;
  redis::script script;
  redis::script snapshot_script;
  std::map<std::string, room_sync> rooms;
  std::atomic<bool> ready{false};
  std::atomic<bool> up{false};
  asio::steady_timer refresh, reap;
  // A load that failed on a link that stayed up (Redis answers LOADING while
  // it reads its AOF or RDB after a restart) is tried again after this;
  // waiting for the next reconnect would leave the node unready for good.
  static constexpr std::chrono::milliseconds reload_after{250};
  asio::steady_timer reload;
  bool reload_armed = false;
  std::mt19937_64 rng{std::random_device{}()};
  // Lets go of the replicas nobody here uses (see release).
  asio::steady_timer linger;
  // Lobby rows changed here since the last PUBLISH on the glance channel, at
  // most one per room; sent at most every glance_interval (the node's lobby
  // goes out at that pace too).
  static constexpr std::chrono::milliseconds glance_interval{250};
  std::map<std::string, std::string> glance_pending;
  asio::steady_timer glance_timer;
  bool glance_armed = false;
  std::atomic<std::uint64_t> held_rooms{0};
  std::atomic<std::uint64_t> applied{0};
  std::atomic<std::uint64_t> dropped{0};

  std::string key(room_sync const& r, char const* what) const { return r.prefix + ":" + what; }

  // The stream keeps ten times the history window (at least 10,000 events):
  // a node whose subscriber Redis cut off under overload (its pub/sub output
  // buffer limit) catches up from it instead of losing what it missed.
  std::size_t stream_length() const { return std::max<std::size_t>(settings.history * 10, 10000); }

  std::size_t shard_of(std::string const& id) const { return stable_hash(id) % shards.size(); }

  // A replica writes a snapshot every this many log positions: a loading
  // node applies at most this many commands after it, and the stream holds
  // twenty times as many, so a few missed writes (a node that died) still
  // leave the tail in the stream.
  std::uint64_t snapshot_every() const { return std::max<std::uint64_t>(stream_length() / 20, 64); }

  std::vector<std::string> keys_of(room_sync const& r) const {
    return {key(r, "log"), key(r, "epoch"), key(r, "stream"), key(r, "presence")};
  }

  std::uint64_t candidate_epoch() {
    auto const ms = static_cast<std::uint64_t>(now_ms());
    return ((ms << 10) | (rng() & 0x3FF)) & ((1ULL << 53) - 1);
  }

  std::vector<std::string> args(room_sync const& r, char const* mode) {
    return {mode,
            std::to_string(candidate_epoch()),
            std::to_string(stream_length()),
            r.prefix,
            "",
            "",
            "",
            std::to_string(now_ms()),
            std::to_string(now_ms() + settings.presence_ttl.count())};
  }

  void update_state() {
    bool all_up = !shards.empty();
    for (auto& s : shards) all_up = all_up && s.cmd_up && s.sub_up;
    up = all_up;
    bool all_live = all_up;
    std::uint64_t held = 0;
    for (auto& [id, r] : rooms) {
      if (r.dormant) continue;
      all_live = all_live && r.live;
      ++held;
    }
    ready = all_live;
    held_rooms = held;
  }

  void start() {
    for (auto const& a : addresses) {
      auto& s = shards.emplace_back();
      auto const i = shards.size() - 1;
      s.cmd = std::make_unique<redis::connection>(io, link_options(a));
      s.sub = std::make_unique<redis::connection>(io, link_options(a));
      s.cmd->on_state([this, i](bool c) {
        shards[i].cmd_up = c;
        if (c) shards[i].up_since = std::chrono::steady_clock::now();
        log::info(c ? "redis connected" : "redis disconnected", {{"shard", std::to_string(i)}});
        if (c) {
          if (i == 0) discover_tables();
          check_persistence(i);
          for (auto& [id, r] : rooms) {
            if (r.shard == i && !r.dormant) subscribe_then_load(r);
          }
        } else {
          for (auto& [id, r] : rooms) {
            if (r.shard != i) continue;
            r.live = false;
            fail_waiting(r);
            caught_up(r, true);  // what they wait for will not come now
          }
        }
        update_state();
      });
      s.sub->on_state([this, i](bool c) {
        shards[i].sub_up = c;
        // Messages may have been missed while the subscriber was down: each
        // room loads again once its channel is confirmed on the new link.
        if (c) {
          for (auto& [id, r] : rooms) {
            if (r.shard == i && !r.dormant) subscribe_then_load(r);
          }
        }
        update_state();
      });
      s.sub->on_message([this](std::string_view channel, std::string_view payload) {
        if (channel == glance_channel()) return glance_received(payload);
        auto it = rooms.find(std::string(channel));
        if (it == rooms.end() || it->second.dormant) return;
        wire_event w;
        if (parse_wire(payload, w)) receive(it->second, std::move(w));
      });
      connect(*s.cmd, a);
      connect(*s.sub, a);
    }
    if (lets_go()) {
      shards[0].sub->subscribe(glance_channel());
      schedule_linger();
    }
    schedule_refresh();
    thread = std::thread([this] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }

  // Behind Sentinel a link must reach a master, and retries stay within a
  // second: a failover takes a few seconds, and the sentinels answer first.
  static redis::connection_options link_options(redis_address const& a) {
    redis::connection_options o;
    if (a.sentinel) {
      o.require_master = true;
      o.backoff_max = std::chrono::milliseconds(1000);
    }
    return o;
  }

  static void connect(redis::connection& c, redis_address const& a) {
    if (!a.sentinel) return c.connect(a.host, a.port);
    c.connect([group = *a.sentinel]() mutable {
      return redis::ask_sentinels(group, std::chrono::milliseconds(500));
    });
  }

  // Redis's own persistence decides what survives its restart: say so at start.
  void check_persistence(std::size_t i) {
    shards[i].cmd->command({"CONFIG", "GET", "appendonly"}, [this, i](reply aof) {
      if (aof.type != reply::kind::array || aof.elements.size() != 2 ||
          aof.elements[1].str == "yes")
        return;
      shards[i].cmd->command({"CONFIG", "GET", "save"}, [i](reply save) {
        bool const snapshots = save.type == reply::kind::array && save.elements.size() == 2 &&
                               !save.elements[1].str.empty();
        log::warn(snapshots
                      ? "redis has appendonly off: a restart loses what changed since its last "
                        "snapshot (set appendonly yes)"
                      : "redis has no persistence: a restart loses the whole session (set "
                        "appendonly yes)",
                  {{"shard", std::to_string(i)}});
      });
    });
  }

  // Tables created at run time on any node, for a node that starts later.
  void discover_tables() {
    shards[0].cmd->command({"HGETALL", tables_key()}, [this](reply r) {
      if (r.type != reply::kind::array) return;
      for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        // The host's add_room posts back to this thread.
        if (auto t = table_from_json(r.elements[i + 1].str)) host.table_found(*t);
      }
    });
  }

  std::string tables_key() const { return "rt:{" + settings.event_id + "}:tables"; }

  void add_room(std::string const& id) {
    room_sync r;
    r.id = id;
    r.shard = shard_of(id);
    r.prefix = prefix_of(id);
    r.plenary = id == room::plenary_id;
    auto [it, fresh] = rooms.emplace(r.prefix, std::move(r));
    if (!fresh) return;
    subscribe_then_load(it->second);
    update_state();
  }

  // The room's channel, then its load once Redis has confirmed the
  // subscription: what is published after the load's reads then reaches this
  // node (the replica is complete), and the node's own next command comes
  // back to it. A link that is down loads every room when it comes up.
  void subscribe_then_load(room_sync& r) {
    shards[r.shard].sub->subscribe(r.prefix, [this, prefix = r.prefix] {
      auto it = rooms.find(prefix);
      if (it == rooms.end() || it->second.dormant) return;
      if (shards[it->second.shard].cmd_up) resync(it->second);
    });
  }

  // Loads the room from Redis: its epoch (created if missing), log position
  // and snapshot, then the log's tail after what the room (or the snapshot)
  // holds; then replays what arrived meanwhile.
  void resync(room_sync& r) {
    if (r.loading) return;
    r.loading = true;
    r.live = false;
    auto& c = *shards[r.shard].cmd;
    auto got = std::make_shared<std::vector<reply>>(2);
    auto left = std::make_shared<int>(2);
    auto done = [this, &r, got, left](std::size_t i, reply rep) {
      (*got)[i] = std::move(rep);
      if (--*left == 0) fetch_tail(r, *got);
    };
    c.evalsha(script, keys_of(r), args(r, "init"),
              [done](reply rep) mutable { done(0, std::move(rep)); });
    c.command({"HGETALL", key(r, "snapshot")},
              [done](reply rep) mutable { done(1, std::move(rep)); });
  }

  struct snapshot {
    std::uint64_t epoch = 0, lsn = 0;
    std::string state;
  };

  void fetch_tail(room_sync& r, std::vector<reply> const& got) {
    for (auto const& g : got) {
      if (g.is_error() || g.type != reply::kind::array || got[0].elements.size() != 2) {
        log::warn("redis load failed", {{"room", r.prefix}, {"error", g.str}});
        load_failed(r);
        return;
      }
    }
    auto const lsn = static_cast<std::uint64_t>(got[0].elements[0].integer);
    auto const epoch = std::strtoull(got[0].elements[1].str.c_str(), nullptr, 10);
    snapshot snap;
    for (std::size_t i = 0; i + 1 < got[1].elements.size(); i += 2) {
      auto const& k = got[1].elements[i].str;
      auto const& v = got[1].elements[i + 1].str;
      if (k == "state") snap.state = v;
      if (k == "lsn") snap.lsn = std::strtoull(v.c_str(), nullptr, 10);
      if (k == "epoch") snap.epoch = std::strtoull(v.c_str(), nullptr, 10);
    }
    // From what the room holds, or from the snapshot if that is older.
    bool const same_epoch = r.epoch == epoch && r.epoch != 0;
    if (same_epoch && r.lsn > lsn) {
      // A failover promoted a replica that lacked the last commands this node
      // applied (their ops were answered unavailable): README, failure modes.
      log::warn("redis: the master lacks log positions this node applied",
                {{"room", r.prefix}, {"lost", std::to_string(r.lsn - lsn)}});
    }
    bool const snap_ok = !snap.state.empty() && snap.epoch == epoch;
    std::uint64_t after = snap_ok ? snap.lsn : 0;
    if (same_epoch) after = std::min(after, r.lsn);
    shards[r.shard].cmd->command(
        {"XRANGE", key(r, "stream"), std::to_string(after + 1) + "-0", "+"},
        [this, &r, lsn, epoch, snap = std::move(snap)](reply rep) mutable {
          if (rep.type != reply::kind::array) {
            log::warn("redis load failed", {{"room", r.prefix}, {"error", rep.str}});
            load_failed(r);
            return;
          }
          loaded(r, lsn, epoch, std::move(snap), stream_entries(rep));
        });
  }

  void loaded(room_sync& r, std::uint64_t lsn, std::uint64_t epoch, snapshot snap,
              std::vector<wire_event> tail) {
    r.loading = false;
    std::erase_if(tail, [&](wire_event const& w) { return w.epoch != epoch; });
    auto const last = tail.empty() ? lsn : std::max(lsn, tail.back().lsn);
    r.epoch = epoch;
    r.lsn = last;
    auto held = std::exchange(r.held, {});
    r.live = true;
    update_state();
    host.on_home(r.id, [this, lsn, epoch, snap = std::move(snap), tail = std::move(tail),
                        prefix = r.prefix](room& rm) {
      // The tail covers everything after `pos`.
      auto covers = [&](std::uint64_t pos) {
        return tail.empty() ? pos >= lsn : tail.front().lsn <= pos + 1;
      };
      bool fresh = false;
      if (rm.epoch() == epoch && covers(rm.log_position())) {
        // A reconnect: what this replica missed.
      } else if (snap.epoch == epoch && rm.load_replica(snap.state) && covers(rm.log_position())) {
        // A replica from the snapshot.
      } else if (snap.epoch != epoch) {
        // Redis has no snapshot of this epoch (a new room, or Redis lost it):
        // the state this node has (or the older snapshot's) goes on. A
        // replica this node dropped has nothing to go on with: it starts from
        // the config and writes no snapshot, so that a holder's copy wins.
        bool const dropped_here = rm.epoch() == 0;
        if (!snap.state.empty() && snap.epoch > rm.epoch()) rm.load_replica(snap.state);
        if (dropped_here && rm.epoch() == 0) {
          log::warn("redis: a table let go here has no copy left in Redis; it starts again",
                    {{"room", prefix}});
        }
        fresh = rm.epoch() != 0;
        rm.start_epoch(epoch);
      } else {
        log::warn("redis: the log's tail is beyond the stream; the room may lag",
                  {{"room", prefix}});
      }
      for (auto const& w : tail) {
        if (w.lsn > rm.log_position()) deliver(rm, w);
      }
      if (fresh) save_snapshot(rm);
    });
    for (auto& w : held) receive(r, std::move(w));
    caught_up(r, true);
    refresh_presence(r, false);  // at once: others may reap what expired meanwhile
    for (auto& c : std::exchange(r.lost_leaves, {})) append(r, std::move(c));
    for (auto& c : std::exchange(r.waiting, {})) append(r, std::move(c));
  }

  // Home thread: one command to the replica, counted (/metrics).
  void deliver(room& rm, wire_event const& w) {
    applied.fetch_add(1, std::memory_order_relaxed);
    host.deliver(rm, w.epoch, w.lsn, w.cmd);
  }

  // Home thread: the replica's state goes to Redis as the room's snapshot.
  void save_snapshot(room const& rm) {
    asio::post(io, [this, id = rm.id(), lsn = rm.log_position(), epoch = rm.epoch(),
                    state = rm.replica_json()] {
      auto it = rooms.find(prefix_of(id));
      if (it == rooms.end() || !shards[it->second.shard].cmd_up) return;
      shards[it->second.shard].cmd->evalsha(snapshot_script, {key(it->second, "snapshot")},
                                            {std::to_string(lsn), std::to_string(epoch), state},
                                            [](reply) {});
    });
  }

  std::string prefix_of(std::string const& room_id) const {
    return "rt:{" + settings.event_id + ":" + room_id + "}";
  }

  // Home thread: applies one command; the node whose command landed on a
  // snapshot position writes the snapshot.
  void apply(room& rm, wire_event const& w) {
    deliver(rm, w);
    if (w.lsn % snapshot_every() == 0 && w.cmd.origin == self.node_id()) save_snapshot(rm);
  }

  // A command from the subscription (or a fetch): in order, or fetch the gap.
  void receive(room_sync& r, wire_event w) {
    if (!r.live || r.fetching) {
      // Bounded: past the stream's length, what was held is dropped; the gap
      // it leaves is fetched from the stream once the load or fetch is done.
      if (r.held.size() >= stream_length()) {
        log::warn("redis: too many events held during a load; refetching", {{"room", r.prefix}});
        r.held.clear();
      }
      r.held.push_back(std::move(w));
      return;
    }
    if (w.epoch == r.epoch && w.lsn <= r.lsn) return;  // already applied
    bool const next =
        (w.epoch == r.epoch && w.lsn == r.lsn + 1) || (w.epoch != r.epoch && w.lsn == 1);
    if (!next) {
      fetch_gap(r, std::move(w));
      return;
    }
    // A new epoch (Redis lost the log): positions asked for in the old one
    // will never come, so everything waiting goes on now.
    bool const new_epoch = w.epoch != r.epoch;
    r.epoch = w.epoch;
    r.lsn = w.lsn;
    host.on_home(r.id, [this, w = std::move(w)](room& rm) { apply(rm, w); });
    if (!r.catching_up.empty()) caught_up(r, new_epoch);
  }

  // Runs, on the room's home after what was applied so far, what waited for a
  // log position this replica has reached (everything, when `all`).
  void caught_up(room_sync& r, bool all = false) {
    auto const end = all ? r.catching_up.end() : r.catching_up.upper_bound(r.lsn);
    for (auto it = r.catching_up.begin(); it != end; it = r.catching_up.erase(it))
      host.on_home(r.id, [fn = std::move(it->second)](room&) { fn(); });
  }

  // One GET of the log position (no write): a flood of barriers costs Redis
  // reads, never log entries.
  void catch_up(std::string const& id, std::function<void()> then) {
    asio::post(io, [this, id, then = std::move(then)]() mutable {
      auto it = rooms.find(prefix_of(id));
      if (it == rooms.end() || !shards[it->second.shard].cmd_up) {
        return host.on_home(id, [then = std::move(then)](room&) { then(); });
      }
      auto& r = it->second;
      hold(r);
      shards[r.shard].cmd->command(
          {"GET", key(r, "log")}, [this, &r, then = std::move(then)](reply rep) mutable {
            auto const pos = rep.type == reply::kind::string
                                 ? std::strtoull(rep.str.c_str(), nullptr, 10)
                                 : std::uint64_t{0};
            r.catching_up.emplace(pos, std::move(then));
            if (r.live) caught_up(r);  // else the load or the reconnect runs it
          });
    });
  }

  void fetch_gap(room_sync& r, wire_event w) {
    r.fetching = true;
    r.held.push_back(std::move(w));
    bool const new_epoch = r.held.front().epoch != r.epoch;
    auto const from = new_epoch ? std::uint64_t{1} : r.lsn + 1;
    shards[r.shard].cmd->command(
        {"XRANGE", key(r, "stream"), std::to_string(from) + "-0", "+"}, [this, &r](reply rep) {
          r.fetching = false;
          auto held = std::exchange(r.held, {});
          auto fetched = stream_entries(rep);
          bool const continuous =
              !fetched.empty() &&
              ((fetched.front().epoch == r.epoch && fetched.front().lsn == r.lsn + 1) ||
               (fetched.front().epoch != r.epoch && fetched.front().lsn == 1));
          if (!continuous) {
            // Trimmed past the window, or Redis lost it: load the room afresh.
            r.held = std::move(held);
            r.epoch = 0;
            resync(r);
            return;
          }
          for (auto& x : fetched) {
            if (x.epoch != r.epoch || x.lsn == r.lsn + 1) receive(r, std::move(x));
          }
          for (auto& x : held) receive(r, std::move(x));
        });
  }

  void fail(std::string const& room_id, room::ticket t) {
    host.on_home(room_id, [t](room& x) {
      x.failed(t, {error_code::unavailable, "Redis is unreachable; try again"});
    });
  }

  // The room is not live: its waiting ops fail, and every room not live on a
  // link that is up loads again after reload_after (one timer for all).
  void load_failed(room_sync& r) {
    r.loading = false;
    fail_waiting(r);
    if (reload_armed) return;
    reload_armed = true;
    reload.expires_after(reload_after);
    reload.async_wait([this](boost::system::error_code ec) {
      reload_armed = false;
      if (ec) return;
      for (auto& [id, room] : rooms) {
        if (!room.live && !room.dormant && shards[room.shard].cmd_up) subscribe_then_load(room);
      }
    });
  }

  void fail_waiting(room_sync& r) {
    for (auto& c : std::exchange(r.waiting, {})) not_appended(r, std::move(c));
  }

  // The op cannot reach the log now: its sender hears `unavailable`. Nobody
  // waits for a leave (its connection is gone), but without it the member
  // would stay in every replica's roster, and this node would refresh its
  // presence for good: it is sent again once the room is live.
  void not_appended(room_sync& r, room_command c) {
    fail(r.id, c.ticket);
    if (std::holds_alternative<cmd::leave>(c.op)) r.lost_leaves.push_back(std::move(c));
  }

  void submit(room& rm, room_command c) {
    asio::post(io, [this, id = rm.id(), c = std::move(c)]() mutable {
      auto it = rooms.find(prefix_of(id));
      if (it == rooms.end()) {
        // The node lists a new room before its add_room reaches this thread:
        // a member on another worker may join it first.
        add_room(id);
        it = rooms.find(prefix_of(id));
      }
      auto& r = it->second;
      hold(r);
      if (!shards[r.shard].cmd_up) return not_appended(r, std::move(c));
      if (!r.live) return r.waiting.push_back(std::move(c));
      append(r, std::move(c));
    });
  }

  // Gives the command its place in the room's log (and, with wait_replicas,
  // asks for it on the replicas before it is confirmed).
  void append(room_sync& r, room_command c) {
    auto a = args(r, "append");
    a[4] = command_json(c);
    if (std::holds_alternative<cmd::join>(c.op)) a[5] = "join";
    if (std::holds_alternative<cmd::leave>(c.op)) a[5] = "leave";
    a[6] = c.conn;
    auto leave = std::holds_alternative<cmd::leave>(c.op) ? std::optional(c) : std::nullopt;
    ++r.appending;
    shards[r.shard].cmd->evalsha(
        script, keys_of(r), a,
        [this, i = r.shard, id = r.id, ticket = c.ticket, leave = std::move(leave)](reply rep) {
          auto const it = rooms.find(prefix_of(id));
          if (it != rooms.end()) --it->second.appending;
          if (rep.type != reply::kind::array || rep.elements.size() != 2) {
            if (leave && it != rooms.end()) return not_appended(it->second, *leave);
            return fail(id, ticket);
          }
          placed p{id, ticket, std::strtoull(rep.elements[1].str.c_str(), nullptr, 10),
                   static_cast<std::uint64_t>(rep.elements[0].integer)};
          if (it != rooms.end()) {
            auto& r2 = it->second;
            r2.own_lsn = r2.own_epoch == p.epoch ? std::max(r2.own_lsn, p.lsn) : p.lsn;
            r2.own_epoch = p.epoch;
          }
          if (self.confirms())
            shards[i].unconfirmed.push_back(p);
          else
            confirm(p);
        });
    if (self.confirms()) wait_replicas(r.shard);
  }

  void confirm(placed const& p) {
    host.on_home(p.room_id, [p](room& x) { x.sequenced(p.ticket, p.epoch, p.lsn); });
  }

  // One WAIT for every append sent before it: posted, so that the appends of
  // this turn share it; WAIT blocks the connection, and the appends sent
  // meanwhile share the next one.
  void wait_replicas(std::size_t i) {
    if (std::exchange(shards[i].wait_posted, true)) return;
    asio::post(io, [this, i] {
      if (i >= shards.size()) return;  // stopping
      shards[i].wait_posted = false;
      shards[i].cmd->command(
          {"WAIT", std::to_string(settings.wait_replicas),
           std::to_string(settings.wait_timeout.count())},
          [this, i](reply rep) {
            bool const ok =
                rep.type == reply::kind::integer && rep.integer >= settings.wait_replicas;
            for (auto const& p : std::exchange(shards[i].unconfirmed, {})) {
              if (ok) {
                confirm(p);
              } else {
                host.on_home(p.room_id, [t = p.ticket](room& x) {
                  x.failed(t, {error_code::unavailable,
                               "Redis did not copy this op to its replicas in time: it may "
                               "have taken effect; check before you retry"});
                });
              }
            }
          });
    });
  }

  // Whether this node lets go of the replicas it does not use.
  bool lets_go() const { return settings.replica_linger.count() > 0; }

  // A replica is kept where it is used: while this node has members in the
  // room, for replica_linger after its last submit or read barrier here, and
  // the plenary always. Letting go stops its subscription, so a node's work
  // grows with its own members' rooms, not the whole event's (README, "Cost
  // per node"); the room object keeps what it had, and hold() brings it up to
  // date from the stream (or the snapshot) the next time it is needed.
  void release(room_sync& r) {
    r.dormant = true;
    r.live = false;
    r.held.clear();
    shards[r.shard].sub->unsubscribe(r.prefix);
    update_state();
    drop_state(r);
  }

  // After a release, the replica's state goes to Redis as a snapshot (unless
  // Redis holds a newer one) and then leaves this node, so that a table nobody
  // here uses costs memory for its config only. The next hold loads snapshot
  // plus tail (r.epoch 0: nothing of the old replica is trusted). The snapshot
  // first, so that the load replays nothing this node had applied; and only
  // once Redis has it, so that no state is dropped that Redis does not hold
  // (the periodic snapshots are written without waiting for an answer).
  void drop_state(room_sync& r) {
    host.on_home(r.id, [this, prefix = r.prefix, gen = ++r.releases](room& rm) {
      if (rm.has_local_members()) return;
      asio::post(io, [this, prefix, gen, lsn = rm.log_position(), epoch = rm.epoch(),
                      state = rm.replica_json()]() mutable {
        snapshot_then_drop(prefix, gen, epoch, lsn, std::move(state));
      });
    });
  }

  void snapshot_then_drop(std::string const& prefix, std::uint64_t gen, std::uint64_t epoch,
                          std::uint64_t lsn, std::string state) {
    auto it = rooms.find(prefix);
    if (it == rooms.end()) return;
    auto& r = it->second;
    bool const still = r.dormant && r.releases == gen && r.epoch == epoch && r.lsn == lsn;
    if (!still || !shards[r.shard].cmd_up) return;
    shards[r.shard].cmd->evalsha(snapshot_script, {key(r, "snapshot")},
                                 {std::to_string(lsn), std::to_string(epoch), std::move(state)},
                                 [this, &r, gen](reply rep) {
                                   if (rep.is_error() || !r.dormant || r.releases != gen) return;
                                   r.epoch = 0;
                                   r.lsn = 0;
                                   host.on_home(r.id, [this](room& x) {
                                     if (x.shed()) dropped.fetch_add(1, std::memory_order_relaxed);
                                   });
                                 });
  }

  // Before a submit or a read barrier: a replica let go is loaded again,
  // through the same path as a reconnect (its tail after what it applied).
  void hold(room_sync& r) {
    r.used = std::chrono::steady_clock::now();
    if (!r.dormant) return;
    r.dormant = false;
    subscribe_then_load(r);
    update_state();
  }

  bool idle(room_sync const& r, std::chrono::steady_clock::time_point now) {
    bool const own_applied = r.own_epoch != r.epoch || r.lsn >= r.own_lsn;
    return !r.dormant && !r.plenary && r.live && !r.fetching && r.waiting.empty() &&
           r.catching_up.empty() && r.lost_leaves.empty() && r.appending == 0 && own_applied &&
           now - r.used >= settings.replica_linger && !host.has_members(r.id);
  }

  void schedule_linger() {
    linger.expires_after(std::max(settings.replica_linger / 2, std::chrono::milliseconds(10)));
    linger.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto const now = std::chrono::steady_clock::now();
      for (auto& [prefix, r] : rooms) {
        if (idle(r, now)) release(r);
      }
      schedule_linger();
    });
  }

  std::string glance_channel() const { return "rt:{" + settings.event_id + "}:glance"; }

  // A node's changed lobby rows, coalesced: one PUBLISH of "ID ROW" lines.
  void glance_changed(std::string id, std::string row) {
    glance_pending[std::move(id)] = std::move(row);
    if (std::exchange(glance_armed, true)) return;
    glance_timer.expires_after(glance_interval);
    glance_timer.async_wait([this](boost::system::error_code ec) {
      glance_armed = false;
      if (ec || shards.empty() || !shards[0].cmd_up) return glance_pending.clear();
      std::string lines;
      for (auto const& [room_id, room_row] : std::exchange(glance_pending, {}))
        lines.append(room_id).append(" ").append(room_row).append("\n");
      shards[0].cmd->command({"PUBLISH", glance_channel(), std::move(lines)}, [](reply) {});
    });
  }

  // Rows of rooms this node let go reach the host; a held replica has its own.
  void glance_received(std::string_view lines) {
    while (!lines.empty()) {
      auto const nl = lines.find('\n');
      auto const line = lines.substr(0, nl);
      lines.remove_prefix(nl == std::string_view::npos ? lines.size() : nl + 1);
      auto const sp = line.find(' ');
      if (sp == std::string_view::npos) continue;
      std::string const id(line.substr(0, sp));
      auto it = rooms.find(prefix_of(id));
      if (it != rooms.end() && it->second.dormant) host.glance_shared(id, line.substr(sp + 1));
    }
  }

  bool may_reap(std::size_t i) const {
    return shards[i].cmd_up &&
           std::chrono::steady_clock::now() - shards[i].up_since >= 2 * settings.presence_ttl;
  }

  void schedule_refresh() {
    refresh.expires_after(settings.presence_ttl / 6);
    refresh.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      for (auto& [prefix, r] : rooms) {
        if (shards[r.shard].cmd_up && r.live) refresh_presence(r, true);
      }
      schedule_refresh();
    });
  }

  // Keeps this node's connections in the room alive; then, with `and_reap`,
  // removes those of the dead.
  void refresh_presence(room_sync& r, bool and_reap) {
    auto const expiry = std::to_string(now_ms() + settings.presence_ttl.count());
    host.on_home(r.id, [this, &r, and_reap, expiry, node_prefix = self.node_id() + ":"](room& rm) {
      std::vector<std::string> mine;
      for (auto const& [conn, p] : rm.roster_view()) {
        if (conn.rfind(node_prefix, 0) == 0) mine.push_back(conn);
      }
      asio::post(io, [this, &r, and_reap, expiry, mine = std::move(mine)] {
        if (!shards[r.shard].cmd_up) return;
        if (!mine.empty()) {
          std::vector<std::string> cmd{"ZADD", key(r, "presence"), "XX"};
          for (auto const& m : mine) {
            cmd.push_back(expiry);
            cmd.push_back(m);
          }
          shards[r.shard].cmd->command(std::move(cmd), [](reply) {});
        }
        if (and_reap && may_reap(r.shard))
          shards[r.shard].cmd->evalsha(script, keys_of(r), args(r, "reap"), [](reply) {});
      });
    });
  }
};

namespace {
std::vector<redis_address> checked_addresses(std::vector<std::string> const& urls) {
  std::vector<redis_address> out;
  for (auto const& url : urls) out.push_back(checked_redis_address(url));
  return out;
}
}  // namespace

redis_engine::redis_engine(engine_host& host, engine_settings s)
    : node_id_(s.node_id.empty() ? "n" + std::to_string(std::random_device{}() % 1000000)
                                 : s.node_id) {
  auto shards = checked_addresses(s.redis);
  impl_ = std::make_unique<impl>(*this, host, std::move(s), std::move(shards));
}

redis_engine::~redis_engine() {
  stop();
}

void redis_engine::catch_up(std::string const& id, std::function<void()> then) {
  impl_->catch_up(id, std::move(then));
}

void redis_engine::start() {
  impl_->start();
}

void redis_engine::stop() {
  if (!impl_->thread.joinable()) return;
  // Let the leaving connections' presence reach Redis.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The connections belong to the engine thread: destroy them there.
  asio::post(impl_->io, [i = impl_.get()] {
    i->refresh.cancel();
    i->reload.cancel();
    i->linger.cancel();
    i->glance_timer.cancel();
    i->shards.clear();
    i->io.stop();
  });
  impl_->thread.join();
}

engine::made_room redis_engine::make_room(table_config const& cfg,
                                          std::function<void(room&)> const& setup) {
  auto r = std::make_unique<room>(cfg, new_epoch(), impl_->settings.history, nullptr, this);
  setup(*r);
  return {std::move(r), false};
}

void redis_engine::add_room(std::string const& id) {
  asio::post(impl_->io, [i = impl_.get(), id] { i->add_room(id); });
}

bool redis_engine::ready() const noexcept {
  return impl_->ready.load();
}

std::vector<engine_gauge> redis_engine::gauges() const {
  return {{"redis_connected", "1 when every Redis link is up.", impl_->up.load() ? 1u : 0u},
          {"redis_rooms_held", "Rooms whose log this node applies (its members' and the plenary).",
           impl_->held_rooms.load()},
          {"redis_commands_applied_total", "Room commands this node applied.",
           impl_->applied.load(std::memory_order_relaxed), true},
          {"redis_replicas_dropped_total",
           "Replicas of rooms this node let go whose state it dropped (memory).",
           impl_->dropped.load(std::memory_order_relaxed), true}};
}

bool redis_engine::shares_glance() const noexcept {
  return impl_->lets_go();  // with linger 0 every node holds every room
}

void redis_engine::glance_changed(std::string const& id, std::string row) {
  asio::post(impl_->io, [i = impl_.get(), id, row = std::move(row)]() mutable {
    i->glance_changed(id, std::move(row));
  });
}

void redis_engine::table_created(table_config const& t, std::size_t) {
  asio::post(impl_->io, [i = impl_.get(), id = t.id, json = table_json(t)] {
    if (i->shards.empty() || !i->shards[0].cmd_up) return;
    i->shards[0].cmd->command({"HSET", i->tables_key(), id, json}, [](reply) {});
  });
}

std::string redis_engine::demo_secret(std::string candidate) {
  auto const& s = impl_->settings;
  if (auto shared = shared_demo_secret(impl_->addresses.front(), s.event_id, candidate))
    return *shared;
  log::warn("Redis unreachable at start: this node's demo tokens work on this node only");
  return candidate;
}

bool redis_engine::confirms() const noexcept {
  return impl_->settings.wait_replicas > 0;
}

void redis_engine::submit(room& r, room_command c) {
  impl_->submit(r, std::move(c));
}

}  // namespace roundtable
