// Insights' outcomes end to end (issue 14), on both engines: a moderator and
// the chair set what became of an insight and everyone at the table sees it
// live, in later snapshots and in replays; participants are refused; every
// kind of bad input gets its error and nobody sees a thing; the status
// survives a restart. And the adversarial case: a moderator and the chair
// decide on one insight at the same instant from two nodes, many times; every
// member sees the same decisions in the same order and the same final status.
// Then the public outcomes page and its JSON, and the chair's admin route: no
// login, cacheable with an ETag, every user text escaped, no token or
// participant id on it, an erased participant shown as "erased", French with
// ?lang=fr; POST /api/outcomes goes through the table's log with the op's
// checks.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "outcomes-test-secret-0123456789abc";
constexpr std::string_view api_key = "outcomes-api-key";

std::string token(auth::role r, std::string sub, std::string name, std::string table = {}) {
  return named_token_field(secret, r, std::move(sub), std::move(name), std::move(table));
}

std::vector<std::string> base_args(std::vector<std::string> extra = {}) {
  return secret_server_args(secret, std::move(extra));
}

// A connection that said hello with `tok` and sat at synergies.
std::unique_ptr<ws_client> seated_named(int port, std::string const& name, std::string const& tok) {
  auto c = std::make_unique<ws_client>(port);
  REQUIRE(c->hello(name, tok).boolean("ok"));
  REQUIRE(c->request("join", R"("table":"synergies")").boolean("ok"));
  return c;
}

// Adds an insight from `c` and returns its id (from the event before the reply).
std::string add_insight(ws_client& c, std::string const& text) {
  REQUIRE(c.request("insight", "\"text\":\"" + text + "\"").boolean("ok"));
  auto ev =
      c.wait_for([&](message const& m) { return m.type() == "insight" && m.str("text") == text; });
  REQUIRE(ev);
  return ev->str("id");
}

std::string outcome_fields(std::string const& insight, std::string const& status,
                           std::string const& rest = {}) {
  return "\"insight\":\"" + insight + "\",\"status\":\"" + status + "\"" + rest;
}

// The outcome events `c` receives up to its own marker message at the table.
std::vector<message> outcomes_until_marker(ws_client& c, std::string const& mark) {
  REQUIRE(c.request("say", R"("room":"synergies","text":")" + mark + "\"").boolean("ok"));
  std::vector<message> out;
  for (;;) {
    auto m = c.next(5s);
    REQUIRE(m);
    if (m->type() == "message" && m->str("text") == mark) return out;
    if (m->type() == "outcome") out.push_back(*m);
  }
}

// The status and note of `id` in a snapshot's insights.
std::pair<std::string, std::string> status_in(message const& reply, std::string const& pointer,
                                              std::string const& id) {
  simdjson::dom::array list;
  if (reply.at(pointer).get(list)) return {};
  for (auto i : list) {
    std::string_view iid, status, note;
    if (!i["id"].get(iid) && iid == id && !i["status"].get(status) && !i["note"].get(note))
      return {std::string(status), std::string(note)};
  }
  return {};
}

}  // namespace

TEST_CASE("outcome: moderator and chair decide, everyone sees it, participants may not",
          "[outcome]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO(engine.name());
  server_process srv(engine.args(base_args()));
  auto ann = seated_named(srv.port, "Ann", token(auth::role::participant, "ann", "Ann"));
  auto mod =
      seated_named(srv.port, "Grace", token(auth::role::moderator, "mod", "Grace", "synergies"));
  ws_client chair(srv.port);
  REQUIRE(chair.hello("Chair", token(auth::role::chair, "chair", "Chair")).boolean("ok"));
  auto const i1 = add_insight(*ann, "Open data needs stewards");
  auto const i2 = add_insight(*ann, "Stewards need budgets");
  auto const i3 = add_insight(*ann, "Off topic");
  REQUIRE(mod->request("delete", R"("room":"synergies","insight":")" + i3 + "\"").boolean("ok"));
  ann->drain(100ms);
  mod->drain(100ms);

  // A participant may not, and nobody sees anything.
  auto r = ann->request("outcome", outcome_fields(i1, "taken_up"));
  CHECK(code_of(r) == "forbidden");
  CHECK(outcomes_until_marker(*ann, "after ann").empty());

  // The moderator decides; everyone at the table sees the event, the sender
  // before its reply.
  r = mod->request("outcome", outcome_fields(i1, "taken_up", R"(,"note":"Into recommendation 2")"));
  CHECK(code_of(r) == "ok");
  for (auto* c : {ann.get(), mod.get()}) {
    auto const seen = outcomes_until_marker(*c, "after mod");
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].str("insight") == i1);
    CHECK(seen[0].str("status") == "taken_up");
    CHECK(seen[0].str("note") == "Into recommendation 2");
    CHECK(seen[0].str("/by/id") == "mod");
    CHECK(seen[0].str("/by/role") == "moderator");
    CHECK(seen[0].num("ts") > 0);
    CHECK(seen[0].str("room") == "synergies");
  }

  // The chair, at no table, names it; merged into i1.
  r = chair.request("outcome",
                    outcome_fields(i2, "merged", R"(,"into":")" + i1 + R"(","table":"synergies")"));
  CHECK(code_of(r) == "ok");
  auto seen = outcomes_until_marker(*ann, "after chair");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].str("into") == i1);
  CHECK(seen[0].str("/by/role") == "chair");
  // Without a table the chair has none to name.
  CHECK(code_of(chair.request("outcome", outcome_fields(i1, "noted"))) == "forbidden");

  // Bad input: each refused with its code, nothing reaches anyone.
  struct bad {
    std::string fields, code;
  };
  std::vector<bad> const cases = {
      {outcome_fields(i1, "decided"), "bad_request"},
      {outcome_fields(i1, "noted", R"(,"note":")" + std::string(1001, 'n') + "\""), "too_large"},
      {outcome_fields("i-nope", "noted"), "not_found"},
      {outcome_fields(i3, "noted"), "not_found"},  // deleted
      {outcome_fields(i1, "merged"), "bad_request"},
      {outcome_fields(i1, "merged", R"(,"into":")" + i1 + "\""), "bad_request"},
      {outcome_fields(i1, "merged", R"(,"into":"i-nope")"), "not_found"},
      {outcome_fields(i1, "merged", R"(,"into":")" + i2 + "\""), "bad_request"},  // a cycle
      {outcome_fields(i1, "noted", R"(,"table":"no-such-table")"), "not_found"},
      {outcome_fields(i1, "noted", R"(,"table":"big-data")"), "forbidden"},  // not their table
  };
  for (auto const& b : cases) {
    INFO(b.fields.substr(0, 120));
    CHECK(code_of(mod->request("outcome", b.fields)) == b.code);
  }
  CHECK(outcomes_until_marker(*ann, "after bad input").empty());

  // A newcomer's snapshot shows the statuses and notes; a later vote's
  // insight event carries them.
  ws_client bob(srv.port);
  REQUIRE(bob.hello("Bob", token(auth::role::participant, "bob", "Bob")).boolean("ok"));
  auto const joined = bob.request("join", R"("table":"synergies")");
  CHECK(status_in(joined, "/snapshot/insights", i1) ==
        std::pair<std::string, std::string>{"taken_up", "Into recommendation 2"});
  CHECK(status_in(joined, "/snapshot/insights", i2).first == "merged");
  REQUIRE(bob.request("vote", "\"insight\":\"" + i1 + "\"").boolean("ok"));
  auto const vote_ev = bob.wait_type("insight");
  REQUIRE(vote_ev);
  CHECK(vote_ev->str("status") == "taken_up");
  CHECK(vote_ev->str("note") == "Into recommendation 2");

  // A resume replays the outcome events it missed.
  auto const seq = joined.num("/snapshot/seq");
  auto const ep = joined.num("/snapshot/epoch");
  bob.close();
  REQUIRE(mod->request("outcome", outcome_fields(i1, "noted", R"(,"note":"while away")"))
              .boolean("ok"));
  ws_client back(srv.port);
  auto const resumed = back.hello(
      "Bob", token(auth::role::participant, "bob", "Bob") + R"(,"resume":{"synergies":{"epoch":)" +
                 std::to_string(ep) + R"(,"seq":)" + std::to_string(seq) + "}}");
  REQUIRE(resumed.boolean("ok"));
  CHECK(resumed.boolean("/recovered/synergies"));
  auto const replayed = back.drain(200ms);
  bool saw = false;
  for (auto const& m : replayed) {
    if (m.type() == "outcome" && m.str("note") == "while away") saw = true;
  }
  CHECK(saw);
}

TEST_CASE("outcome: a status survives a restart of the memory engine", "[outcome][durable]") {
  temp_dir data;
  std::string id;
  {
    server_process srv(base_args({"--data-dir", data.path()}));
    auto ann = seated_named(srv.port, "Ann", token(auth::role::participant, "ann", "Ann"));
    auto mod =
        seated_named(srv.port, "Grace", token(auth::role::moderator, "mod", "Grace", "synergies"));
    id = add_insight(*ann, "Keep me");
    REQUIRE(mod->request("outcome", outcome_fields(id, "out_of_scope", R"(,"note":"Next year")"))
                .boolean("ok"));
    srv.proc->signal(SIGTERM);
    REQUIRE(srv.proc->wait() == 0);
  }
  server_process srv(base_args({"--data-dir", data.path()}));
  ws_client c(srv.port);
  REQUIRE(c.hello("Cy", token(auth::role::participant, "cy", "Cy")).boolean("ok"));
  auto const joined = c.request("join", R"("table":"synergies")");
  CHECK(status_in(joined, "/snapshot/insights", id) ==
        std::pair<std::string, std::string>{"out_of_scope", "Next year"});
}

namespace {

// A moderator (node 0) and the chair (node 1, or the same node on the memory
// engine) decide on one insight at the same instant, `rounds` times; even
// rounds differ, odd rounds agree (then exactly one event goes out: the second
// changes nothing). Observers on each node see the same outcome events in the
// same order, and the final status is the last one they saw.
void outcome_race(std::vector<int> const& ports, int rounds) {
  auto port = [&](std::size_t i) { return ports[i % ports.size()]; };
  auto ann = seated_named(port(0), "Ann", token(auth::role::participant, "ann", "Ann"));
  auto mod =
      seated_named(port(0), "Grace", token(auth::role::moderator, "mod", "Grace", "synergies"));
  auto chair = seated_named(port(1), "Chair", token(auth::role::chair, "chair", "Chair"));
  auto obs = seated_named(port(1), "Obs", token(auth::role::participant, "obs", "Obs"));
  auto const id = add_insight(*ann, "Contested");
  std::vector<std::string> const statuses{"taken_up", "noted", "out_of_scope", "open"};
  int expected_events = 0;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto const a = statuses[static_cast<std::size_t>(round) % statuses.size()];
    auto const b = round % 2 ? a : statuses[static_cast<std::size_t>(round + 1) % statuses.size()];
    auto const note = R"(,"note":"round )" + std::to_string(round) + "\"";
    mod->send(R"({"op":"outcome","rid":1,)" + outcome_fields(id, a, note) + "}");
    chair->send(R"({"op":"outcome","rid":1,)" + outcome_fields(id, b, note) + "}");
    for (auto* c : {mod.get(), chair.get()}) {
      auto reply = c->wait_type("reply", 10s);
      REQUIRE(reply);
      CHECK(code_of(*reply) == "ok");
    }
    expected_events += round % 2 ? 1 : 2;
  }
  std::vector<std::vector<std::string>> orders;
  for (auto* c : {ann.get(), mod.get(), chair.get(), obs.get()}) {
    auto const seen = outcomes_until_marker(*c, "end");
    std::vector<std::string> order;
    for (auto const& m : seen)
      order.push_back(m.str("status") + "/" + m.str("note") + "/" + m.str("/by/id") + "/" +
                      std::to_string(m.num("seq")));
    CHECK(static_cast<int>(order.size()) == expected_events);
    orders.push_back(std::move(order));
  }
  for (std::size_t k = 1; k < orders.size(); ++k) CHECK(orders[k] == orders[0]);
  // Everyone's snapshot agrees with the last event.
  auto const last_status = orders[0].back().substr(0, orders[0].back().find('/'));
  for (std::size_t n = 0; n < ports.size(); ++n) {
    ws_client late(port(n));
    REQUIRE(late.hello("Late", token(auth::role::participant, "late", "Late")).boolean("ok"));
    auto const joined = late.request("join", R"("table":"synergies")");
    CHECK(status_in(joined, "/snapshot/insights", id).first == last_status);
  }
}

}  // namespace

TEST_CASE("outcome race: moderator and chair at once on one node", "[outcome][race][memory]") {
  server_process srv(base_args({"--ephemeral"}));
  outcome_race({srv.port}, 30);
}

TEST_CASE("outcome race: moderator and chair at once from two nodes", "[outcome][race][redis]") {
  redis_nodes cluster(2, base_args());
  outcome_race(cluster.ports, 30);
}

TEST_CASE("outcomes page: escaped, cacheable, no personal data, French, chair's POST",
          "[outcome][http]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO(engine.name());
  server_process srv(engine.args(
      {"--rate-limit", "0", "--secret", std::string(secret), "--api-key", std::string(api_key)}));
  auto const ann_token = mint_for(secret, auth::role::participant, "p-ann-private-id", "Ann");
  auto const mod_token =
      mint_for(secret, auth::role::moderator, "mod-private-id", "Grace", "synergies");
  auto ann = seated_named(srv.port, "Ann", "\"token\":\"" + ann_token + "\"");
  auto mod = seated_named(srv.port, "Grace", "\"token\":\"" + mod_token + "\"");
  REQUIRE(ann->request("insight", R"("text":"<script>alert(1)</script> & 'more'")").boolean("ok"));
  auto const ev = ann->wait_type("insight");
  REQUIRE(ev);
  auto const id = ev->str("id");
  REQUIRE(
      mod->request("outcome", R"("insight":")" + id +
                                  R"(","status":"taken_up","note":"<img src=x onerror=alert(2)>")")
          .boolean("ok"));

  auto const page = http_get(srv.port, "/outcomes");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK_FALSE(page.header("content-security-policy").empty());
  CHECK(page.body.find("<html lang=\"en\">") != std::string::npos);
  CHECK(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;more&#39;") !=
        std::string::npos);
  CHECK(page.body.find("&lt;img src=x onerror=alert(2)&gt;") != std::string::npos);
  CHECK(page.body.find("<script") == std::string::npos);
  CHECK(page.body.find("<img") == std::string::npos);
  CHECK(page.body.find("Taken up") != std::string::npos);
  CHECK(page.body.find("Grace") != std::string::npos);  // who decided, by display name
  for (auto const& secret_text :
       {ann_token, mod_token, std::string("p-ann-private-id"), std::string("mod-private-id")}) {
    CHECK(page.body.find(secret_text) == std::string::npos);
  }

  auto const fr = http_get(srv.port, "/outcomes?lang=fr");
  CHECK(fr.status == 200);
  CHECK(fr.body.find("<html lang=\"fr\">") != std::string::npos);
  CHECK(fr.body.find("Retenue") != std::string::npos);

  auto const api = http_get(srv.port, "/api/outcomes");
  REQUIRE(api.status == 200);
  CHECK(api.content_type == "application/json");
  message const doc(api.body);
  CHECK(doc.str("/tables/0/id") == "synergies");
  CHECK(doc.str("/tables/0/insights/0/id") == id);
  CHECK(doc.str("/tables/0/insights/0/status") == "taken_up");
  CHECK(doc.str("/tables/0/insights/0/note") == "<img src=x onerror=alert(2)>");
  CHECK(doc.str("/tables/0/insights/0/history/0/status") == "taken_up");
  CHECK(doc.str("/tables/0/insights/0/history/0/by") == "Grace");
  CHECK(doc.num("/tables/0/insights/0/history/0/ts") > 0);
  CHECK(api.body.find("private-id") == std::string::npos);

  // Cacheable: the same ETag again is 304 until something changes.
  auto const etag = api.header("etag");
  REQUIRE_FALSE(etag.empty());
  CHECK(api.header("cache-control") == "public, no-cache");
  CHECK(http_get(srv.port, "/api/outcomes", {{"If-None-Match", etag}}).status == 304);

  // The chair's route: the op's checks, then through the table's log.
  auto post = [&](std::string const& body, bool with_key = true) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (with_key) headers.emplace_back("X-Api-Key", std::string(api_key));
    return http_post(srv.port, "/api/outcomes", body, headers);
  };
  CHECK(post(R"({"table":"synergies","insight":")" + id + R"(","status":"noted"})", false).status ==
        401);
  CHECK(post(R"({"insight":")" + id + R"(","status":"noted"})").status == 400);
  CHECK(post(R"({"table":"synergies","insight":")" + id + R"(","status":"later"})").status == 400);
  CHECK(post(R"({"table":"synergies","insight":"i-none","status":"noted"})").status == 404);
  CHECK(post(R"({"table":"nowhere","insight":")" + id + R"(","status":"noted"})").status == 404);
  CHECK(post(R"({"table":"synergies","insight":")" + id + R"(","status":"noted","note":")" +
             std::string(1001, 'x') + "\"}")
            .status == 413);
  CHECK(http_get(srv.port, "/api/outcomes", {{"If-None-Match", etag}}).status == 304);
  auto const ok = post(R"({"table":"synergies","insight":")" + id +
                       R"(","status":"noted","note":"After the event"})");
  CHECK(ok.status == 200);
  auto const after = ann->wait_for(
      [](message const& m) { return m.type() == "outcome" && m.str("status") == "noted"; });
  REQUIRE(after);
  CHECK(after->str("/by/id") == "admin");
  CHECK(after->str("/by/name") == "Organisers");
  CHECK(http_get(srv.port, "/api/outcomes", {{"If-None-Match", etag}}).status == 200);

  // The moderator is erased on request: their name leaves the history (with
  // Redis once the erasure came back through the table's log).
  REQUIRE(http_post(srv.port, "/api/erase", R"({"participant":"mod-private-id"})",
                    {{"X-Api-Key", std::string(api_key)}})
              .status == 200);
  auto erased = message(http_get(srv.port, "/api/outcomes").body);
  for (int i = 0; i < 250 && erased.str("/tables/0/insights/0/history/0/by") != "erased"; ++i) {
    std::this_thread::sleep_for(20ms);
    erased = message(http_get(srv.port, "/api/outcomes").body);
  }
  CHECK(erased.str("/tables/0/insights/0/history/0/by") == "erased");
  CHECK(erased.str("/tables/0/insights/0/history/1/by") == "Organisers");
  CHECK(http_get(srv.port, "/outcomes").body.find("Grace") == std::string::npos);
}
