// Polls and reactions end to end on both engines: who may create, vote, close
// and react (the permission matrix), bad input for each op (a clear error and
// nothing seen by anyone), live and close-only results, snapshots for late
// joiners, the report; and races: many voters and reactors on two nodes (and
// on the memory engine) at the same instant, repeated, with exact final counts
// and every coalesced event consistent with them.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "polls-test-secret-0123456789abcdef";
constexpr std::string_view api_key = "polls-api-key";
constexpr auto thumbs = "\xF0\x9F\x91\x8D";  // 👍
constexpr auto idea = "\xF0\x9F\x92\xA1";    // 💡

std::string tok(auth::role r, std::string sub, std::string table = {}) {
  return token_field(secret, r, std::move(sub), std::move(table));
}

std::vector<std::string> server_args(std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--api-key", std::string(api_key)});
  return secret_server_args(secret, std::move(extra));
}

std::string poll_fields(std::string const& room, std::string const& extra = {}) {
  return "\"room\":\"" + room +
         R"(","question":"Which first?","options":["Data","Skills","Money"])" + extra;
}

std::vector<std::int64_t> counts_of(message const& m, std::string const& at = "/counts") {
  std::vector<std::int64_t> out;
  simdjson::dom::array a;
  if (m.at(at).get(a)) return out;
  for (auto e : a) out.push_back(static_cast<std::int64_t>(e.get_int64().value_unsafe()));
  return out;
}

// The first coalesced poll_results of `poll` on `c` whose counts are `want`.
bool sees_counts(ws_client& c, std::string const& poll, std::vector<std::int64_t> const& want) {
  return c
      .wait_for([&](message const& m) {
        return m.type() == "poll_results" && m.str("poll") == poll && counts_of(m) == want;
      })
      .has_value();
}

}  // namespace

TEST_CASE("polls: who may run them, bad input, votes, close, snapshots, report", "[polls]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, tok(auth::role::chair, "chair"), "");
  auto mod = seated(srv.port, tok(auth::role::moderator, "mod", "synergies"), "synergies");
  auto other_mod = seated(srv.port, tok(auth::role::moderator, "mod2", "big-data"), "synergies");
  auto ada = seated(srv.port, tok(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, tok(auth::role::participant, "bob"), "synergies");
  auto out = seated(srv.port, tok(auth::role::participant, "out"), "");

  // Who may create: the chair anywhere, a table's moderator at its table.
  CHECK(code_of(ada->request("poll", poll_fields("synergies"))) == "forbidden");
  CHECK(code_of(other_mod->request("poll", poll_fields("synergies"))) == "forbidden");
  CHECK(code_of(mod->request("poll", poll_fields("plenary"))) == "forbidden");
  CHECK(code_of(ada->request("poll", poll_fields("plenary"))) == "forbidden");
  // Bad input: a clear error, nothing published.
  auto const q = R"("room":"synergies","question":"Q?",)";
  CHECK(code_of(mod->request("poll", R"("room":"synergies","options":["a","b"])")) ==
        "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":["a"])")) == "bad_request");
  CHECK(
      code_of(mod->request(
          "poll", std::string(q) + R"("options":["a","b","c","d","e","f","g","h","i","j","k"])")) ==
      "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":["a"," a "])")) ==
        "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":["a",""])")) == "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":["a",7])")) == "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":"a,b")")) == "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":["a","b"],"multiple":1)")) ==
        "bad_request");
  CHECK(code_of(mod->request("poll", std::string(q) + R"("options":["a",")" +
                                         std::string(101, 'x') + "\"]")) == "too_large");
  CHECK(code_of(mod->request("poll", R"("room":"synergies","options":["a","b"],"question":")" +
                                         std::string(301, 'x') + "\"")) == "too_large");
  CHECK(code_of(mod->request("poll", poll_fields("nowhere"))) == "not_found");
  CHECK(until_marker(*bob, "synergies").empty());

  // Created: the poll event reaches the table.
  REQUIRE(mod->request("poll", poll_fields("synergies")).boolean("ok"));
  auto const created = bob->wait_type("poll");
  REQUIRE(created);
  auto const id = created->str("id");
  CHECK(created->str("question") == "Which first?");
  CHECK(created->str("/options/2") == "Money");
  CHECK_FALSE(created->boolean("multiple"));
  CHECK(created->boolean("open"));
  CHECK(created->boolean("live"));
  CHECK(created->has("seq"));
  auto const poll = [&](std::string const& more) { return "\"poll\":\"" + id + "\"" + more; };

  // Votes: members only, one choice, in range; bad input changes nothing.
  CHECK(code_of(out->request("poll_vote", poll(",\"room\":\"synergies\",\"choices\":[0]"))) ==
        "forbidden");
  CHECK(code_of(ada->request("poll_vote", poll(",\"choices\":[0,1]"))) == "bad_request");
  CHECK(code_of(ada->request("poll_vote", poll(",\"choices\":[3]"))) == "bad_request");
  CHECK(code_of(ada->request("poll_vote", poll(",\"choices\":[1,1]"))) == "bad_request");
  CHECK(code_of(ada->request("poll_vote", poll(",\"choices\":[]"))) == "bad_request");
  CHECK(code_of(ada->request("poll_vote", poll(",\"choices\":[-1]"))) == "bad_request");
  CHECK(code_of(ada->request("poll_vote", poll(""))) == "bad_request");
  CHECK(code_of(ada->request("poll_vote", "\"poll\":\"q999\",\"choices\":[0]")) == "not_found");
  CHECK(code_of(ada->request("poll_vote", poll(",\"room\":\"plenary\",\"choices\":[0]"))) ==
        "not_found");
  REQUIRE(ada->request("poll_vote", poll(",\"choices\":[2]")).boolean("ok"));
  REQUIRE(bob->request("poll_vote", poll(",\"choices\":[2]")).boolean("ok"));
  CHECK(sees_counts(*bob, id, {0, 0, 2}));
  REQUIRE(bob->request("poll_vote", poll(",\"choices\":[0]")).boolean("ok"));  // changed
  CHECK(sees_counts(*ada, id, {1, 0, 1}));
  // Coalesced counts carry no seq; nothing else was published.
  for (auto const& m : until_marker(*bob, "synergies")) {
    CHECK(m.type() == "poll_results");
    CHECK_FALSE(m.has("seq"));
  }

  // A late joiner sees the open poll, its counts and its own ballot.
  auto ada2 = seated(srv.port, tok(auth::role::participant, "ada"), "");
  auto const snap = ada2->request("join", "\"table\":\"synergies\"");
  CHECK(snap.str("/snapshot/polls/0/id") == id);
  CHECK(counts_of(snap, "/snapshot/polls/0/counts") == std::vector<std::int64_t>{1, 0, 1});
  CHECK(counts_of(snap, "/snapshot/polls/0/mine") == std::vector<std::int64_t>{2});
  until_marker(*bob, "synergies");  // ada's second seat

  // Close: the table's moderator or the chair; the final counts are a room event.
  CHECK(code_of(ada->request("poll_close", poll(""))) == "forbidden");
  CHECK(code_of(other_mod->request("poll_close", poll(""))) == "forbidden");
  CHECK(code_of(mod->request("poll_close", "\"poll\":\"q999\"")) == "not_found");
  CHECK(code_of(mod->request("poll_close", "")) == "bad_request");
  REQUIRE(chair->request("poll_close", poll(",\"room\":\"synergies\"")).boolean("ok"));
  auto const closed = bob->wait_for(
      [](message const& m) { return m.type() == "poll_results" && !m.boolean("open"); });
  REQUIRE(closed);
  CHECK(closed->has("seq"));
  CHECK(counts_of(*closed) == std::vector<std::int64_t>{1, 0, 1});
  CHECK(code_of(ada->request("poll_vote", poll(",\"choices\":[1]"))) == "forbidden");
  CHECK(mod->request("poll_close", poll("")).boolean("ok"));  // again: nothing new
  for (auto const& m : until_marker(*bob, "synergies")) {
    CHECK(m.type() == "poll_results");  // counts coalesced before the close, at most
    CHECK_FALSE(m.has("seq"));
  }

  // The report holds the poll and its counts, in JSON and in Markdown.
  std::vector<std::pair<std::string, std::string>> const key{{"X-API-Key", std::string(api_key)}};
  auto const report = message(http_get(srv.port, "/api/report", key).body);
  bool found = false;
  for (int i = 0; i < 3; ++i) {
    auto const at = "/tables/" + std::to_string(i);
    if (report.str(at + "/id") != "synergies") continue;
    found = true;
    CHECK(report.str(at + "/polls/0/question") == "Which first?");
    CHECK(counts_of(report, at + "/polls/0/counts") == std::vector<std::int64_t>{1, 0, 1});
    CHECK(report.num(at + "/polls/0/voters") == 2);
    CHECK_FALSE(report.boolean(at + "/polls/0/open"));
  }
  CHECK(found);
  auto const md = http_get(srv.port, "/api/report.md", key).body;
  CHECK(md.find("- Which first? (2 voters") != std::string::npos);
  CHECK(md.find("  - Money: 1") != std::string::npos);
}

TEST_CASE("polls: results at close, multiple choice, the plenary and the bound", "[polls]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, tok(auth::role::chair, "chair"), "");
  auto ada = seated(srv.port, tok(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, tok(auth::role::participant, "bob"), "");

  // In the plenary: the chair's; anyone may vote, from a table with `room`.
  REQUIRE(chair->request("poll", poll_fields("plenary", R"(,"multiple":true,"live":false)"))
              .boolean("ok"));
  auto const created = bob->wait_type("poll");
  REQUIRE(created);
  auto const id = created->str("id");
  CHECK(created->boolean("multiple"));
  CHECK_FALSE(created->boolean("live"));
  auto const vote = "\"poll\":\"" + id + "\",\"room\":\"plenary\",\"choices\":";
  REQUIRE(ada->request("poll_vote", vote + "[0,2]").boolean("ok"));
  REQUIRE(bob->request("poll_vote", "\"poll\":\"" + id + "\",\"choices\":[2]").boolean("ok"));
  // Results at close: the chair sees the live counts, participants do not.
  CHECK(sees_counts(*chair, id, {1, 0, 2}));
  for (auto const& m : bob->drain(400ms)) CHECK(m.type() != "poll_results");
  auto const snap = bob->request("join", "\"table\":\"synergies\"");
  REQUIRE(snap.boolean("ok"));
  ws_client ada_hello(srv.port);
  auto const hello = ada_hello.hello("x", tok(auth::role::participant, "ada"));
  CHECK(hello.str("/plenary/polls/0/id") == id);
  CHECK_FALSE(hello.has("/plenary/polls/0/counts"));
  CHECK(counts_of(hello, "/plenary/polls/0/mine") == std::vector<std::int64_t>{0, 2});
  REQUIRE(
      chair->request("poll_close", "\"room\":\"plenary\",\"poll\":\"" + id + "\"").boolean("ok"));
  auto const closed = bob->wait_for([](message const& m) { return m.type() == "poll_results"; });
  REQUIRE(closed);
  CHECK_FALSE(closed->boolean("open"));
  CHECK(counts_of(*closed) == std::vector<std::int64_t>{1, 0, 2});

  // The bound: max_polls (20) per room, the next is refused `full`.
  for (int i = 1; i < 20; ++i)
    REQUIRE(chair->request("poll", poll_fields("plenary")).boolean("ok"));
  CHECK(code_of(chair->request("poll", poll_fields("plenary"))) == "full");
}

TEST_CASE("reactions: one per person per item, taken back, counts coalesced",
          "[polls][reactions]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto mod = seated(srv.port, tok(auth::role::moderator, "mod", "synergies"), "synergies");
  auto ada = seated(srv.port, tok(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, tok(auth::role::participant, "bob"), "synergies");
  auto out = seated(srv.port, tok(auth::role::participant, "out"), "");
  REQUIRE(ada->request("say", "\"room\":\"synergies\",\"text\":\"Open data\"").boolean("ok"));
  auto const said = ada->wait_type("message");
  REQUIRE(said);
  auto const item = "\"item\":\"" + said->str("id") + "\",\"emoji\":";
  auto const e = [](std::string const& s) { return "\"" + s + "\""; };
  until_marker(*mod, "synergies");

  CHECK(code_of(bob->request("react", item + e("\xF0\x9F\x98\x80"))) == "bad_request");  // 😀
  CHECK(code_of(bob->request("react", item + "1")) == "bad_request");
  CHECK(code_of(bob->request("react", "\"emoji\":" + e(thumbs))) == "bad_request");
  CHECK(code_of(bob->request("react", "\"item\":\"m-none\",\"emoji\":" + e(thumbs))) ==
        "not_found");
  CHECK(code_of(out->request("react", item + e(thumbs) + ",\"room\":\"synergies\"")) ==
        "forbidden");
  CHECK(code_of(out->request("react", item + e(thumbs))) == "not_found");  // the plenary's
  CHECK(until_marker(*mod, "synergies").empty());

  REQUIRE(bob->request("react", item + e(thumbs)).boolean("ok"));
  REQUIRE(ada->request("react", item + e(thumbs)).boolean("ok"));
  auto const has = [&](ws_client& c, std::string const& counts) {
    return c
        .wait_for([&](message const& m) {
          return m.type() == "reactions" &&
                 m.raw().find("\"" + said->str("id") + "\":" + counts) != std::string::npos;
        })
        .has_value();
  };
  CHECK(has(*mod, "{\"" + std::string(thumbs) + "\":2}"));
  REQUIRE(bob->request("react", item + e(idea)).boolean("ok"));    // another one replaces it
  REQUIRE(ada->request("react", item + e(thumbs)).boolean("ok"));  // the same takes it back
  CHECK(has(*mod, "{\"" + std::string(idea) + "\":1}"));
  auto bob2 = seated(srv.port, tok(auth::role::participant, "bob"), "");
  auto const snap = bob2->request("join", "\"table\":\"synergies\"");
  CHECK(snap.num("/snapshot/reactions/" + said->str("id") + "/" + idea) == 1);
  CHECK(snap.str("/snapshot/reacted/" + said->str("id")) == idea);

  // A published report in the plenary takes reactions too.
  REQUIRE(mod->request("summary", "\"text\":\"Our report\",\"publish\":true").boolean("ok"));
  auto const report = out->wait_type("report");
  REQUIRE(report);
  REQUIRE(out->request("react", "\"item\":\"" + report->str("id") + "\",\"emoji\":" + e(idea))
              .boolean("ok"));
  CHECK(out->wait_for(
      [&](message const& m) { return m.type() == "reactions" && m.str("room") == "plenary"; }));
}

namespace {

// Everyone votes and reacts at the same instant, `rounds` times, on the nodes
// at `port_a` and `port_b` (the same port: one node). Every coalesced event a
// watcher receives must be a state the room went through (counts within the
// voters, ballots never fewer: they are replaced, not withdrawn), at most one
// per 250 ms, and the last one exact.
void race(int port_a, int port_b) {
  constexpr int per_node = 12;
  constexpr int rounds = 10;
  constexpr int n = 2 * per_node;
  auto chair = seated(port_a, tok(auth::role::chair, "chair"), "");
  std::vector<std::unique_ptr<ws_client>> voters;
  for (int i = 0; i < n; ++i) {
    voters.push_back(
        seated(i % 2 ? port_b : port_a, tok(auth::role::participant, "v" + std::to_string(i)), ""));
  }
  auto watch_a = seated(port_a, tok(auth::role::participant, "wa"), "");
  auto watch_b = seated(port_b, tok(auth::role::participant, "wb"), "");
  REQUIRE(chair->request("poll", poll_fields("plenary")).boolean("ok"));
  auto const created = watch_b->wait_type("poll");
  REQUIRE(created);
  auto const id = created->str("id");
  REQUIRE(chair->request("say", "\"room\":\"plenary\",\"text\":\"React to me\"").boolean("ok"));
  auto const said = watch_b->wait_type("message");
  REQUIRE(said);
  auto const item = said->str("id");
  for (auto* w : {watch_a.get(), watch_b.get()}) w->drain(300ms);

  std::array<std::string, 3> const emojis{thumbs, idea, "\xE2\x9D\x93"};
  std::vector<int> ballot(n, -1), reaction(n, -1);  // what each one holds, as sent
  auto const start = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    std::latch go(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      int const choice = (i * 7 + round * 3) % 3;
      int const emoji = (i + round) % 3;
      threads.emplace_back([&, i, choice, emoji] {
        go.arrive_and_wait();
        auto const v = voters[i]->request(
            "poll_vote", "\"poll\":\"" + id + "\",\"choices\":[" + std::to_string(choice) + "]");
        auto const r = voters[i]->request(
            "react", "\"item\":\"" + item + "\",\"emoji\":\"" + emojis[emoji] + "\"");
        CHECK(v.boolean("ok"));
        CHECK(r.boolean("ok"));
      });
      ballot[i] = choice;
      reaction[i] = reaction[i] == emoji ? -1 : emoji;  // the same again takes it back
    }
    for (auto& t : threads) t.join();
  }
  std::vector<std::int64_t> want(3, 0);
  std::map<std::string, std::int64_t> want_reactions;
  for (int i = 0; i < n; ++i) {
    ++want[ballot[i]];
    if (reaction[i] >= 0) ++want_reactions[emojis[reaction[i]]];
  }
  std::string want_items = "{";
  for (auto const& [emoji, count] : want_reactions) {
    if (want_items.size() > 1) want_items += ",";
    want_items += "\"" + emoji + "\":" + std::to_string(count);
  }
  want_items += "}";

  for (auto* w : {watch_a.get(), watch_b.get()}) {
    std::vector<message> seen;
    bool exact_poll = false, exact_reactions = false;
    while (!(exact_poll && exact_reactions)) {
      auto m = w->next(3s);
      REQUIRE(m);  // the last word must come, and be exact
      if (m->type() == "poll_results") exact_poll = counts_of(*m) == want;
      if (m->type() == "reactions")
        exact_reactions =
            m->raw().find("\"" + item + "\":" + want_items + "}") != std::string::npos;
      seen.push_back(std::move(*m));
    }
    auto const elapsed = std::chrono::steady_clock::now() - start;
    int results = 0, reactions = 0;
    std::int64_t last_sum = 0;
    for (auto const& m : seen) {
      if (m.type() == "poll_results") {
        ++results;
        auto const c = counts_of(m);
        REQUIRE(c.size() == 3);
        auto const sum = std::accumulate(c.begin(), c.end(), std::int64_t{0});
        CHECK(sum <= n);
        CHECK(sum >= last_sum);
        last_sum = sum;
        CHECK_FALSE(m.has("seq"));
      } else if (m.type() == "reactions") {
        ++reactions;
        CHECK(m.has("/items/" + item));
      }
    }
    // Sent at most one of each per 250 ms of the time they could be sent in.
    auto const bound =
        std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 250 + 1;
    CHECK(results <= bound);
    CHECK(reactions <= bound);
    CHECK(results >= 1);
  }
  // The close tells the final counts as a room event, the same on both nodes.
  REQUIRE(
      chair->request("poll_close", "\"room\":\"plenary\",\"poll\":\"" + id + "\"").boolean("ok"));
  auto const final_a = watch_a->wait_for(
      [](message const& m) { return m.type() == "poll_results" && m.has("seq"); });
  auto const final_b = watch_b->wait_for(
      [](message const& m) { return m.type() == "poll_results" && m.has("seq"); });
  REQUIRE(final_a);
  REQUIRE(final_b);
  CHECK(counts_of(*final_a) == want);
  CHECK(final_a->raw() == final_b->raw());
  // A late joiner's snapshot holds the same.
  ws_client late(port_b);
  auto const hello = late.hello("x", tok(auth::role::participant, "v0"));
  CHECK(counts_of(hello, "/plenary/polls/0/counts") == want);
  CHECK(counts_of(hello, "/plenary/polls/0/mine") == std::vector<std::int64_t>{ballot[0]});
  CHECK(hello.raw().find("\"" + item + "\":" + want_items) != std::string::npos);
}

}  // namespace

TEST_CASE("polls races: many vote and react at once on the memory engine", "[polls][race]") {
  server_process srv(server_args({"--ephemeral"}));
  race(srv.port, srv.port);
}

TEST_CASE("polls races: many vote and react at once on two nodes",
          "[polls][race][redis][multi-node]") {
  redis_process redis;
  auto const url = "redis://127.0.0.1:" + std::to_string(redis.port);
  server_process a(server_args({"--redis", url, "--node-id", "A"}));
  server_process b(server_args({"--redis", url, "--node-id", "B"}));
  race(a.port, b.port);
}
