// Redis engine: Lua sequencing, pub/sub fan-in, catch-up, presence expiry.
#include "server/redis_engine.hpp"

#include "protocol/json_writer.hpp"
#include "server/hash.hpp"
#include "server/log.hpp"
#include "server/node.hpp"
#include "server/redis/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <hiredis/hiredis.h>
#include <simdjson.h>

#include <map>
#include <random>
#include <stdexcept>
#include <thread>

namespace roundtable {

namespace asio = boost::asio;
using redis::reply;

redis_address parse_redis_url(std::string const& url) {
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

std::optional<std::string> shared_demo_secret(redis_address const& a, std::string const& event_id,
                                              std::string const& candidate) {
  timeval const timeout{1, 0};
  redisContext* c = redisConnectWithTimeout(a.host.c_str(), a.port, timeout);
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

namespace {

// One script for every write, so each is atomic: ARGV[1] is the mode.
//   init:    the room's epoch (created if Redis has none) and seq
//   publish: sequence one event (with its presence/timer side effects)
//   reap:    publish `left` for every connection whose presence expired
// KEYS: 1 seq, 2 epoch, 3 stream, 4 roster (hash), 5 presence (zset), 6 timer
// ARGV: 1 mode, 2 candidate epoch, 3 stream maxlen, 4 room id as JSON,
//       5 channel, 6 type, 7 item, 8 author, 9 aux, 10 ts, 11 body,
//       12 now (ms), 13 participant JSON (presence joined), 14 expiry (ms)
constexpr char const* lua_source = R"lua(
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[6])
end
local function publish(typ, item, author, aux, ts, body)
  local seq = redis.call('INCR', KEYS[1])
  local json = '{"type":"' .. typ .. '","room":' .. ARGV[4] .. ',"seq":' .. seq ..
               ',"epoch":' .. epoch .. body .. '}'
  local msg = seq .. '\n' .. epoch .. '\n' .. typ .. '\n' .. item .. '\n' .. author .. '\n' ..
              aux .. '\n' .. ts .. '\n' .. json
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'm', msg)
  redis.call('PUBLISH', ARGV[5], msg)
  return seq
end
local mode = ARGV[1]
if mode == 'init' then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), epoch}
end
if mode == 'reap' then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[12])
  for _, conn in ipairs(gone) do
    local p = redis.call('HGET', KEYS[4], conn)
    redis.call('ZREM', KEYS[5], conn)
    redis.call('HDEL', KEYS[4], conn)
    if p then
      local id = cjson.decode(p).id
      publish('presence', '', id, conn, ARGV[12], ',"left":' .. cjson.encode(id))
    end
  end
  return #gone
end
local typ = ARGV[6]
if typ == 'timer_ended' then
  if redis.call('GET', KEYS[6]) ~= ARGV[7] then return {0, epoch} end
  redis.call('DEL', KEYS[6])
elseif typ == 'timer' then
  if ARGV[9] == '0' then redis.call('DEL', KEYS[6]) else redis.call('SET', KEYS[6], ARGV[9]) end
elseif typ == 'presence' then
  if ARGV[13] ~= '' then
    redis.call('HSET', KEYS[4], ARGV[9], ARGV[13])
    redis.call('ZADD', KEYS[5], ARGV[14], ARGV[9])
  else
    redis.call('HDEL', KEYS[4], ARGV[9])
    redis.call('ZREM', KEYS[5], ARGV[9])
  end
end
return {publish(typ, ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]), epoch}
)lua";

// A state write wins only if it is newer than what Redis holds.
constexpr char const* state_lua = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if tonumber(ARGV[1]) > cur or ARGV[3] == 'force' then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'epoch', ARGV[2], 'state', ARGV[4])
end
return 1
)lua";

std::int64_t now_ms() {
  return node::now_ms();
}

// A pub/sub or stream message: seq, epoch, type, item, author, aux, ts, json.
struct wire_event {
  std::uint64_t seq = 0, epoch = 0;
  event_draft draft;
  std::string json;
};

bool parse_wire(std::string_view m, wire_event& out) {
  std::string_view parts[7];
  for (auto& p : parts) {
    auto const nl = m.find('\n');
    if (nl == std::string_view::npos) return false;
    p = m.substr(0, nl);
    m.remove_prefix(nl + 1);
  }
  out.seq = std::strtoull(std::string(parts[0]).c_str(), nullptr, 10);
  out.epoch = std::strtoull(std::string(parts[1]).c_str(), nullptr, 10);
  out.draft.type = parts[2];
  out.draft.item = parts[3];
  out.draft.author = parts[4];
  out.draft.aux = parts[5];
  out.draft.ts = std::strtoll(std::string(parts[6]).c_str(), nullptr, 10);
  out.json = m;
  return out.seq > 0;
}

std::string clean(std::string s) {
  for (auto& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

struct redis_engine::impl {
  // One Redis instance: a command connection and a subscriber connection.
  struct shard {
    std::unique_ptr<redis::connection> cmd;
    std::unique_ptr<redis::connection> sub;
    bool cmd_up = false, sub_up = false;
  };
  // The engine's view of one room, on the engine thread.
  struct room_sync {
    room_slot* slot = nullptr;
    std::size_t shard = 0;
    std::string prefix;  // "rt:{event:room}"
    std::string room_json;
    bool loading = false, live = false;
    std::uint64_t epoch = 0, seq = 0;  // the last event handed to the room
    std::vector<wire_event> held;      // arrived while loading or fetching
    bool fetching = false;
  };

  impl(redis_engine& e, node& n, std::vector<redis_address> a)
      : self(e),
        nd(n),
        addresses(std::move(a)),
        script(lua_source),
        state_script(state_lua),
        refresh(io),
        reap(io) {}

  redis_engine& self;
  node& nd;
  std::vector<redis_address> addresses;
  asio::io_context io;
  std::thread thread;
  std::vector<shard> shards;
  redis::script script;
  redis::script state_script;
  std::map<std::string, room_sync> rooms;
  std::atomic<bool> ready{false};
  std::atomic<bool> up{false};
  asio::steady_timer refresh, reap;
  std::mt19937_64 rng{std::random_device{}()};

  std::string key(room_sync const& r, char const* what) const { return r.prefix + ":" + what; }

  // The stream keeps ten times the history window (at least 10,000 events):
  // a node whose subscriber Redis cut off under overload (its pub/sub output
  // buffer limit) catches up from it instead of losing what it missed.
  std::size_t stream_length() const { return std::max<std::size_t>(nd.opts().history * 10, 10000); }

  std::size_t shard_of(std::string const& id) const { return stable_hash(id) % shards.size(); }

  std::vector<std::string> keys_of(room_sync const& r) const {
    return {key(r, "seq"),    key(r, "epoch"),    key(r, "stream"),
            key(r, "roster"), key(r, "presence"), key(r, "timer")};
  }

  std::uint64_t candidate_epoch() {
    auto const ms = static_cast<std::uint64_t>(now_ms());
    return ((ms << 10) | (rng() & 0x3FF)) & ((1ULL << 53) - 1);
  }

  std::vector<std::string> args(room_sync const& r, char const* mode) {
    return {mode,
            std::to_string(candidate_epoch()),
            std::to_string(stream_length()),
            r.room_json,
            r.prefix,
            "",
            "",
            "",
            "",
            "0",
            "",
            std::to_string(now_ms()),
            "",
            std::to_string(now_ms() + std::chrono::milliseconds(nd.opts().presence_ttl).count())};
  }

  void update_state() {
    bool all_up = !shards.empty();
    for (auto& s : shards) all_up = all_up && s.cmd_up && s.sub_up;
    up = all_up;
    bool all_live = all_up;
    for (auto& [id, r] : rooms) all_live = all_live && r.live;
    ready = all_live;
  }

  void start() {
    for (auto const& a : addresses) {
      auto& s = shards.emplace_back();
      auto const i = shards.size() - 1;
      s.cmd = std::make_unique<redis::connection>(io);
      s.sub = std::make_unique<redis::connection>(io);
      s.cmd->on_state([this, i](bool c) {
        shards[i].cmd_up = c;
        log::info(c ? "redis connected" : "redis disconnected", {{"shard", std::to_string(i)}});
        if (c) {
          if (i == 0) discover_tables();
          check_persistence(i);
          for (auto& [id, r] : rooms) {
            if (r.shard == i) resync(r);
          }
        } else {
          for (auto& [id, r] : rooms) {
            if (r.shard == i) r.live = false;
          }
        }
        update_state();
      });
      s.sub->on_state([this, i](bool c) {
        shards[i].sub_up = c;
        // Messages may have been missed while the subscriber was down.
        if (c && shards[i].cmd_up) {
          for (auto& [id, r] : rooms) {
            if (r.shard == i) resync(r);
          }
        }
        update_state();
      });
      s.sub->on_message([this](std::string_view channel, std::string_view payload) {
        auto it = rooms.find(std::string(channel));
        if (it == rooms.end()) return;
        wire_event w;
        if (parse_wire(payload, w)) receive(it->second, std::move(w));
      });
      s.cmd->connect(a.host, a.port);
      s.sub->connect(a.host, a.port);
    }
    schedule_refresh();
    thread = std::thread([this] {
      auto guard = asio::make_work_guard(io);
      io.run();
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
    shards[0].cmd->command({"HGETALL", "rt:{" + nd.event().id + "}:tables"}, [this](reply r) {
      if (r.type != reply::kind::array) return;
      for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        // create_table posts add_room back to this thread.
        auto t = table_from_json(r.elements[i + 1].str);
        if (t && !nd.find_room(t->id)) nd.create_table(*t);
      }
    });
  }

  void add_room(room_slot& s) {
    auto const& id = s.config.id;
    room_sync r;
    r.slot = &s;
    r.shard = shard_of(id);
    r.prefix = "rt:{" + nd.event().id + ":" + id + "}";
    protocol::append_json_string(r.room_json, id);
    auto [it, fresh] = rooms.emplace(r.prefix, std::move(r));
    if (!fresh) return;
    auto& sh = shards[it->second.shard];
    sh.sub->subscribe(it->second.prefix);
    if (sh.cmd_up) resync(it->second);
    update_state();
  }

  // Loads the room from Redis: epoch (created if missing), seq, state, the
  // last `history` events and the roster; then replays what arrived meanwhile.
  void resync(room_sync& r) {
    if (r.loading) return;
    r.loading = true;
    r.live = false;
    auto& c = *shards[r.shard].cmd;
    auto got = std::make_shared<std::vector<reply>>(4);
    auto left = std::make_shared<int>(4);
    auto done = [this, &r, got, left](std::size_t i, reply rep) {
      (*got)[i] = std::move(rep);
      if (--*left == 0) loaded(r, *got);
    };
    c.evalsha(script, keys_of(r), args(r, "init"),
              [done](reply rep) mutable { done(0, std::move(rep)); });
    c.command({"HGETALL", key(r, "state")}, [done](reply rep) mutable { done(1, std::move(rep)); });
    c.command({"XREVRANGE", key(r, "stream"), "+", "-", "COUNT", std::to_string(stream_length())},
              [done](reply rep) mutable { done(2, std::move(rep)); });
    c.command({"HGETALL", key(r, "roster")},
              [done](reply rep) mutable { done(3, std::move(rep)); });
  }

  void loaded(room_sync& r, std::vector<reply> const& got) {
    r.loading = false;
    for (auto const& g : got) {
      if (g.is_error() || g.type != reply::kind::array) {
        log::warn("redis load failed", {{"room", r.prefix}, {"error", g.str}});
        return;  // the next reconnect tries again
      }
    }
    auto const seq = static_cast<std::uint64_t>(got[0].elements.at(0).integer);
    auto const epoch = std::strtoull(got[0].elements.at(1).str.c_str(), nullptr, 10);
    std::string state;
    std::uint64_t state_seq = 0;
    for (std::size_t i = 0; i + 1 < got[1].elements.size(); i += 2) {
      if (got[1].elements[i].str == "state") state = got[1].elements[i + 1].str;
      if (got[1].elements[i].str == "seq")
        state_seq = std::strtoull(got[1].elements[i + 1].str.c_str(), nullptr, 10);
    }
    std::vector<wire_event> window;
    for (auto it = got[2].elements.rbegin(); it != got[2].elements.rend(); ++it) {
      if (it->elements.size() != 2 || it->elements[1].elements.size() != 2) continue;
      wire_event w;
      if (parse_wire(it->elements[1].elements[1].str, w) && w.epoch == epoch)
        window.push_back(std::move(w));
    }
    std::map<std::string, participant> roster;
    simdjson::dom::parser parser;
    for (std::size_t i = 0; i + 1 < got[3].elements.size(); i += 2) {
      simdjson::dom::element e;
      if (parser.parse(got[3].elements[i + 1].str).get(e)) continue;
      participant p;
      std::string_view v;
      if (!e["id"].get(v)) p.id = v;
      if (!e["name"].get(v)) p.name = v;
      if (!e["role"].get(v)) p.who = auth::parse_role(v).value_or(role::participant);
      roster.emplace(got[3].elements[i].str, std::move(p));
    }
    bool const same_epoch = r.epoch == epoch && r.epoch != 0;
    if (same_epoch && !window.empty() && window.front().seq > r.seq + 1) {
      // Beyond even the stream: members see the gap and take a snapshot.
      log::warn("redis: events missed beyond the stream", {{"room", r.prefix}});
    }
    auto const from = r.seq;
    r.epoch = epoch;
    r.seq = seq;
    auto held = std::exchange(r.held, {});
    r.live = true;
    update_state();
    nd.on_home(*r.slot, [engine = &self, state = std::move(state), state_seq,
                         window = std::move(window), roster = std::move(roster), epoch, seq,
                         same_epoch, from](room& rm) mutable {
      if (same_epoch && rm.epoch() == epoch) {
        // A reconnect: apply what this node missed, in order.
        for (auto& w : window) {
          if (w.seq > from)
            rm.apply(w.seq, w.epoch, w.draft, std::make_shared<std::string const>(w.json));
        }
        rm.set_roster(std::move(roster));
        return;
      }
      // First load (or Redis lost the room): state, then the window on top.
      std::vector<history_entry> history;
      std::vector<wire_event const*> newer;
      for (auto const& w : window) {
        if (w.seq <= state_seq) {
          history.push_back(history_entry{w.seq, w.draft.type, w.draft.item, w.draft.author,
                                          w.draft.ts, std::make_shared<std::string const>(w.json),
                                          w.json.find("\"deleted\":true") != std::string::npos});
        } else {
          newer.push_back(&w);
        }
      }
      bool const keep_state = state.empty() && rm.epoch() != epoch;
      rm.set_epoch(epoch);
      if (keep_state) {
        // Redis has no state for this room (it lost it): keep ours, write it back.
        rm.restore(0, rm.state_json(), std::move(history));
        engine->on_state(rm.id(), epoch, rm.seq(), rm.state_json());
      } else {
        rm.restore(std::min<std::uint64_t>(state_seq, seq), state, std::move(history));
      }
      for (auto const* w : newer)
        rm.apply(w->seq, w->epoch, w->draft, std::make_shared<std::string const>(w->json));
      rm.set_roster(std::move(roster));
      (void)seq;
    });
    for (auto& w : held) receive(r, std::move(w));
  }

  // An event from the subscription (or a fetch): in order, or fetch the gap.
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
    if (w.epoch == r.epoch && w.seq <= r.seq) return;  // already applied
    bool const next =
        (w.epoch == r.epoch && w.seq == r.seq + 1) || (w.epoch != r.epoch && w.seq == 1);
    if (!next) {
      fetch_gap(r, w);
      return;
    }
    r.epoch = w.epoch;
    r.seq = w.seq;
    nd.on_home(*r.slot, [w = std::move(w)](room& rm) {
      rm.apply(w.seq, w.epoch, w.draft, std::make_shared<std::string const>(std::move(w.json)));
    });
  }

  void fetch_gap(room_sync& r, wire_event w) {
    r.fetching = true;
    r.held.push_back(std::move(w));
    bool const new_epoch = r.held.front().epoch != r.epoch;
    auto const from = new_epoch ? std::uint64_t{1} : r.seq + 1;
    shards[r.shard].cmd->command(
        {"XRANGE", key(r, "stream"), std::to_string(from) + "-0", "+"}, [this, &r](reply rep) {
          r.fetching = false;
          auto held = std::exchange(r.held, {});
          std::vector<wire_event> fetched;
          if (rep.type == reply::kind::array) {
            for (auto const& e : rep.elements) {
              wire_event x;
              if (e.elements.size() == 2 && e.elements[1].elements.size() == 2 &&
                  parse_wire(e.elements[1].elements[1].str, x)) {
                fetched.push_back(std::move(x));
              }
            }
          }
          bool const continuous =
              !fetched.empty() &&
              ((fetched.front().epoch == r.epoch && fetched.front().seq == r.seq + 1) ||
               (fetched.front().epoch != r.epoch && fetched.front().seq == 1));
          if (!continuous) {
            // Trimmed past the window, or Redis lost it: load the room afresh.
            r.held = std::move(held);
            r.epoch = 0;
            resync(r);
            return;
          }
          for (auto& x : fetched) {
            if (x.epoch != r.epoch || x.seq == r.seq + 1) receive(r, std::move(x));
          }
          for (auto& x : held) receive(r, std::move(x));
        });
  }

  void submit(room& rm, event_draft d, std::uint64_t ticket) {
    auto const id = rm.id();
    asio::post(io, [this, id, d = std::move(d), ticket, &rm]() mutable {
      auto* slot = nd.find_room(id);
      auto it = rooms.find("rt:{" + nd.event().id + ":" + id + "}");
      auto fail = [&] {
        nd.on_home(*slot, [ticket](room& x) {
          x.failed(ticket, {error_code::unavailable, "Redis is unreachable; try again"});
        });
      };
      if (it == rooms.end() || !it->second.live || !shards[it->second.shard].cmd_up) return fail();
      auto& r = it->second;
      auto a = args(r, "publish");
      a[5] = d.type;
      a[6] = clean(d.item);
      a[7] = clean(d.author);
      a[8] = clean(d.aux);
      a[9] = std::to_string(d.ts);
      a[10] = d.body;
      if (d.type == "presence" && d.body.find("\"joined\"") != std::string::npos) {
        a[12] = d.body.substr(d.body.find('{'), d.body.rfind('}') - d.body.find('{') + 1);
      }
      shards[r.shard].cmd->evalsha(script, keys_of(r), a, [this, slot, ticket](reply rep) {
        if (rep.type != reply::kind::array || rep.elements.size() != 2) {
          nd.on_home(*slot, [ticket](room& x) {
            x.failed(ticket, {error_code::unavailable, "Redis is unreachable; try again"});
          });
          return;
        }
        auto const seq = static_cast<std::uint64_t>(rep.elements[0].integer);
        auto const epoch = std::strtoull(rep.elements[1].str.c_str(), nullptr, 10);
        nd.on_home(*slot, [ticket, seq, epoch](room& x) {
          // seq 0: the script decided not to publish (a timer already ended).
          x.sequenced(ticket, seq == 0 ? 0 : epoch, seq);
        });
      });
    });
  }

  void schedule_refresh() {
    refresh.expires_after(std::chrono::milliseconds(nd.opts().presence_ttl) / 6);
    refresh.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto const expiry =
          std::to_string(now_ms() + std::chrono::milliseconds(nd.opts().presence_ttl).count());
      for (auto& [prefix, r] : rooms) {
        if (!shards[r.shard].cmd_up || !r.live) continue;
        // Our own connections: keep them alive; then reap the dead.
        auto const node_prefix = self.node_id() + ":";
        nd.on_home(*r.slot, [this, &r, expiry, node_prefix](room& rm) {
          std::vector<std::string> mine;
          for (auto const& [conn, p] : rm.roster_view()) {
            if (conn.rfind(node_prefix, 0) == 0) mine.push_back(conn);
          }
          asio::post(io, [this, &r, expiry, mine = std::move(mine)] {
            if (!mine.empty()) {
              std::vector<std::string> cmd{"ZADD", key(r, "presence"), "XX"};
              for (auto const& m : mine) {
                cmd.push_back(expiry);
                cmd.push_back(m);
              }
              shards[r.shard].cmd->command(std::move(cmd), [](reply) {});
            }
            shards[r.shard].cmd->evalsha(script, keys_of(r), args(r, "reap"), [](reply) {});
          });
        });
      }
      schedule_refresh();
    });
  }
};

redis_engine::redis_engine(node& n, std::vector<redis_address> shards, std::string node_id)
    : impl_(std::make_unique<impl>(*this, n, std::move(shards))), node_id_(std::move(node_id)) {}

redis_engine::~redis_engine() {
  stop();
}

void redis_engine::start() {
  impl_->start();
}

void redis_engine::stop() {
  if (!impl_->thread.joinable()) return;
  // The connections belong to the engine thread: destroy them there.
  asio::post(impl_->io, [i = impl_.get()] {
    i->refresh.cancel();
    i->shards.clear();
    i->io.stop();
  });
  impl_->thread.join();
}

void redis_engine::add_room(room_slot& s) {
  asio::post(impl_->io, [i = impl_.get(), &s] { i->add_room(s); });
}

bool redis_engine::ready() const noexcept {
  return impl_->ready.load();
}
bool redis_engine::connected() const noexcept {
  return impl_->up.load();
}

void redis_engine::table_created(table_config const& t) {
  asio::post(impl_->io, [i = impl_.get(), id = t.id, json = table_json(t)] {
    if (i->shards.empty() || !i->shards[0].cmd_up) return;
    i->shards[0].cmd->command({"HSET", "rt:{" + i->nd.event().id + "}:tables", id, json},
                              [](reply) {});
  });
}

void redis_engine::submit(room& r, event_draft d, std::uint64_t ticket) {
  impl_->submit(r, std::move(d), ticket);
}

void redis_engine::on_rewrite(std::string const& room, std::uint64_t epoch,
                              history_entry const& e) {
  // The stream keeps the original entry; deletions live in the state (the
  // `deleted` event is in the stream after it), so a loading node rewrites it.
  (void)room;
  (void)epoch;
  (void)e;
}

void redis_engine::on_state(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                            std::string const& state_json) {
  asio::post(impl_->io, [i = impl_.get(), room, epoch, seq, state = state_json] {
    auto it = i->rooms.find("rt:{" + i->nd.event().id + ":" + room + "}");
    if (it == i->rooms.end() || !i->shards[it->second.shard].cmd_up) return;
    i->shards[it->second.shard].cmd->evalsha(
        i->state_script, {i->key(it->second, "state")},
        {std::to_string(seq), std::to_string(epoch), "", state}, [](reply) {});
  });
}

}  // namespace roundtable
