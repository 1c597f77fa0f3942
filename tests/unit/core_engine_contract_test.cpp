// The engine contract (engine/engine.hpp), driven directly, without sockets
// or a node: a test host plays the node (one io_context and thread per node,
// home of its rooms) and records every command the engine delivers. Each case
// runs on the memory engine without and with a data dir, on the Redis engine
// (a real redis-server on a free port, two engine instances: two nodes), and
// on a fake engine that holds commands and delivers them late, several at
// once, in order. Commands are appended from several threads at once; every
// replica must receive the same commands in the same order at gapless
// positions, and reach the same state and event bytes as a room on the memory
// engine fed that order (the reference). Also: a room loads from what the
// engine keeps (snapshot plus the log's tail), readiness, presence expiry.
#include "engine/engine.hpp"
#include "engine/memory_engine.hpp"

#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

// The log position of the room's snapshot in Redis (0: none), as redis-cli reads it.
std::uint64_t snapshot_lsn(int port, std::string const& room) {
  test::child_process cli({"redis-cli", "-p", std::to_string(port), "HGET",
                           "rt:{contract:" + room + "}:snapshot", "lsn"});
  cli.wait();
  return std::strtoull(cli.wait_output().c_str(), nullptr, 10);
}

// Polls `pred` until it holds or `timeout` passes; returns whether it held.
template <class P>
bool eventually(P pred, std::chrono::milliseconds timeout = 10s) {
  auto const end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A command as the engine delivered it to one node.
struct delivered {
  std::string room;
  std::uint64_t epoch = 0, lsn = 0;
  std::string json;  // command_json
};

// One node: its rooms live on one io_context run by one thread. It records
// what the engine delivers and every event its rooms emit.
class test_node final : public engine_host {
 public:
  explicit test_node(std::string name) : name_(std::move(name)) {
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~test_node() override { stop(); }

  void use(std::unique_ptr<engine> e) { engine_ = std::move(e); }
  engine& eng() { return *engine_; }
  std::string const& name() const noexcept { return name_; }

  // Stops the engine, then the rooms' thread (the engine posts to it).
  void stop() {
    if (engine_) engine_->stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `f(room&)` on the home thread and waits for its result.
  template <class F>
  auto at_home(std::string const& id, F f) {
    using result = decltype(f(std::declval<room&>()));
    std::promise<result> p;
    asio::post(io_, [&] {
      if constexpr (std::is_void_v<result>) {
        f(*rooms_.at(id));
        p.set_value();
      } else {
        p.set_value(f(*rooms_.at(id)));
      }
    });
    return p.get_future().get();
  }

  // Makes the room through the engine; returns whether it was restored.
  bool open(table_config const& cfg) {
    std::promise<bool> p;
    asio::post(io_, [&] {
      auto made = engine_->make_room(cfg, [](room&) {});
      rooms_[cfg.id] = std::move(made.r);
      engine_->add_room(cfg.id);
      p.set_value(made.restored);
    });
    return p.get_future().get();
  }

  // Makes the room and joins `who` before the engine hears of the room, as a
  // node's worker may when another thread has just listed a new table; the
  // join's outcome, or nullopt if none came.
  std::optional<outcome> open_joining_first(table_config const& cfg, participant who) {
    std::promise<outcome> p;
    asio::post(io_, [&] {
      auto made = engine_->make_room(cfg, [](room&) {});
      auto& r = *(rooms_[cfg.id] = std::move(made.r));
      r.after(r.join({7, 0, std::move(who)}, t0), [&p](outcome o) { p.set_value(std::move(o)); });
      engine_->add_room(cfg.id);
      collect(r);
    });
    auto f = p.get_future();
    if (f.wait_for(20s) != std::future_status::ready) return std::nullopt;
    return f.get();
  }

  // Appends `c` to the room's log from the room's home thread (any caller).
  void append(std::string const& id, room_command c) {
    asio::post(io_, [this, id, c = std::move(c)]() mutable {
      auto& r = *rooms_.at(id);
      engine_->submit(r, std::move(c));
      collect(r);
    });
  }

  void on_home(std::string const& id, std::function<void(room&)> fn) override {
    asio::post(io_, [this, id, fn = std::move(fn)] {
      auto it = rooms_.find(id);
      if (it == rooms_.end()) return;
      fn(*it->second);
      collect(*it->second);
    });
  }
  void deliver(room& r, std::uint64_t epoch, std::uint64_t lsn, room_command const& c) override {
    {
      std::lock_guard lock(mutex_);
      log_.push_back({r.id(), epoch, lsn, command_json(c)});
    }
    r.apply(lsn, epoch, c);
  }
  void table_found(table_config const&) override {}

  std::vector<delivered> log(std::string const& id) {
    std::lock_guard lock(mutex_);
    std::vector<delivered> out;
    for (auto const& d : log_) {
      if (d.room == id) out.push_back(d);
    }
    return out;
  }
  std::vector<std::string> events(std::string const& id) {
    std::lock_guard lock(mutex_);
    return events_[id];
  }

 private:
  void collect(room& r) {
    auto out = r.take_outbox();
    {
      std::lock_guard lock(mutex_);
      for (auto const& b : out) events_[r.id()].push_back(*b);
    }
    for (auto& fn : r.take_ready()) fn();
  }

  std::string name_;
  asio::io_context io_{1};
  std::unique_ptr<engine> engine_;
  std::map<std::string, std::unique_ptr<room>> rooms_;  // home thread only; before the engine goes
  std::mutex mutex_;
  std::vector<delivered> log_;
  std::map<std::string, std::vector<std::string>> events_;
  std::thread thread_;  // last: joined before the rest goes
};

// The fake engine's shared log: submit() holds commands; a pump thread gives
// them their places late (1-6 ms) and delivers them to every node several at
// once (1-8), in order.
class delaying_log {
 public:
  static constexpr std::uint64_t epoch = 77;
  delaying_log() {
    pump_ = std::thread([this] { run(); });
  }
  ~delaying_log() {
    stop_ = true;
    pump_.join();
  }
  void attach(test_node& n) {
    std::lock_guard lock(mutex_);
    nodes_.push_back(&n);
  }
  void hold(std::string room, room_command c) {
    std::lock_guard lock(mutex_);
    held_.emplace_back(std::move(room), std::move(c));
  }

 private:
  struct placed {
    std::uint64_t lsn;
    room_command c;
  };
  void run() {
    std::mt19937 rng(7);
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 6));
      std::lock_guard lock(mutex_);
      auto const n = std::min<std::size_t>(held_.size(), 1 + rng() % 8);
      std::map<std::string, std::vector<placed>> batch;
      for (std::size_t i = 0; i < n; ++i) {
        auto& [room_id, c] = held_[i];
        batch[room_id].push_back({++lsn_[room_id], std::move(c)});
      }
      held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
      for (auto const& [room_id, cmds] : batch) {
        for (auto* node : nodes_) {
          node->on_home(room_id, [node, cmds](room& r) {
            for (auto const& p : cmds) node->deliver(r, epoch, p.lsn, p.c);
          });
        }
      }
    }
  }

  std::mutex mutex_;
  std::vector<test_node*> nodes_;
  std::vector<std::pair<std::string, room_command>> held_;
  std::map<std::string, std::uint64_t> lsn_;
  std::atomic<bool> stop_{false};
  std::thread pump_;
};

class delaying_engine final : public engine {
 public:
  delaying_engine(delaying_log& l, std::string id) : log_(l), id_(std::move(id)) {}
  void submit(room& r, room_command c) override { log_.hold(r.id(), std::move(c)); }
  std::string const& node_id() const noexcept override { return id_; }
  made_room make_room(table_config const& cfg, std::function<void(room&)> const& setup) override {
    auto r = std::make_unique<room>(cfg, delaying_log::epoch, 1000, nullptr, this);
    setup(*r);
    return {std::move(r), false};
  }

 private:
  delaying_log& log_;
  std::string id_;
};

// The engines under test, by name, with their nodes.
struct cluster {
  explicit cluster(std::string const& kind) {
    if (kind == "memory") add_memory({});
    if (kind == "memory+data-dir") add_memory(dir.path());
    if (kind == "redis") {
      redis = std::make_unique<test::redis_process>();
      add_redis("A");
      add_redis("B");
    }
    if (kind == "fake") {
      fake = std::make_unique<delaying_log>();
      for (auto const* id : {"A", "B"}) {
        auto& n = *nodes.emplace_back(std::make_unique<test_node>(id));
        n.use(std::make_unique<delaying_engine>(*fake, id));
        fake->attach(n);
      }
    }
    for (auto& n : nodes) n->eng().start();
  }
  ~cluster() {
    fake.reset();  // its pump posts to the nodes
    for (auto& n : nodes) n->stop();
  }

  engine_settings redis_settings(std::string const& id) const {
    engine_settings s;
    s.event_id = "contract";
    s.node_id = id;
    s.redis = {"redis://127.0.0.1:" + std::to_string(redis->port)};
    s.presence_ttl = 1200ms;
    return s;
  }
  test_node& add_memory(std::string const& data_dir) {
    auto& n = *nodes.emplace_back(std::make_unique<test_node>("local"));
    engine_settings s;
    s.data_dir = data_dir;
    n.use(make_engine(n, s));
    return n;
  }
  test_node& add_redis(std::string const& id) {
    auto& n = *nodes.emplace_back(std::make_unique<test_node>(id));
    n.use(make_engine(n, redis_settings(id)));
    return n;
  }
  void open(table_config const& cfg) {
    for (auto& n : nodes) n->open(cfg);
    REQUIRE(eventually([&] {
      for (auto& n : nodes) {
        if (!n->eng().ready()) return false;
      }
      return true;
    }));
  }

  test::temp_dir dir;
  std::unique_ptr<test::redis_process> redis;
  std::unique_ptr<delaying_log> fake;
  std::vector<std::unique_ptr<test_node>> nodes;
};

participant person(int i) {
  return participant{"p" + std::to_string(i), "Person " + std::to_string(i), role::participant, {}};
}

// A command from participant `who` on node `n`'s connection `serial`.
room_command command(test_node& n, std::uint64_t ticket, participant who, int serial,
                     command_op op) {
  return room_command{n.eng().node_id(),
                      ticket,
                      n.name() + ":" + std::to_string(serial),
                      std::move(who),
                      t0 + static_cast<std::int64_t>(ticket),
                      std::move(op)};
}

// Applies `log` on a room of the memory engine, the reference: its events
// and state must be those of every replica fed the same log.
struct reference {
  struct host final : engine_host {
    void on_home(std::string const&, std::function<void(room&)>) override {}
    void table_found(table_config const&) override {}
  } h;
  memory_engine mem{h, engine_settings{}};
  std::vector<std::string> events;
  std::string state;

  reference(table_config const& cfg, std::vector<delivered> const& log) {
    REQUIRE(!log.empty());
    room r(cfg, log.front().epoch, 1000, nullptr, &mem);
    for (auto const& d : log) {
      auto c = command_from_json(d.json);
      REQUIRE(c);
      mem.submit(r, std::move(*c));
      REQUIRE(r.log_position() == d.lsn);
    }
    for (auto const& b : r.take_outbox()) events.push_back(*b);
    state = r.replica_json();
  }
};

std::string replica_state(test_node& n, std::string const& id) {
  return n.at_home(id, [](room& r) { return r.replica_json(); });
}

}  // namespace

TEST_CASE(
    "engines: commands appended from several threads reach every replica in one gapless "
    "order, with the memory engine's state and events",
    "[engine]") {
  auto const kind = GENERATE(as<std::string>{}, "memory", "memory+data-dir", "redis", "fake");
  INFO(kind);
  cluster c(kind);
  constexpr int seats = 3, people = 6, says = 8;
  constexpr int reps = 5;
  for (int rep = 0; rep < reps; ++rep) {
    table_config const cfg{"t" + std::to_string(rep), "Topic", "Grace", seats, true};
    c.open(cfg);
    auto& first = *c.nodes.front();
    participant const mod{"mod", "Grace", role::moderator, cfg.id};
    // The moderator sits (never refused) and posts the insight everyone votes on.
    first.append(cfg.id, command(first, 1, mod, 100, cmd::join{}));
    first.append(cfg.id, command(first, 2, mod, 100, cmd::insight{"i-seed", "Seed", ""}));
    for (auto& n : c.nodes) REQUIRE(eventually([&] { return n->log(cfg.id).size() == 2; }));
    std::size_t const total = 2 + people * (3 + says);
    // Six people on alternate nodes, one thread each, all at once: join a
    // table of three seats, raise a hand, vote, say things.
    std::vector<std::thread> threads;
    std::atomic<int> go{0};
    for (int i = 0; i < people; ++i) {
      threads.emplace_back([&, i] {
        auto& n = *c.nodes[static_cast<std::size_t>(i) % c.nodes.size()];
        go.fetch_add(1);
        while (go.load() < people) std::this_thread::yield();
        std::uint64_t ticket = 1000 * static_cast<std::uint64_t>(i + 1);
        n.append(cfg.id, command(n, ++ticket, person(i), i, cmd::join{}));
        n.append(cfg.id, command(n, ++ticket, person(i), i, cmd::hand{true}));
        n.append(cfg.id, command(n, ++ticket, person(i), i, cmd::vote{"i-seed", true}));
        for (int k = 0; k < says; ++k) {
          auto const id = "m-" + std::to_string(i) + "-" + std::to_string(k);
          n.append(cfg.id, command(n, ++ticket, person(i), i, cmd::say{id, "hello " + id, ""}));
        }
      });
    }
    for (auto& t : threads) t.join();
    for (auto& n : c.nodes) {
      INFO(n->name());
      REQUIRE(eventually([&] { return n->log(cfg.id).size() >= total; }));
    }
    auto const log = first.log(cfg.id);
    REQUIRE(log.size() == total);
    for (std::size_t i = 0; i < log.size(); ++i) {
      CHECK(log[i].lsn == i + 1);  // gapless, from the first position
      CHECK(log[i].epoch == log.front().epoch);
    }
    reference const ref(cfg, log);
    for (auto& n : c.nodes) {
      INFO(n->name());
      auto const mine = n->log(cfg.id);
      REQUIRE(mine.size() == total);
      for (std::size_t i = 0; i < total; ++i) {
        CHECK(mine[i].lsn == log[i].lsn);
        CHECK(mine[i].json == log[i].json);
      }
      CHECK(n->events(cfg.id) == ref.events);
      CHECK(replica_state(*n, cfg.id) == ref.state);
      // The rules held against the log: three seats (the moderator's one of
      // them), one hand and one vote for each seated participant, none lost.
      auto const [seated, hands, votes] = n->at_home(cfg.id, [](room& r) {
        return std::tuple{r.roster_view().size(), r.hands_waiting(),
                          r.ranked_insights().front()->voters.size()};
      });
      CHECK(seated == seats);
      CHECK(hands == seats - 1);
      CHECK(votes == seats - 1);
    }
  }
}

// Regression: the Redis engine refused (`unavailable`) a command for a room
// whose add_room had not reached it yet; under load, a join of a table just
// created could get there first.
TEST_CASE("engines: a command may come before the engine hears of its room", "[engine]") {
  auto const kind = GENERATE(as<std::string>{}, "memory", "redis", "fake");
  INFO(kind);
  cluster c(kind);
  table_config const cfg{"new", "Topic", "Grace", 0, true};
  for (std::size_t i = 1; i < c.nodes.size(); ++i) c.nodes[i]->open(cfg);
  auto const joined = c.nodes.front()->open_joining_first(cfg, person(1));
  REQUIRE(joined);
  CHECK_FALSE(*joined);
  for (auto& n : c.nodes) {
    INFO(n->name());
    CHECK(eventually([&] { return n->log(cfg.id).size() == 1; }));
  }
}

TEST_CASE("engines: a room comes back from what the engine keeps", "[engine]") {
  table_config const cfg{"t1", "Topic", "Grace", 0, true};
  participant const mod{"mod", "Grace", role::moderator, cfg.id};
  auto fill = [&](test_node& n, int count) {
    n.append(cfg.id, command(n, 1, mod, 1, cmd::join{}));
    for (int k = 0; k < count; ++k) {
      auto const id = "m-" + std::to_string(k);
      n.append(cfg.id, command(n, 2 + static_cast<std::uint64_t>(k), mod, 1,
                               cmd::say{id, "said " + id, ""}));
    }
    REQUIRE(
        eventually([&] { return n.log(cfg.id).size() == 1 + static_cast<std::size_t>(count); }));
  };

  SECTION("the memory engine with a data dir: its store, after a restart") {
    cluster c("memory+data-dir");
    c.open(cfg);
    fill(*c.nodes.front(), 30);
    // The epoch, the seq and the history window (what a resuming client is
    // replayed), and the state the store keeps.
    auto window = [&](test_node& n) {
      return n.at_home(cfg.id, [](room& r) {
        std::vector<buffer> out;
        r.replay(r.epoch(), 0, out);
        std::vector<std::string> events;
        for (auto const& b : out) events.push_back(*b);
        return std::tuple{r.epoch(), r.seq(), events, r.ranked_insights().size()};
      });
    };
    auto& first = *c.nodes.front();
    first.append(cfg.id, command(first, 100, mod, 1, cmd::insight{"i-1", "kept", ""}));
    REQUIRE(eventually([&] { return first.log(cfg.id).size() == 32; }));
    auto const before = window(first);
    CHECK(std::get<2>(before).size() == 32);
    c.nodes.front()->stop();
    c.nodes.clear();  // the store closes
    auto& again = c.add_memory(c.dir.path());
    CHECK(again.open(cfg));
    CHECK(window(again) == before);
  }

  SECTION("the memory engine without a data dir keeps nothing") {
    cluster c("memory");
    c.open(cfg);
    fill(*c.nodes.front(), 3);
    c.nodes.front()->stop();
    c.nodes.clear();
    auto& again = c.add_memory({});
    CHECK_FALSE(again.open(cfg));
    CHECK(again.at_home(cfg.id, [](room& r) { return r.seq(); }) == 0);
  }

  SECTION("the Redis engine: a node that starts later loads the snapshot and the log's tail") {
    cluster c("redis");
    c.open(cfg);
    // Past the first snapshot position (every 500 commands by default).
    fill(*c.nodes.front(), 520);
    REQUIRE(eventually([&] { return c.nodes[1]->log(cfg.id).size() == 521; }));
    // Written by the node whose command landed at 500, after it applied it:
    // a node that loads before it lands reads the whole log, as it should.
    REQUIRE(eventually([&] { return snapshot_lsn(c.redis->port, cfg.id) == 500; }));
    auto& late = c.add_redis("C");
    late.eng().start();
    late.open(cfg);
    REQUIRE(eventually([&] { return late.eng().ready(); }));
    REQUIRE(eventually(
        [&] { return late.at_home(cfg.id, [](room& r) { return r.log_position(); }) == 521; }));
    auto const tail = late.log(cfg.id);
    REQUIRE(!tail.empty());
    CHECK(tail.front().lsn > 1);  // from a snapshot, not from the first command
    CHECK(replica_state(late, cfg.id) == replica_state(*c.nodes.front(), cfg.id));
  }
}

TEST_CASE("engines: readiness", "[engine]") {
  SECTION("the memory engine is ready at once") {
    cluster c("memory");
    CHECK(c.nodes.front()->eng().ready());
    CHECK(c.nodes.front()->eng().gauges().empty());
  }
  SECTION("the Redis engine: once connected with every room loaded; not while Redis is away") {
    auto redis = std::make_unique<test::redis_process>();
    test_node n("A");
    engine_settings s;
    s.node_id = "A";
    s.redis = {"redis://127.0.0.1:" + std::to_string(redis->port)};
    n.use(make_engine(n, s));
    CHECK_FALSE(n.eng().ready());
    n.eng().start();
    n.open({"t1", "Topic", "Grace", 0, true});
    REQUIRE(eventually([&] { return n.eng().ready(); }));
    CHECK(n.eng().gauges().at(0).value == 1);
    redis.reset();
    CHECK(eventually([&] { return !n.eng().ready(); }));
    CHECK(n.eng().gauges().at(0).value == 0);
  }
}

TEST_CASE("engines: Redis presence of a node that stopped expires on the others", "[engine]") {
  cluster c("redis");
  table_config const cfg{"t1", "Topic", "Grace", 0, true};
  c.open(cfg);
  auto& a = *c.nodes[0];
  auto& b = *c.nodes[1];
  a.append(cfg.id, command(a, 1, person(1), 1, cmd::join{}));
  b.append(cfg.id, command(b, 1, person(2), 1, cmd::join{}));
  auto roster = [&](test_node& n) {
    return n.at_home(cfg.id, [](room& r) {
      std::vector<std::string> out;
      for (auto const& [conn, p] : r.roster_view()) out.push_back(conn);
      return out;
    });
  };
  std::vector<std::string> const both{"A:1", "B:1"};
  REQUIRE(eventually([&] { return roster(a) == both; }));
  b.stop();  // no leave: as if the node died
  // Its connection's presence expires (1.2 s) and A's reaper applies a leave;
  // A's own connection is refreshed and stays.
  CHECK(eventually([&] { return roster(a) == std::vector<std::string>{"A:1"}; }));
  std::this_thread::sleep_for(1500ms);
  CHECK(roster(a) == std::vector<std::string>{"A:1"});
}
