// Protocol abuse (issue 15): sequences of valid ops by one user that must not
// lock anyone else out. A resume larger than the send queue answers with a
// snapshot instead of a 1008; the event holds a bounded number of tables and
// the lobby and plenary snapshot stay small; one participant cannot fill a
// table's insight cap, and moderators delete insights; the admin API applies
// the WebSocket's own checks to its bodies.
#include "server/auth/jwt.hpp"
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "abuse-test-secret-0123456789abcdef";
constexpr std::string_view api_key = "abuse-api-key";

std::string token(auth::role r, std::string sub, std::string name, std::string table = {}) {
  return named_token_field(secret, r, std::move(sub), std::move(name), std::move(table));
}

server_process abuse_server(engine_under_test const& engine, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--api-key", std::string(api_key)});
  return server_process(engine.args(secret_server_args(secret, std::move(extra))));
}

std::vector<std::pair<std::string, std::string>> key_header() {
  return {{"X-Api-Key", std::string(api_key)}};
}

// A JSON string of `n` double quotes: each is escaped on the wire, so the text
// costs twice its length in every event, snapshot and replay.
std::string quotes(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "\\\"";
  return "\"" + s + "\"";
}

std::size_t array_size(message const& m, std::string_view pointer) {
  simdjson::dom::array a;
  if (!m.has(pointer) || m.at(pointer).get(a)) return 0;
  return a.size();
}

}  // namespace

TEST_CASE("a resume larger than the send queue gets a snapshot, not a close", "[abuse][resume]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  // Half the default send queue: the hello below stays within even that,
  // where before the bounds it took about 1 MB.
  auto srv = abuse_server(engine, {"--send-queue-bytes", "524288"});

  // Someone who will come back later, and a member of the crowded table.
  ws_client early(srv.port);
  auto const first = early.hello("x", token(auth::role::participant, "early", "Early"));
  REQUIRE(first.boolean("ok"));
  auto const epoch = first.num("/plenary/epoch");
  auto const seq = first.num("/plenary/seq");
  early.close();

  // A table full of long names, 200 long insights, raised hands and long
  // messages; the plenary full of long messages (each " escaped to \").
  std::string const long_name(64, 'N');
  ws_client mod(srv.port);
  REQUIRE(
      mod.hello("x", token(auth::role::moderator, "mod", long_name, "synergies")).boolean("ok"));
  REQUIRE(mod.request("join", "\"table\":\"synergies\"").boolean("ok"));
  std::vector<std::unique_ptr<ws_client>> crowd;
  for (int i = 0; i < 10; ++i) {
    auto& c = *crowd.emplace_back(std::make_unique<ws_client>(srv.port));
    auto const id = "c" + std::to_string(i);
    REQUIRE(
        c.hello("x", token(auth::role::participant, id, long_name.substr(2) + id)).boolean("ok"));
    REQUIRE(c.request("join", "\"table\":\"synergies\"").boolean("ok"));
    REQUIRE(c.request("hand", "\"up\":true").boolean("ok"));
    for (int k = 0; k < 20; ++k)
      REQUIRE(c.request("insight", "\"text\":" + quotes(500)).boolean("ok"));
  }
  for (int i = 0; i < 140; ++i) {
    REQUIRE(mod.request("say", "\"room\":\"plenary\",\"text\":" + quotes(4000)).boolean("ok"));
    if (i < 60)
      REQUIRE(mod.request("say", "\"room\":\"synergies\",\"text\":" + quotes(4000)).boolean("ok"));
  }
  auto const table = mod.request("join", "\"table\":\"synergies\"");
  REQUIRE(table.boolean("ok"));
  CHECK(array_size(table, "/snapshot/insights") == 200);
  auto const table_epoch = table.num("/snapshot/epoch");
  auto const table_seq = table.num("/snapshot/seq");

  SECTION("resuming from before the flood: recovered false, a snapshot, the connection open") {
    ws_client back(srv.port);
    auto const r =
        back.hello("x", token(auth::role::participant, "early", "Early") +
                            ",\"resume\":{\"plenary\":{\"epoch\":" + std::to_string(epoch) +
                            ",\"seq\":" + std::to_string(seq) + "}}");
    REQUIRE(code_of(r) == "ok");
    CHECK_FALSE(r.boolean("/recovered/plenary"));
    CHECK(array_size(r, "/plenary/messages") > 0);
    CHECK(back.request("ping").boolean("ok"));
    CHECK_FALSE(back.closed());
  }
  SECTION("an up-to-date member of the crowded table resumes it") {
    ws_client again(srv.port);
    auto const r = again.hello(
        "x", token(auth::role::participant, "c3", long_name.substr(2) + "c3") +
                 ",\"resume\":{\"synergies\":{\"epoch\":" + std::to_string(table_epoch) +
                 ",\"seq\":" + std::to_string(table_seq) + "}}");
    REQUIRE(code_of(r) == "ok");
    CHECK(r.str("/you/table") == "synergies");
    CHECK(array_size(r, "/table/insights") == 200);
    CHECK(array_size(r, "/table/hands") == 10);
    CHECK(again.request("ping").boolean("ok"));
    CHECK_FALSE(again.closed());
  }
  SECTION("a member resuming the table from its start gets it whole or a snapshot") {
    ws_client again(srv.port);
    auto const r =
        again.hello("x", token(auth::role::participant, "c4", long_name.substr(2) + "c4") +
                             ",\"resume\":{\"plenary\":{\"epoch\":" + std::to_string(epoch) +
                             ",\"seq\":0},\"synergies\":{\"epoch\":" + std::to_string(table_epoch) +
                             ",\"seq\":0}}");
    REQUIRE(code_of(r) == "ok");
    CHECK_FALSE(r.boolean("/recovered/synergies"));
    CHECK(again.request("ping").boolean("ok"));
  }
}

TEST_CASE("the event holds at most --max-tables tables, on both paths", "[abuse][lobby]") {
  engine_under_test engine("memory");
  auto srv = abuse_server(engine, {"--max-tables", "5"});
  ws_client chair(srv.port);
  REQUIRE(chair.hello("x", token(auth::role::chair, "chair", "Chair")).boolean("ok"));
  // The demo event has three tables: two more fit.
  CHECK(code_of(chair.request("create_table", R"("table":"t4","topic":"Four")")) == "ok");
  auto r = http_post(srv.port, "/api/tables", R"({"table":"t5","topic":"Five"})", key_header());
  CHECK(r.status == 201);
  auto const refused = chair.request("create_table", R"("table":"t6","topic":"Six")");
  CHECK(code_of(refused) == "full");
  auto over = http_post(srv.port, "/api/tables", R"({"table":"t7","topic":"Seven"})", key_header());
  CHECK(over.status == 409);
  CHECK(message(over.body).str("/error/code") == "full");
  ws_client late(srv.port);
  auto const h = late.hello("x", token(auth::role::participant, "late", "Late"));
  REQUIRE(h.boolean("ok"));
  CHECK(array_size(h, "/tables") == 5);
  CHECK_FALSE(table_row(h, "t6"));
  CHECK_FALSE(table_row(h, "t7"));
}

TEST_CASE("the tables event carries the rows that changed, not the whole lobby", "[abuse][lobby]") {
  engine_under_test engine("memory");
  auto srv = abuse_server(engine);
  ws_client watcher(srv.port), a(srv.port), b(srv.port);
  REQUIRE(watcher.hello("x", token(auth::role::participant, "w", "W")).boolean("ok"));
  REQUIRE(a.hello("x", token(auth::role::participant, "a", "A")).boolean("ok"));
  REQUIRE(b.hello("x", token(auth::role::participant, "b", "B")).boolean("ok"));
  REQUIRE(a.request("join", "\"table\":\"big-data\"").boolean("ok"));
  auto first = watcher.wait_type("tables", 2000ms);
  REQUIRE(first);
  // Later changes name only their own table.
  REQUIRE(b.request("join", "\"table\":\"inclusiveness\"").boolean("ok"));
  auto second = watcher.wait_for(
      [](message const& m) { return m.type() == "tables" && table_row(m, "inclusiveness"); },
      2000ms);
  REQUIRE(second);
  CHECK(array_size(*second, "/tables") == 1);
  std::int64_t count = 0;
  REQUIRE_FALSE((*table_row(*second, "inclusiveness"))["count"].get(count));
  CHECK(count == 1);
  CHECK(second->num("total") == 3);
}

TEST_CASE("the plenary snapshot keeps the latest reports and broadcasts; the report all",
          "[abuse][lobby]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  auto srv = abuse_server(engine);
  ws_client chair(srv.port);
  REQUIRE(chair.hello("x", token(auth::role::chair, "chair", "Chair")).boolean("ok"));
  for (int i = 0; i < 30; ++i)
    REQUIRE(chair.request("broadcast", "\"text\":" + quotes(1999)).boolean("ok"));
  REQUIRE(chair.request("broadcast", "\"text\":\"the last one\"").boolean("ok"));
  ws_client late(srv.port);
  auto const h = late.hello("x", token(auth::role::participant, "late", "Late"));
  REQUIRE(h.boolean("ok"));
  auto const n = array_size(h, "/plenary/broadcasts");
  CHECK(n > 0);
  CHECK(n <= 20);
  CHECK(h.str("/plenary/broadcasts/" + std::to_string(n - 1) + "/text") == "the last one");
  auto const report = http_get(srv.port, "/api/report", key_header());
  REQUIRE(report.status == 200);
  CHECK(array_size(message(report.body), "/plenary/broadcasts") == 31);
}

TEST_CASE("one participant cannot fill the insight cap; moderators delete insights",
          "[abuse][insight]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  auto srv = abuse_server(engine);
  ws_client mod(srv.port), ann(srv.port), bob(srv.port), chair(srv.port);
  REQUIRE(mod.hello("x", token(auth::role::moderator, "mod", "Grace", "synergies")).boolean("ok"));
  REQUIRE(ann.hello("x", token(auth::role::participant, "ann", "Ann")).boolean("ok"));
  REQUIRE(bob.hello("x", token(auth::role::participant, "bob", "Bob")).boolean("ok"));
  REQUIRE(chair.hello("x", token(auth::role::chair, "chair", "Chair")).boolean("ok"));
  for (auto* c : {&mod, &ann, &bob})
    REQUIRE(c->request("join", "\"table\":\"synergies\"").boolean("ok"));

  for (int i = 0; i < 20; ++i)
    REQUIRE(code_of(ann.request("insight", "\"text\":\"ann " + std::to_string(i) + "\"")) == "ok");
  auto const over = ann.request("insight", "\"text\":\"one too many\"");
  CHECK(code_of(over) == "full");
  CHECK(over.str("/error/message").find("20") != std::string::npos);
  // Others still can, and the moderator is not held to the quota.
  CHECK(code_of(bob.request("insight", "\"text\":\"bob's\"")) == "ok");
  for (int i = 0; i < 25; ++i)
    REQUIRE(code_of(mod.request("insight", "\"text\":\"mod " + std::to_string(i) + "\"")) == "ok");

  auto bobs = bob.wait_for(
      [](message const& m) { return m.type() == "insight" && m.str("text") == "bob's"; });
  REQUIRE(bobs);
  auto const id = bobs->str("id");
  REQUIRE(code_of(ann.request("vote", "\"insight\":\"" + id + "\"")) == "ok");
  ann.drain(100ms);

  // Who may delete, and what is refused.
  CHECK(code_of(bob.request("delete", "\"room\":\"synergies\",\"insight\":\"" + id + "\"")) ==
        "forbidden");
  CHECK(code_of(mod.request("delete", "\"room\":\"synergies\",\"insight\":\"nope\"")) ==
        "not_found");
  CHECK(code_of(mod.request("delete", "\"room\":\"synergies\"")) == "bad_request");
  CHECK(code_of(mod.request("delete", "\"room\":\"synergies\",\"insight\":\"" + id +
                                          "\",\"message\":\"m1\"")) == "bad_request");
  auto const del = mod.request("delete", "\"room\":\"synergies\",\"insight\":\"" + id + "\"");
  REQUIRE(code_of(del) == "ok");
  auto seen = ann.wait_type("deleted");
  REQUIRE(seen);
  CHECK(seen->str("insight") == id);
  CHECK_FALSE(seen->has("message"));
  CHECK(code_of(mod.request("delete", "\"room\":\"synergies\",\"insight\":\"" + id + "\"")) ==
        "not_found");
  CHECK(code_of(ann.request("vote", "\"insight\":\"" + id + "\"")) == "not_found");

  // Gone from snapshots and the report; the chair may delete too.
  auto const snap = bob.request("join", "\"table\":\"synergies\"");
  for (std::size_t i = 0; i < array_size(snap, "/snapshot/insights"); ++i)
    CHECK(snap.str("/snapshot/insights/" + std::to_string(i) + "/id") != id);
  CHECK(array_size(snap, "/snapshot/insights") == 45);
  auto const report = http_get(srv.port, "/api/report", key_header());
  CHECK(report.body.find("bob's") == std::string::npos);
  auto const ann0 = snap.str("/snapshot/insights/0/id");
  CHECK(code_of(chair.request("delete", "\"room\":\"synergies\",\"insight\":\"" + ann0 + "\"")) ==
        "ok");
}

TEST_CASE("the admin API checks its bodies exactly as the WebSocket ops", "[abuse][admin]") {
  engine_under_test engine("memory");
  auto srv = abuse_server(engine);
  ws_client chair(srv.port);
  REQUIRE(chair.hello("x", token(auth::role::chair, "chair", "Chair")).boolean("ok"));
  std::string const long_name(65, 'x');
  // Each body is refused over HTTP with the code the same fields get as a
  // WebSocket create_table.
  for (std::string const& fields : std::vector<std::string>{
           R"("table":"a1","topic":"T","moderator":")" + long_name + "\"",
           R"("table":"a2","topic":"bell\u0007")",
           R"("table":"a3","topic":"T","moderator":"tab\there")",
           R"("table":"a4","topic":"T","capacity":1000000000000000)",
           R"("table":"a5","topic":"   ")",
           R"("table":"a 6","topic":"T")",
           R"("table":"a7","topic":")" + std::string(201, 't') + "\"",
       }) {
    INFO(fields);
    auto const ws = chair.request("create_table", fields);
    REQUIRE_FALSE(ws.boolean("ok"));
    auto const http = http_post(srv.port, "/api/tables", "{" + fields + "}", key_header());
    CHECK(message(http.body).str("/error/code") == ws.str("/error/code"));
    CHECK(http.status / 100 == 4);
  }
  for (std::string const& fields : std::vector<std::string>{
           std::string(R"("text":"bell\u0007")"),
           std::string(R"("text":"   x\u0085")"),
           "\"text\":\"" + std::string(2001, 'b') + "\"",
       }) {
    INFO(fields);
    auto const ws = chair.request("broadcast", fields);
    REQUIRE_FALSE(ws.boolean("ok"));
    auto const http = http_post(srv.port, "/api/broadcast", "{" + fields + "}", key_header());
    CHECK(message(http.body).str("/error/code") == ws.str("/error/code"));
  }
  CHECK_FALSE(chair.wait_type("broadcast", 200ms));
  CHECK_FALSE(chair.wait_type("table_created", 50ms));

  // A repeated key: the last one wins on both paths.
  auto const r = http_post(srv.port, "/api/tables",
                           R"({"table":"first","topic":"T","table":"last"})", key_header());
  CHECK(r.status == 201);
  CHECK(code_of(chair.request("create_table", R"("table":"one","topic":"T","table":"two")")) ==
        "ok");
  ws_client late(srv.port);
  auto const h = late.hello("x", token(auth::role::participant, "late", "Late"));
  CHECK(table_row(h, "last"));
  CHECK_FALSE(table_row(h, "first"));
  CHECK(table_row(h, "two"));
  CHECK_FALSE(table_row(h, "one"));
}

TEST_CASE("erasure removes the person everywhere and closes their connections", "[abuse][erase]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  temp_dir data;
  bool const store = engine_name == "memory";
  auto srv = abuse_server(
      engine, store ? std::vector<std::string>{"--data-dir", data.path(), "--history", "5"}
                    : std::vector<std::string>{});
  std::string const name = "ZEDERASABLE";
  ws_client zed(srv.port), zed2(srv.port), bob(srv.port), mod(srv.port);
  auto const zed_token = token(auth::role::participant, "zed", name);
  REQUIRE(zed.hello("x", zed_token).boolean("ok"));
  REQUIRE(zed2.hello("x", zed_token).boolean("ok"));
  REQUIRE(bob.hello("x", token(auth::role::participant, "bob", "Bob")).boolean("ok"));
  REQUIRE(mod.hello("x", token(auth::role::moderator, "mod", "Grace", "synergies")).boolean("ok"));
  for (auto* c : {&bob, &mod, &zed})
    REQUIRE(c->request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(bob.request("insight", "\"text\":\"bob's point\"").boolean("ok"));
  auto const point = bob.wait_for([](message const& m) { return m.type() == "insight"; });
  REQUIRE(point);
  REQUIRE(zed.request("vote", "\"insight\":\"" + point->str("id") + "\"").boolean("ok"));
  REQUIRE(bob.request("vote", "\"insight\":\"" + point->str("id") + "\"").boolean("ok"));
  REQUIRE(zed.request("say", "\"room\":\"synergies\",\"text\":\"zed says ZEDTEXT\"").boolean("ok"));
  REQUIRE(zed.request("insight", "\"text\":\"ZEDINSIGHT\"").boolean("ok"));
  REQUIRE(bob.request("hand", "\"up\":true").boolean("ok"));
  REQUIRE(zed.request("hand", "\"up\":true").boolean("ok"));
  // Enough after it that the table's window (5 with the store) no longer holds it.
  for (int i = 0; i < 8; ++i)
    REQUIRE(bob.request("say", "\"room\":\"synergies\",\"text\":\"later\"").boolean("ok"));
  bob.drain(100ms);
  auto const before = http_get(srv.port, "/api/archive", key_header());
  REQUIRE(before.body.find(name) != std::string::npos);  // the test sees what it looks for

  auto const er = http_post(srv.port, "/api/erase", R"({"participant":"zed"})", key_header());
  REQUIRE(er.status == 200);
  // Their connections are closed, both of them.
  CHECK(zed.wait_close(3000ms) == 1008);
  CHECK(zed2.wait_close(3000ms) == 1008);
  // The others see the erasure, the vote withdrawn and the hand lowered.
  auto const erased = bob.wait_type("erased");
  REQUIRE(erased);
  CHECK(erased->str("participant") == "zed");
  auto const recount = bob.wait_for(
      [&](message const& m) { return m.type() == "insight" && m.str("id") == point->str("id"); });
  REQUIRE(recount);
  CHECK(recount->num("votes") == 1);
  auto const hands = bob.wait_type("hands");
  REQUIRE(hands);
  CHECK(array_size(*hands, "/queue") == 1);
  CHECK(hands->str("/queue/0/id") == "bob");
  bob.drain(200ms);

  // They cannot come back under that id.
  ws_client again(srv.port);
  CHECK(code_of(again.hello("x", zed_token)) == "forbidden");

  // The name is nowhere: snapshots, replays, the report, the archive, the store.
  ws_client late(srv.port);
  auto const h = late.hello("x", token(auth::role::participant, "late", "Late") +
                                     ",\"resume\":{\"synergies\":{\"epoch\":" +
                                     std::to_string(point->num("epoch")) + ",\"seq\":0}}");
  REQUIRE(h.boolean("ok"));
  auto const j = late.request("join", "\"table\":\"synergies\"");
  CHECK(j.num("/snapshot/insights/0/votes") == 1);
  std::string seen = h.raw() + j.raw();
  for (auto const& m : late.drain(200ms)) seen += m.raw();
  CHECK(seen.find(name) == std::string::npos);
  CHECK(seen.find("ZEDTEXT") == std::string::npos);
  for (auto const* path : {"/api/archive", "/api/report", "/api/report.md"}) {
    INFO(path);
    auto const r = http_get(srv.port, path, key_header());
    REQUIRE(r.status == 200);
    CHECK(r.body.find(name) == std::string::npos);
    CHECK(r.body.find("ZEDINSIGHT") == std::string::npos);
  }
  if (store) CHECK(slurp_dir(data.path()).find(name) == std::string::npos);
}

TEST_CASE("with the data dir every broadcast survives a restart, none rewrites the others",
          "[abuse][lobby]") {
  temp_dir data;
  engine_under_test engine("memory");
  std::vector<std::string> const args{"--data-dir", data.path()};
  {
    auto srv = abuse_server(engine, args);
    ws_client chair(srv.port);
    REQUIRE(chair.hello("x", token(auth::role::chair, "chair", "Chair")).boolean("ok"));
    for (int i = 0; i < 30; ++i)
      REQUIRE(
          chair.request("broadcast", "\"text\":\"note " + std::to_string(i) + "\"").boolean("ok"));
  }
  auto srv = abuse_server(engine, args);
  auto const report = http_get(srv.port, "/api/report", key_header());
  REQUIRE(report.status == 200);
  message const r(report.body);
  REQUIRE(array_size(r, "/plenary/broadcasts") == 30);
  CHECK(r.str("/plenary/broadcasts/0/text") == "note 0");
  CHECK(r.str("/plenary/broadcasts/29/text") == "note 29");
  ws_client late(srv.port);
  auto const h = late.hello("x", token(auth::role::participant, "late", "Late"));
  CHECK(array_size(h, "/plenary/broadcasts") == 20);
  CHECK(h.str("/plenary/broadcasts/19/text") == "note 29");
}
