// Pipelined ops: a client that sends many ops without waiting for replies gets
// every reply once, in the order it sent the ops, each after the events it
// confirms, with ops that must wait (ping, leave, join) interleaved, on both
// engines; and several such clients at once keep each other's order.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

// What one op should come back as.
struct expected {
  bool ok = true;
  std::string text;  // a `say` whose own message event precedes the reply
};

std::string op(int rid, std::string const& body) {
  return "{\"rid\":" + std::to_string(rid) + "," + body + "}";
}

// Sends `n` ops at once (says, refused says, pings, unknown votes, and a hop
// out of the table and back in the middle) and returns what each rid expects.
std::map<int, expected> send_burst(ws_client& c, std::string const& me, int n) {
  std::map<int, expected> want;
  for (int rid = 1; rid <= n; ++rid) {
    auto const text = me + "-" + std::to_string(rid);
    // Refusals answered at once and pings (which wait) right behind says
    // still in flight.
    switch (rid % 7) {
      case 1:  // not a member of that table: refused at once
        c.send(op(rid, R"("op":"say","room":"synergies","text":"no")"));
        want[rid] = {false, {}};
        break;
      case 3:  // refused at apply
        c.send(op(rid, R"("op":"vote","insight":"nope")"));
        want[rid] = {false, {}};
        break;
      case 5:
        c.send(op(rid, R"("op":"ping")"));
        want[rid] = {true, {}};
        break;
      default:
        c.send(op(rid, R"("op":"say","room":"big-data","text":")" + text + "\""));
        want[rid] = {true, text};
    }
    if (rid == n / 2) {  // a hop in the middle: leave, then join again
      c.send(op(n + 1, R"("op":"leave")"));
      c.send(op(n + 2, R"("op":"join","table":"big-data")"));
    }
  }
  want[n + 1] = {true, {}};
  want[n + 2] = {true, {}};
  return want;
}

// Reads until every rid in `want` is answered; checks the order of replies
// (rids in send order, the hop's two where they were sent) and that each
// say's own message came before its reply.
void check_replies(ws_client& c, std::map<int, expected> const& want, int n) {
  std::vector<int> order;
  std::map<std::string, int> seen_text;
  while (order.size() < want.size()) {
    auto m = c.next(20s);
    REQUIRE(m);
    if (m->type() == "message") ++seen_text[m->str("text")];
    if (m->type() != "reply") continue;
    auto const rid = static_cast<int>(m->num("rid"));
    REQUIRE(want.count(rid) == 1);
    CHECK(m->boolean("ok") == want.at(rid).ok);
    if (!want.at(rid).text.empty()) CHECK(seen_text[want.at(rid).text] == 1);
    order.push_back(rid);
  }
  std::vector<int> sent;
  for (int rid = 1; rid <= n; ++rid) {
    sent.push_back(rid);
    if (rid == n / 2) {
      sent.push_back(n + 1);
      sent.push_back(n + 2);
    }
  }
  CHECK(order == sent);
}

}  // namespace

TEST_CASE("pipelined ops: replies in send order, each after its events", "[pipeline]") {
  engine_under_test engine(GENERATE(as<std::string>{}, "memory", "redis"));
  server_process srv(engine.args({"--rate-limit", "0"}));
  ws_client c(srv.port);
  c.hello("Piper");
  REQUIRE(c.request("join", "\"table\":\"big-data\"").boolean("ok"));
  c.drain(100ms);
  int const n = 300;  // past max_pipelined, so reading pauses and resumes
  auto const want = send_burst(c, "piper", n);
  check_replies(c, want, n);
  // Nothing more comes: no reply or event twice.
  for (auto const& m : c.drain(200ms)) CHECK(m.type() != "reply");
}

TEST_CASE("pipelined ops from several clients at once keep each client's order", "[pipeline]") {
  engine_under_test engine(GENERATE(as<std::string>{}, "memory", "redis"));
  server_process srv(engine.args({"--rate-limit", "0", "--threads", "2"}));
  for (int round = 0; round < 5; ++round) {
    std::vector<std::unique_ptr<ws_client>> clients;
    for (int i = 0; i < 4; ++i) {
      clients.push_back(std::make_unique<ws_client>(srv.port));
      clients.back()->hello("P" + std::to_string(i));
      REQUIRE(clients.back()->request("join", "\"table\":\"big-data\"").boolean("ok"));
    }
    for (auto& c : clients) c->drain(50ms);
    int const n = 80;
    std::vector<std::map<int, expected>> wants;
    for (std::size_t i = 0; i < clients.size(); ++i)
      wants.push_back(
          send_burst(*clients[i], "r" + std::to_string(round) + "c" + std::to_string(i), n));
    for (std::size_t i = 0; i < clients.size(); ++i) check_replies(*clients[i], wants[i], n);
  }
}
