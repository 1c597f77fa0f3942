// Redis Sentinel failover under load, end to end: a master, two replicas and
// three sentinels on free ports; two roundtable-server nodes given
// `--redis sentinel://...` and `--redis-wait-replicas 1`; clients on both nodes
// posting messages without pause; the master killed with SIGKILL. The service
// must resume (the time is printed, and bounded only generously), the clients
// may see only `unavailable` meanwhile, and every message answered ok must be
// in the room afterwards, in its sender's order, the same on both nodes.
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

// What `redis-cli -p PORT args...` printed.
std::string redis_cli(int port, std::vector<std::string> args) {
  args.insert(args.begin(), {"redis-cli", "-p", std::to_string(port)});
  child_process cli(std::move(args));
  auto out = cli.wait_output();
  cli.wait();
  return out;
}

// The sentinels know both replicas and each other: a failover can be agreed.
bool sentinels_ready(std::vector<std::unique_ptr<sentinel_process>> const& sentinels) {
  for (auto const& s : sentinels) {
    auto const out = redis_cli(s->port, {"SENTINEL", "master", "main"});
    if (out.find("num-slaves\n2\n") == std::string::npos ||
        out.find("num-other-sentinels\n2\n") == std::string::npos)
      return false;
  }
  return true;
}

bool eventually(std::function<bool()> const& ok, std::chrono::seconds limit) {
  auto const until = clock_type::now() + limit;
  while (!ok()) {
    if (clock_type::now() > until) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// One client posting numbered messages one after another, on its own thread.
struct talker {
  std::unique_ptr<ws_client> ws;
  std::string name;
  std::vector<std::string> ok;        // texts answered ok, in sending order
  std::map<std::string, int> errors;  // error code -> count
  std::optional<clock_type::time_point> first_ok_after_kill;
  // Set once first_ok_after_kill is: the main thread polls this, not the optional.
  std::unique_ptr<std::atomic<bool>> answered = std::make_unique<std::atomic<bool>>(false);
  std::string broke;  // what ended the loop early (no reply, a closed link)

  void run(std::atomic<bool> const& stop, std::atomic<bool> const& killed) {
    for (int n = 0; !stop; ++n) {
      auto const text = name + "-" + std::to_string(n);
      try {
        auto r = ws->request("say", "\"room\":\"synergies\",\"text\":\"" + text + "\"", 20s);
        if (r.boolean("ok")) {
          ok.push_back(text);
          if (killed && !first_ok_after_kill) {
            first_ok_after_kill = clock_type::now();
            answered->store(true);
          }
        } else {
          ++errors[r.str("/error/code")];
        }
      } catch (std::exception const& e) {
        broke = e.what();
        return;
      }
      std::this_thread::sleep_for(15ms);
    }
  }
};

// The room's messages as "seq:text", read by a fresh client resuming from seq 0.
// Its join is an op like any other: until the new master's replica confirms
// it (WAIT), it may answer `unavailable`, and the resume then recovers nothing;
// the reader tries again for up to 10 s, as a client would.
std::vector<std::string> messages_on(int port, std::int64_t epoch) {
  std::unique_ptr<ws_client> reader;
  std::optional<message> hello;
  for (int attempt = 0; attempt < 20; ++attempt) {
    reader = std::make_unique<ws_client>(port);
    hello = reader->hello(
        "reader", "\"resume\":{\"synergies\":{\"epoch\":" + std::to_string(epoch) + ",\"seq\":0}}");
    REQUIRE(hello->boolean("ok"));
    if (hello->boolean("/recovered/synergies")) break;
    std::this_thread::sleep_for(500ms);
  }
  REQUIRE(hello->boolean("/recovered/synergies"));
  std::vector<std::string> out;
  for (auto const& m : reader->drain(300ms)) {
    if (m.type() == "message" && m.str("room") == "synergies" &&
        m.num("seq") <= hello->num("/table/seq"))
      out.push_back(std::to_string(m.num("seq")) + ":" + m.str("text"));
  }
  return out;
}

}  // namespace

TEST_CASE("Sentinel failover under load: service resumes, no message answered ok is lost",
          "[failover][redis][sentinel]") {
  // A full sync starts at once rather than after Redis's default 5 s wait for
  // more replicas (a promoted replica may have to serve one).
  std::vector<std::string> const no_delay{"--repl-diskless-sync-delay", "0"};
  redis_process master{no_delay};
  auto replica_args = no_delay;
  replica_args.insert(replica_args.end(),
                      {"--replicaof", "127.0.0.1", std::to_string(master.port)});
  redis_process replica1{replica_args}, replica2{replica_args};
  std::vector<std::unique_ptr<sentinel_process>> sentinels;
  std::string url = "sentinel://";
  for (int i = 0; i < 3; ++i) {
    sentinels.push_back(std::make_unique<sentinel_process>("main", master.port));
    url += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(sentinels.back()->port);
  }
  url += "/main";
  REQUIRE(eventually([&] { return sentinels_ready(sentinels); }, 30s));
  REQUIRE(eventually(
      [&] {
        auto const info = redis_cli(master.port, {"INFO", "replication"});
        return info.find("slave1:") != std::string::npos &&
               info.find("state=online", info.find("state=online") + 1) != std::string::npos;
      },
      30s));

  std::vector<std::unique_ptr<server_process>> nodes;
  for (char const* id : {"A", "B"}) {
    nodes.push_back(std::make_unique<server_process>(std::vector<std::string>{
        "--redis", url, "--node-id", id, "--redis-wait-replicas", "1", "--redis-wait-timeout-ms",
        "500", "--rate-limit", "0", "--history", "5000", "--send-queue-bytes", "8388608"}));
    auto const port = nodes.back()->port;
    REQUIRE(eventually([&] { return http_get(port, "/readyz").status == 200; }, 30s));
  }

  std::vector<talker> talkers(4);
  std::int64_t epoch = 0;
  for (std::size_t i = 0; i < talkers.size(); ++i) {
    auto& t = talkers[i];
    t.name = "c" + std::to_string(i);
    t.ws = std::make_unique<ws_client>(nodes[i % 2]->port);
    REQUIRE(t.ws->hello(t.name).boolean("ok"));
    auto const joined = t.ws->request("join", "\"table\":\"synergies\"");
    INFO(joined.raw());
    REQUIRE(joined.boolean("ok"));
    epoch = joined.num("/snapshot/epoch");
  }

  std::atomic<bool> stop{false}, killed{false};
  std::vector<std::thread> threads;
  for (auto& t : talkers) threads.emplace_back([&t, &stop, &killed] { t.run(stop, killed); });
  std::this_thread::sleep_for(1500ms);
  auto const kill_time = clock_type::now();
  master.proc->signal(SIGKILL);
  killed = true;
  bool const resumed = eventually(
      [&] {
        return std::all_of(talkers.begin(), talkers.end(),
                           [](talker const& t) { return t.answered->load(); });
      },
      60s);
  std::this_thread::sleep_for(1s);  // some load on the new master
  stop = true;
  for (auto& th : threads) th.join();

  REQUIRE(resumed);
  auto resume_ms = std::chrono::milliseconds(0);
  for (auto const& t : talkers) {
    INFO(t.name << " stopped: " << t.broke);
    CHECK(t.broke.empty());
    for (auto const& [code, count] : t.errors) {
      INFO(t.name << " got " << count << " x " << code);
      CHECK(code == "unavailable");
    }
    resume_ms = std::max(resume_ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                        *t.first_ok_after_kill - kill_time));
  }
  std::printf("failover: every client answered ok again %lld ms after SIGKILL of the master\n",
              static_cast<long long>(resume_ms.count()));
  CHECK(resume_ms < 30s);  // "a few seconds"; generous for sanitizer builds
  for (auto const& n : nodes) {
    if (n->proc->output().find("the master lacks log positions") != std::string::npos)
      std::printf("failover: a node had applied commands the new master lacks (README)\n");
  }

  auto const on_a = messages_on(nodes[0]->port, epoch);
  auto const on_b = messages_on(nodes[1]->port, epoch);
  CHECK(on_a == on_b);
  std::map<std::string, std::int64_t> seq_of;  // text -> seq, each text once
  std::int64_t last = 0;
  for (auto const& line : on_a) {
    auto const colon = line.find(':');
    auto const seq = std::stoll(line.substr(0, colon));
    CHECK(seq > last);
    last = seq;
    CHECK(seq_of.emplace(line.substr(colon + 1), seq).second);
  }
  for (auto const& t : talkers) {
    std::int64_t previous = 0;
    for (auto const& text : t.ok) {
      auto it = seq_of.find(text);
      INFO(text << " was answered ok");
      REQUIRE(it != seq_of.end());
      CHECK(it->second > previous);
      previous = it->second;
    }
    CHECK(t.ok.size() > 10);
  }
}
