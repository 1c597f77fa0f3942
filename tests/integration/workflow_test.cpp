// Workflow integration tests: the real roundtable-server over real WebSocket
// and HTTP. Covers auth (tokens per role, bad tokens, the `token` subcommand,
// the demo tokens printed at start), the permission matrix end to end (each op
// allowed and refused per role, a refused op invisible to everyone else), a
// whole session from table creation to the plenary reports, capacity, closing
// a table, and the HTTP admin API with the session report.
#include "server/auth/jwt.hpp"
#include "tests/support/banner.hpp"
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "workflow-test-secret-0123456789";
constexpr std::string_view api_key = "workflow-api-key";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string mint(auth::role r, std::string sub, std::string name, std::string table = {},
                 std::int64_t ttl = 3600, std::string_view key = secret) {
  return auth::mint({std::move(sub), std::move(name), r, std::move(table), now_s() + ttl}, key);
}

// A token with any header and payload, correctly signed with `key`, so each
// test token has exactly one defect.
std::string craft(std::string_view header, std::string_view payload,
                  std::string_view key = secret) {
  std::string input = auth::base64url_encode(header) + "." + auth::base64url_encode(payload);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<unsigned char const*>(input.data()), input.size(), md, &len);
  return input + "." +
         auth::base64url_encode(std::string_view(reinterpret_cast<char const*>(md), len));
}

std::string token_field(std::string const& token) {
  return "\"token\":\"" + token + "\"";
}

std::string q(std::string const& s) {
  return "\"" + s + "\"";
}

std::string say_fields(std::string const& room, std::string const& text) {
  return "\"room\":" + q(room) + ",\"text\":" + q(text);
}

std::string error_code_of(message const& reply) {
  return reply.boolean("ok") ? "ok" : reply.str("/error/code");
}

// Reads messages in order until `pred` matches; returns all of them, the match
// last. Fails the test on timeout.
std::vector<message> read_until(ws_client& c, std::function<bool(message const&)> const& pred,
                                std::chrono::milliseconds timeout = 5000ms) {
  std::vector<message> seen;
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto m = c.next(std::max(left, 1ms));
    if (!m) FAIL("timed out; read so far: " << seen.size() << " messages");
    bool const done = pred(*m);
    seen.push_back(std::move(*m));
    if (done) return seen;
  }
}

// The engine the current test case runs on (set by ON_EACH_ENGINE).
engine_under_test* current_engine = nullptr;

server_process auth_server(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--rate-limit", "0", "--secret", std::string(secret)};
  args.insert(args.end(), extra.begin(), extra.end());
  return server_process(current_engine ? current_engine->args(args) : args);
}

// The path of the server binary the fixture started (its ROUNDTABLE_SERVER_PATH
// is private to the support library).
std::string server_binary(server_process const& srv) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(srv.proc->pid()) + "/exe");
}

// Observers seated at tables: after an op, `settle` has each observer post a
// marker and reads everything up to it, in order, so every event an op caused
// is in the returned list and nothing is left over for the next op.
struct observers {
  struct seat {
    ws_client* c;
    std::string room;
  };
  std::vector<seat> seats;
  int n = 0;

  // Room events (with a seq) each observer saw before its markers.
  std::vector<message> settle() {
    std::vector<message> events;
    for (auto& s : seats) {
      auto const mark = "marker-" + std::to_string(++n);
      REQUIRE(s.c->request("say", say_fields(s.room, mark)).boolean("ok"));
      REQUIRE(s.c->request("say", say_fields("plenary", mark)).boolean("ok"));
      int found = 0;
      auto const got = read_until(*s.c, [&](message const& m) {
        if (m.type() == "message" && m.str("text") == mark) ++found;
        return found == 2;
      });
      for (auto const& m : got) {
        if (m.type() == "reply" || !m.has("/seq")) continue;
        if (m.type() == "message" && m.str("text").rfind("marker-", 0) == 0) continue;
        events.push_back(m);
      }
    }
    return events;
  }
  // After a refused op: nobody saw anything but the markers.
  void expect_nothing(std::string const& what) {
    auto const events = settle();
    INFO("after the refused " << what);
    for (auto const& e : events) INFO("unexpected: " << e.raw());
    CHECK(events.empty());
  }
  // After an allowed op: an event of `type` reached the observers.
  void expect(std::string const& what, std::string const& type) {
    auto const events = settle();
    INFO("after " << what << ", expecting a '" << type << "' event");
    bool seen = false;
    for (auto const& e : events) seen = seen || e.type() == type;
    CHECK(seen);
  }
};

}  // namespace

TEST_CASE("tokens: each role's token works and `you` reflects its claims", "[workflow][auth]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server();
  SECTION("participant") {
    ws_client c(srv.port);
    auto r = c.hello("Ignored", token_field(mint(auth::role::participant, "u-ada", "Ada")));
    REQUIRE(r.boolean("ok"));
    CHECK(r.str("/you/id") == "u-ada");
    CHECK(r.str("/you/name") == "Ada");
    CHECK(r.str("/you/role") == "participant");
    CHECK(r.at("/you/table").is_null());
    CHECK_FALSE(r.has("/you/moderates"));
  }
  SECTION("moderator") {
    ws_client c(srv.port);
    auto r =
        c.hello("Ignored", token_field(mint(auth::role::moderator, "u-gr", "Grace", "big-data")));
    REQUIRE(r.boolean("ok"));
    CHECK(r.str("/you/id") == "u-gr");
    CHECK(r.str("/you/name") == "Grace");
    CHECK(r.str("/you/role") == "moderator");
    CHECK(r.str("/you/moderates") == "big-data");
  }
  SECTION("chair") {
    ws_client c(srv.port);
    auto r = c.hello("Ignored", token_field(mint(auth::role::chair, "u-ch", "The Chair")));
    REQUIRE(r.boolean("ok"));
    CHECK(r.str("/you/id") == "u-ch");
    CHECK(r.str("/you/name") == "The Chair");
    CHECK(r.str("/you/role") == "chair");
    // The role is real: only a chair may broadcast.
    CHECK(c.request("broadcast", "\"text\":\"welcome\"").boolean("ok"));
  }
}

TEST_CASE("tokens: bad tokens are unauthorized and the connection may retry", "[workflow][auth]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server();
  auto const exp = std::to_string(now_s() + 3600);
  auto const hs256 = R"({"alg":"HS256","typ":"JWT"})";
  std::vector<std::pair<std::string, std::string>> const bad{
      {"no token", ""},
      {"expired", mint(auth::role::chair, "u1", "Old", {}, -10)},
      {"forged signature", mint(auth::role::chair, "u1", "Eve", {}, 3600, "another-secret")},
      {"alg none",
       auth::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
           auth::base64url_encode(R"({"sub":"u1","name":"Eve","role":"chair","exp":)" + exp + "}") +
           "."},
      {"alg none, signed anyway",
       craft(R"({"alg":"none","typ":"JWT"})",
             R"({"sub":"u1","name":"Eve","role":"chair","exp":)" + exp + "}")},
      {"alg HS512", craft(R"({"alg":"HS512","typ":"JWT"})",
                          R"({"sub":"u1","name":"Eve","role":"chair","exp":)" + exp + "}")},
      {"wrong role claim",
       craft(hs256, R"({"sub":"u1","name":"Eve","role":"admin","exp":)" + exp + "}")},
      {"missing sub", craft(hs256, R"({"name":"Eve","role":"chair","exp":)" + exp + "}")},
      {"missing name", craft(hs256, R"({"sub":"u1","role":"chair","exp":)" + exp + "}")},
      {"missing role", craft(hs256, R"({"sub":"u1","name":"Eve","exp":)" + exp + "}")},
      {"missing exp", craft(hs256, R"({"sub":"u1","name":"Eve","role":"chair"})")},
      {"moderator without table",
       craft(hs256, R"({"sub":"u1","name":"Eve","role":"moderator","exp":)" + exp + "}")},
      {"not a JWT", "not.a.jwt"},
  };
  for (auto const& [what, token] : bad) {
    INFO(what);
    ws_client c(srv.port);
    auto r = token.empty() ? c.hello("Eve") : c.hello("Eve", token_field(token));
    CHECK(error_code_of(r) == "unauthorized");
    // Nothing but hello works yet.
    CHECK(error_code_of(c.request("say", say_fields("plenary", "sneaky"))) == "unauthorized");
    CHECK(error_code_of(c.request("ping")) == "unauthorized");
    // The same connection can still say hello with a good token.
    auto ok = c.hello("Eve", token_field(mint(auth::role::participant, "u-eve", "Eve")));
    CHECK(ok.boolean("ok"));
    CHECK(ok.str("/you/id") == "u-eve");
    CHECK(c.request("ping").boolean("ok"));
  }
}

TEST_CASE("tokens: the `token` subcommand mints a token that verifies", "[workflow][auth]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server();
  child_process minter({server_binary(srv), "token", "--role", "moderator", "--table", "synergies",
                        "--name", "Mina", "--sub", "u-mina", "--secret", std::string(secret)});
  auto const line = minter.wait_for_line("ey");
  CHECK(minter.wait() == 0);
  auto const token = line.substr(line.find("ey"));
  auto const v = auth::verify(token, secret, now_s());
  REQUIRE(v.ok);
  CHECK(v.value.sub == "u-mina");
  CHECK(v.value.name == "Mina");
  CHECK(v.value.who == auth::role::moderator);
  CHECK(v.value.table == "synergies");
  CHECK(v.value.exp > now_s());
  CHECK_FALSE(auth::verify(token, "another-secret", now_s()).ok);
  // And the server with that secret accepts it.
  ws_client c(srv.port);
  auto r = c.hello("x", token_field(token));
  REQUIRE(r.boolean("ok"));
  CHECK(r.str("/you/moderates") == "synergies");
}

TEST_CASE("demo mode: anyone joins as a participant; the printed tokens work", "[workflow][auth]") {
  server_process srv({"--ephemeral"});
  auto const chair = printed_token(srv, "chair link");
  auto const mod = printed_token(srv, "moderator link (big-data)");

  ws_client anon(srv.port);
  auto a = anon.hello("Anon");
  REQUIRE(a.boolean("ok"));
  CHECK(a.str("/you/role") == "participant");
  CHECK(error_code_of(anon.request("broadcast", "\"text\":\"x\"")) == "forbidden");

  ws_client c(srv.port);
  auto r = c.hello("Chair", token_field(chair));
  REQUIRE(r.boolean("ok"));
  CHECK(r.str("/you/role") == "chair");
  CHECK(c.request("broadcast", "\"text\":\"demo\"").boolean("ok"));
  CHECK(anon.wait_type("broadcast"));

  ws_client m(srv.port);
  auto mr = m.hello("Mod", token_field(mod));
  REQUIRE(mr.boolean("ok"));
  CHECK(mr.str("/you/role") == "moderator");
  CHECK(mr.str("/you/moderates") == "big-data");
  CHECK(m.request("timer", "\"room\":\"big-data\",\"seconds\":60").boolean("ok"));
  CHECK(error_code_of(m.request("timer", "\"room\":\"synergies\",\"seconds\":60")) == "forbidden");
  // A forged token is refused in demo mode too.
  ws_client f(srv.port);
  CHECK(error_code_of(f.hello("F", token_field(mint(auth::role::chair, "c", "F")))) ==
        "unauthorized");
}

TEST_CASE("demo mode: a guest's token brings the same person back, with one vote and one count",
          "[workflow][auth][guest]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args({"--rate-limit", "0", "--api-key", std::string(api_key)}));

  ws_client first(srv.port);
  auto const a = first.hello("Ada");
  REQUIRE(a.boolean("ok"));
  auto const id = a.str("/you/id");
  auto const token = a.str("token");
  REQUIRE(!token.empty());
  // Another guest gets another id and another token.
  ws_client other(srv.port);
  auto const o = other.hello("Ben");
  CHECK(o.str("/you/id") != id);
  CHECK(o.str("token") != token);
  CHECK(o.str("token").find('.') != std::string::npos);

  REQUIRE(first.request("join", R"("table":"synergies")").boolean("ok"));
  REQUIRE(first.request("insight", R"("text":"Share the platforms")").boolean("ok"));
  auto const ins = first.wait_type("insight");
  REQUIRE(ins);
  auto const insight_id = ins->str("id");
  REQUIRE(first.request("vote", R"("insight":")" + insight_id + "\"").boolean("ok"));
  first.close();

  // The reload: a new connection with the token is the same person.
  ws_client again(srv.port);
  auto const b = again.hello("Someone else", token_field(token));
  REQUIRE(b.boolean("ok"));
  CHECK(b.str("/you/id") == id);
  CHECK(b.str("/you/name") == "Ada");
  CHECK(b.str("/you/role") == "participant");
  CHECK(!b.str("token").empty());
  REQUIRE(again.request("join", R"("table":"synergies")").boolean("ok"));
  auto const vote = R"("insight":")" + insight_id + "\"";
  CHECK(error_code_of(again.request("vote", vote)) == "forbidden");

  // The vote can be taken back, once; then given again.
  auto const unvote = vote + R"(,"up":false)";
  REQUIRE(again.request("vote", unvote).boolean("ok"));
  auto const down = again.wait_type("insight");
  REQUIRE(down);
  CHECK(down->num("votes") == 0);
  REQUIRE(again.request("vote", unvote).boolean("ok"));
  REQUIRE(again.request("vote", vote).boolean("ok"));
  auto const up = again.wait_type("insight");
  REQUIRE(up);
  CHECK(up->num("votes") == 1);
  for (auto const& m : again.drain()) CHECK(m.type() != "insight");  // the 2nd take-back: none
  CHECK(error_code_of(again.request("vote", R"("insight":"nope","up":false)")) == "not_found");
  CHECK(error_code_of(again.request("vote", vote + R"(,"up":"no")")) == "bad_request");

  std::vector<std::pair<std::string, std::string>> const key{{"X-API-Key", std::string(api_key)}};
  auto const report = message(http_get(srv.port, "/api/report", key).body);
  CHECK(report.num("/tables/0/participants") == 1);
  CHECK(report.num("/tables/0/insights/0/votes") == 1);
}

TEST_CASE("demo mode: a guest id is not handed out again after a restart", "[workflow][guest]") {
  temp_dir data;
  std::vector<std::string> const args{"--data-dir", data.path(), "--rate-limit", "0"};
  std::string id, token;
  {
    server_process srv(args);
    ws_client c(srv.port);
    auto const r = c.hello("Ada");
    id = r.str("/you/id");
    token = r.str("token");
  }
  server_process srv(args);
  ws_client fresh(srv.port);
  CHECK(fresh.hello("Ben").str("/you/id") != id);
  ws_client back(srv.port);
  auto const r = back.hello("Ada", token_field(token));
  INFO(r.raw());
  REQUIRE(r.boolean("ok"));
  CHECK(r.str("/you/id") == id);
}

TEST_CASE("permission matrix end to end: each op allowed and refused per role",
          "[workflow][permissions]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server();
  auto const p_tok = mint(auth::role::participant, "u-p", "Pat");
  auto const m_tok = mint(auth::role::moderator, "u-m", "Mod Here", "synergies");
  auto const o_tok = mint(auth::role::moderator, "u-o", "Mod Elsewhere", "big-data");
  auto const c_tok = mint(auth::role::chair, "u-c", "Chair");

  // Each role has a connection seated at synergies and one in the lobby.
  ws_client p(srv.port), m(srv.port), o(srv.port), c(srv.port);
  ws_client p_lobby(srv.port), m_lobby(srv.port), o_lobby(srv.port), c_lobby(srv.port);
  ws_client w(srv.port), v(srv.port);  // observers at synergies and big-data
  for (auto [conn, tok] : std::vector<std::pair<ws_client*, std::string>>{
           {&p, p_tok},
           {&m, m_tok},
           {&o, o_tok},
           {&c, c_tok},
           {&p_lobby, p_tok},
           {&m_lobby, m_tok},
           {&o_lobby, o_tok},
           {&c_lobby, c_tok},
           {&w, mint(auth::role::participant, "u-w", "Watcher")},
           {&v, mint(auth::role::participant, "u-v", "Viewer")}}) {
    REQUIRE(conn->hello("x", token_field(tok)).boolean("ok"));
  }
  for (auto* conn : {&p, &m, &o, &c, &w})
    REQUIRE(conn->request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(v.request("join", "\"table\":\"big-data\"").boolean("ok"));
  observers obs{{{&w, "synergies"}, {&v, "big-data"}}};
  obs.settle();

  struct role_conn {
    char const* name;
    ws_client* seated;
    ws_client* lobby;
  };
  std::vector<role_conn> const roles{{"participant", &p, &p_lobby},
                                     {"moderator of synergies", &m, &m_lobby},
                                     {"moderator of big-data", &o, &o_lobby},
                                     {"chair", &c, &c_lobby}};
  auto allowed = [&](ws_client& who, std::string const& op, std::string const& fields,
                     std::string const& event) {
    INFO(op << " " << fields);
    CHECK(error_code_of(who.request(op, fields)) == "ok");
    obs.expect(op, event);
  };
  auto refused = [&](ws_client& who, std::string const& op, std::string const& fields) {
    INFO(op << " " << fields);
    CHECK(error_code_of(who.request(op, fields)) == "forbidden");
    obs.expect_nothing(op);
  };
  // W posts a message and returns its id (from its own event).
  auto post = [&](std::string const& room) {
    REQUIRE(w.request("say", say_fields(room, "to be deleted")).boolean("ok"));
    auto e = w.wait_for(
        [&](message const& x) { return x.type() == "message" && x.str("room") == room; });
    REQUIRE(e);
    return e->str("id");
  };

  SECTION("say") {
    for (auto const& r : roles) {
      INFO(r.name);
      allowed(*r.seated, "say", say_fields("synergies", "hello"), "message");
      refused(*r.lobby, "say", say_fields("synergies", "not seated"));
    }
  }
  SECTION("hand") {
    for (auto const& r : roles) {
      INFO(r.name);
      allowed(*r.seated, "hand", "\"up\":true", "hands");
      allowed(*r.seated, "hand", "\"up\":false", "hands");
      refused(*r.lobby, "hand", "\"up\":true");
    }
  }
  SECTION("speaker next and clear") {
    REQUIRE(p.request("hand", "\"up\":true").boolean("ok"));
    obs.settle();
    for (auto const* action : {"next", "clear"}) {
      auto const fields = "\"room\":\"synergies\",\"action\":\"" + std::string(action) + "\"";
      refused(p, "speaker", fields);
      refused(o, "speaker", fields);
      allowed(m, "speaker", fields, "hands");
      allowed(c, "speaker", fields, "hands");
      // The moderator of synergies has no say at big-data; its own moderator has.
      refused(m, "speaker", "\"room\":\"big-data\",\"action\":\"" + std::string(action) + "\"");
      allowed(o, "speaker", "\"room\":\"big-data\",\"action\":\"" + std::string(action) + "\"",
              "hands");
    }
  }
  SECTION("insight and vote") {
    for (auto const& r : roles) {
      INFO(r.name);
      allowed(*r.seated, "insight", "\"text\":\"an idea\"", "insight");
      refused(*r.lobby, "insight", "\"text\":\"not seated\"");
    }
    REQUIRE(w.request("insight", "\"text\":\"vote for me\"").boolean("ok"));
    auto i = w.wait_for(
        [](message const& x) { return x.type() == "insight" && x.str("text") == "vote for me"; });
    REQUIRE(i);
    obs.settle();
    auto const vote = "\"insight\":" + q(i->str("id"));
    for (auto const& r : roles) {
      INFO(r.name);
      refused(*r.lobby, "vote", vote);
      allowed(*r.seated, "vote", vote, "insight");
      refused(*r.seated, "vote", vote);  // once per participant
    }
  }
  SECTION("delete") {
    for (auto* who : {&p, &o})
      refused(*who, "delete", "\"room\":\"synergies\",\"message\":" + q(post("synergies")));
    allowed(m, "delete", "\"room\":\"synergies\",\"message\":" + q(post("synergies")), "deleted");
    allowed(c, "delete", "\"room\":\"synergies\",\"message\":" + q(post("synergies")), "deleted");
    auto const in_plenary = post("plenary");
    obs.settle();
    refused(m, "delete", "\"room\":\"plenary\",\"message\":" + q(in_plenary));
    refused(p, "delete", "\"room\":\"plenary\",\"message\":" + q(in_plenary));
    allowed(c, "delete", "\"room\":\"plenary\",\"message\":" + q(in_plenary), "deleted");
  }
  SECTION("timer") {
    auto const here = std::string("\"room\":\"synergies\",\"seconds\":600");
    refused(p, "timer", here);
    refused(o, "timer", here);
    allowed(m, "timer", here, "timer");
    allowed(c, "timer", here, "timer");
    refused(m, "timer", "\"room\":\"big-data\",\"seconds\":600");
    allowed(o, "timer", "\"room\":\"big-data\",\"seconds\":0", "timer");
    refused(m, "timer", "\"room\":\"plenary\",\"seconds\":600");
    refused(p, "timer", "\"room\":\"plenary\",\"seconds\":600");
    allowed(c, "timer", "\"room\":\"plenary\",\"seconds\":0", "timer");
    allowed(m, "timer", "\"room\":\"synergies\",\"seconds\":0", "timer");
  }
  SECTION("summary") {
    auto const draft = std::string("\"table\":\"synergies\",\"text\":\"draft\"");
    refused(p, "summary", draft);
    refused(o, "summary", draft);
    refused(c, "summary", "\"text\":\"chair has no table of its own\"");
    refused(m, "summary", "\"table\":\"big-data\",\"text\":\"not mine\",\"publish\":true");
    // A draft reaches its drafters only: the participants observing see nothing.
    auto drafted = [&](ws_client& who, std::string const& fields, std::string const& text) {
      INFO("summary " << fields);
      CHECK(error_code_of(who.request("summary", fields)) == "ok");
      auto const e = who.wait_for(
          [&](message const& x) { return x.type() == "summary" && x.str("text") == text; });
      CHECK(e);
      obs.expect_nothing("summary draft");
    };
    drafted(m, draft, "draft");
    drafted(m, "\"text\":\"default table\"", "default table");
    // The moderator of big-data sits at synergies: drafts reach those at the table only.
    CHECK(error_code_of(o.request("summary", "\"text\":\"big data draft\"")) == "ok");
    obs.expect_nothing("summary draft");
    drafted(c, "\"table\":\"synergies\",\"text\":\"chair's draft\"", "chair's draft");
    allowed(m, "summary", "\"table\":\"synergies\",\"text\":\"final\",\"publish\":true", "report");
    allowed(c, "summary", "\"table\":\"big-data\",\"text\":\"final\",\"publish\":true", "report");
  }
  SECTION("close and reopen a table") {
    for (auto* who : {&p, &o}) refused(*who, "table", "\"table\":\"synergies\",\"open\":false");
    refused(m, "table", "\"table\":\"big-data\",\"open\":false");
    CHECK(error_code_of(m.request("table", "\"table\":\"synergies\",\"open\":false")) == "ok");
    CHECK(w.wait_type("table"));
    CHECK(error_code_of(c.request("table", "\"table\":\"synergies\",\"open\":true")) == "ok");
    CHECK(w.wait_type("table"));
    obs.settle();
  }
  SECTION("broadcast, phase and create_table are the chair's") {
    for (auto* who : {&p, &m, &o}) {
      refused(*who, "broadcast", "\"text\":\"hi all\"");
      refused(*who, "phase", "\"name\":\"networking\"");
      refused(*who, "create_table", "\"table\":\"rogue\",\"topic\":\"Rogue\"");
    }
    allowed(c, "broadcast", "\"text\":\"hi all\"", "broadcast");
    allowed(c, "phase", "\"name\":\"networking\"", "phase");
    CHECK(error_code_of(c.request("create_table", "\"table\":\"new-one\",\"topic\":\"New\"")) ==
          "ok");
    CHECK(w.wait_type("table_created"));
    CHECK(v.wait_type("table_created"));
    // The refused create_table left no table behind.
    CHECK(error_code_of(w.request("join", "\"table\":\"rogue\"")) == "not_found");
  }
}

TEST_CASE("a whole session: tables, hops, moderation, timer, hands, insights, reports",
          "[workflow][session]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server({"--threads", "2"});
  auto hello = [&](ws_client& c, std::string const& tok) {
    auto r = c.hello("x", token_field(tok));
    REQUIRE(r.boolean("ok"));
    return r.str("/you/id");
  };
  ws_client chair(srv.port), grace(srv.port), bd_mod(srv.port);
  ws_client ann(srv.port), bob(srv.port), cem(srv.port), dan(srv.port);
  hello(chair, mint(auth::role::chair, "chair", "Chair"));
  hello(grace, mint(auth::role::moderator, "grace", "Grace", "smart-villages"));
  hello(bd_mod, mint(auth::role::moderator, "bdm", "Bea", "big-data"));
  auto const ann_id = hello(ann, mint(auth::role::participant, "ann", "Ann"));
  auto const bob_id = hello(bob, mint(auth::role::participant, "bob", "Bob"));
  auto const cem_id = hello(cem, mint(auth::role::participant, "cem", "Cem"));
  hello(dan, mint(auth::role::participant, "dan", "Dan"));
  std::vector<ws_client*> const everyone{&chair, &grace, &bd_mod, &ann, &bob, &cem, &dan};

  // The chair opens a new table; everyone hears of it and the lobby lists it.
  REQUIRE(chair
              .request("create_table",
                       "\"table\":\"smart-villages\",\"topic\":\"Smart villages\","
                       "\"moderator\":\"Grace\"")
              .boolean("ok"));
  for (auto* c : everyone) {
    auto e = c->wait_type("table_created");
    REQUIRE(e);
    CHECK(e->str("table") == "smart-villages");
    CHECK(e->str("topic") == "Smart villages");
    CHECK(e->str("moderator") == "Grace");
  }

  // People spread over the tables and hop.
  REQUIRE(dan.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(bd_mod.request("join", "\"table\":\"big-data\"").boolean("ok"));
  REQUIRE(grace.request("join", "\"table\":\"smart-villages\"").boolean("ok"));
  REQUIRE(ann.request("join", "\"table\":\"smart-villages\"").boolean("ok"));
  REQUIRE(bob.request("join", "\"table\":\"big-data\"").boolean("ok"));
  REQUIRE(cem.request("join", "\"table\":\"big-data\"").boolean("ok"));
  auto hop = bob.request("join", "\"table\":\"smart-villages\"");
  REQUIRE(hop.boolean("ok"));
  CHECK(hop.str("/snapshot/room") == "smart-villages");
  CHECK(hop.str("/snapshot/topic") == "Smart villages");
  REQUIRE(cem.request("join", "\"table\":\"smart-villages\"").boolean("ok"));
  auto left = bd_mod.wait_for(
      [&](message const& m) { return m.type() == "presence" && m.str("left") == bob_id; });
  CHECK(left);
  CHECK(bd_mod.wait_for(
      [&](message const& m) { return m.type() == "presence" && m.str("left") == cem_id; }));
  for (auto const& id : {bob_id, cem_id}) {
    CHECK(ann.wait_for(
        [&](message const& m) { return m.type() == "presence" && m.str("/joined/id") == id; }));
  }
  std::vector<ws_client*> const table{&grace, &ann, &bob, &cem};

  // An off-topic message is deleted by the moderator.
  REQUIRE(ann.request("say", say_fields("smart-villages", "Broadband first")).boolean("ok"));
  REQUIRE(bob.request("say", say_fields("smart-villages", "Who won the match?")).boolean("ok"));
  auto off = grace.wait_for([](message const& m) { return m.str("text") == "Who won the match?"; });
  REQUIRE(off);
  auto const off_id = off->str("id");
  REQUIRE(grace.request("delete", "\"room\":\"smart-villages\",\"message\":" + q(off_id))
              .boolean("ok"));
  for (auto* c : table) {
    auto d = c->wait_type("deleted");
    REQUIRE(d);
    CHECK(d->str("message") == off_id);
    CHECK(d->str("room") == "smart-villages");
  }
  {
    ws_client late(srv.port);
    hello(late, mint(auth::role::participant, "late", "Late"));
    auto snap = late.request("join", "\"table\":\"smart-villages\"");
    REQUIRE(snap.boolean("ok"));
    CHECK(snap.raw().find("Who won the match?") == std::string::npos);
    CHECK(snap.raw().find("Broadband first") != std::string::npos);
    REQUIRE(late.request("leave").boolean("ok"));
  }

  // A short timer runs out.
  REQUIRE(grace.request("timer", "\"room\":\"smart-villages\",\"seconds\":1").boolean("ok"));
  for (auto* c : table) {
    auto t = c->wait_type("timer");
    REQUIRE(t);
    CHECK(t->num("seconds") == 1);
    CHECK(t->num("ends_at") > 0);
  }
  for (auto* c : table) CHECK(c->wait_type("timer_ended", 5000ms));

  // Hands: Ann then Cem; the moderator gives Ann the floor, then clears.
  REQUIRE(ann.request("hand", "\"up\":true").boolean("ok"));
  REQUIRE(cem.request("hand", "\"up\":true").boolean("ok"));
  REQUIRE(
      grace.request("speaker", "\"room\":\"smart-villages\",\"action\":\"next\"").boolean("ok"));
  auto floor = bob.wait_for([](message const& m) {
    return m.type() == "hands" && m.has("/speaker/id") && !m.at("/speaker").is_null();
  });
  REQUIRE(floor);
  CHECK(floor->str("/speaker/id") == ann_id);
  CHECK(floor->str("/queue/0/id") == cem_id);
  REQUIRE(
      grace.request("speaker", "\"room\":\"smart-villages\",\"action\":\"clear\"").boolean("ok"));
  auto cleared = bob.wait_for([](message const& m) {
    return m.type() == "hands" && m.at("/speaker").is_null() && m.str("/queue/0/id").empty();
  });
  CHECK(cleared);

  // Insights and votes: Cem's gets three votes, Ann's one.
  REQUIRE(ann.request("insight", "\"text\":\"Fibre to every village\"").boolean("ok"));
  REQUIRE(cem.request("insight", "\"text\":\"Train local digital stewards\"").boolean("ok"));
  auto const id_of = [&](std::string const& text) {
    auto i = grace.wait_for(
        [&](message const& m) { return m.type() == "insight" && m.str("text") == text; });
    REQUIRE(i);
    return i->str("id");
  };
  auto const fibre = id_of("Fibre to every village");
  auto const stewards = id_of("Train local digital stewards");
  for (auto* c : {&ann, &bob, &grace})
    REQUIRE(c->request("vote", "\"insight\":" + q(stewards)).boolean("ok"));
  REQUIRE(bob.request("vote", "\"insight\":" + q(fibre)).boolean("ok"));
  CHECK(error_code_of(bob.request("vote", "\"insight\":" + q(fibre))) == "forbidden");
  CHECK(error_code_of(bob.request("vote", "\"insight\":\"i404\"")) == "not_found");
  auto three = cem.wait_for([&](message const& m) {
    return m.type() == "insight" && m.str("id") == stewards && m.num("votes") == 3;
  });
  CHECK(three);
  auto ranked = dan.request("join", "\"table\":\"smart-villages\"");
  REQUIRE(ranked.boolean("ok"));
  CHECK(ranked.str("/snapshot/insights/0/id") == stewards);
  CHECK(ranked.num("/snapshot/insights/0/votes") == 3);
  CHECK(ranked.str("/snapshot/insights/1/id") == fibre);
  CHECK(ranked.num("/snapshot/insights/1/votes") == 1);
  REQUIRE(dan.request("join", "\"table\":\"synergies\"").boolean("ok"));  // back to his table

  // Summaries: a draft is the drafters' (see drafting_test); each publish
  // reaches the plenary.
  REQUIRE(grace.request("summary", "\"text\":\"Draft: fibre, stewards\"").boolean("ok"));
  auto draft = grace.wait_type("summary");
  REQUIRE(draft);
  CHECK(draft->str("text") == "Draft: fibre, stewards");
  REQUIRE(grace.request("summary", "\"text\":\"Villages need fibre and stewards\",\"publish\":true")
              .boolean("ok"));
  REQUIRE(bd_mod.request("summary", "\"text\":\"Open data needs stewards\",\"publish\":true")
              .boolean("ok"));
  auto r1 = dan.wait_type("report");
  REQUIRE(r1);
  CHECK(r1->str("room") == "plenary");
  CHECK(r1->str("table") == "smart-villages");
  CHECK(r1->str("topic") == "Smart villages");
  CHECK(r1->str("moderator") == "Grace");
  CHECK(r1->str("text") == "Villages need fibre and stewards");
  auto r2 = dan.wait_type("report");
  REQUIRE(r2);
  CHECK(r2->str("table") == "big-data");
  CHECK(r2->str("text") == "Open data needs stewards");
  // Only the published text went to the plenary.
  CHECK(r1->raw().find("Draft:") == std::string::npos);

  // The chair's broadcast and the new phase reach everyone.
  REQUIRE(chair.request("broadcast", "\"text\":\"Reports in the plenary now\"").boolean("ok"));
  REQUIRE(chair.request("phase", "\"name\":\"reports\"").boolean("ok"));
  for (auto* c : everyone) {
    auto b = c->wait_type("broadcast");
    REQUIRE(b);
    CHECK(b->str("text") == "Reports in the plenary now");
    CHECK(b->str("/from/role") == "chair");
    auto ph = c->wait_type("phase");
    REQUIRE(ph);
    CHECK(ph->str("name") == "reports");
  }
  ws_client newcomer(srv.port);
  auto h = newcomer.hello("x", token_field(mint(auth::role::participant, "new", "New")));
  REQUIRE(h.boolean("ok"));
  CHECK(h.str("/event/phase") == "reports");
  CHECK(h.str("/plenary/reports/0/table") == "smart-villages");
  CHECK(h.str("/plenary/reports/1/table") == "big-data");
  CHECK(h.str("/plenary/broadcasts/0/text") == "Reports in the plenary now");
  bool listed = false;
  simdjson::dom::array tables;
  REQUIRE(!h.at("/tables").get(tables));
  for (auto t : tables) {
    std::string_view id;
    listed = listed || (!t["id"].get(id) && id == "smart-villages");
  }
  CHECK(listed);

  // The moderator closes the table: the seated stay and read, nobody new joins.
  REQUIRE(grace.request("table", "\"table\":\"smart-villages\",\"open\":false").boolean("ok"));
  auto closed = ann.wait_type("table");
  REQUIRE(closed);
  CHECK(closed->str("table") == "smart-villages");
  CHECK_FALSE(closed->boolean("open"));
  CHECK(error_code_of(newcomer.request("join", "\"table\":\"smart-villages\"")) == "forbidden");
  CHECK(error_code_of(ann.request("say", say_fields("smart-villages", "hello?"))) == "forbidden");
  CHECK(grace.request("say", say_fields("smart-villages", "Closing now")).boolean("ok"));
  CHECK(ann.wait_for([](message const& m) { return m.str("text") == "Closing now"; }));
  REQUIRE(grace.request("table", "\"table\":\"smart-villages\",\"open\":true").boolean("ok"));
  CHECK(newcomer.request("join", "\"table\":\"smart-villages\"").boolean("ok"));
  CHECK(ann.request("say", say_fields("smart-villages", "open again")).boolean("ok"));
}

TEST_CASE("capacity: the third participant gets full, the moderator and chair get in",
          "[workflow][capacity]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server();
  ws_client chair(srv.port), mod(srv.port), a(srv.port), b(srv.port), c(srv.port);
  REQUIRE(chair.hello("x", token_field(mint(auth::role::chair, "ch", "Chair"))).boolean("ok"));
  REQUIRE(
      mod.hello("x", token_field(mint(auth::role::moderator, "md", "Mo", "tiny"))).boolean("ok"));
  for (auto [cl, id] : {std::pair{&a, "a"}, std::pair{&b, "b"}, std::pair{&c, "c"}})
    REQUIRE(cl->hello("x", token_field(mint(auth::role::participant, id, id))).boolean("ok"));
  REQUIRE(
      chair.request("create_table", "\"table\":\"tiny\",\"topic\":\"A small table\",\"capacity\":2")
          .boolean("ok"));
  auto created = a.wait_type("table_created");
  REQUIRE(created);
  CHECK(created->num("capacity") == 2);
  REQUIRE(a.request("join", "\"table\":\"tiny\"").boolean("ok"));
  REQUIRE(b.request("join", "\"table\":\"tiny\"").boolean("ok"));
  CHECK(error_code_of(c.request("join", "\"table\":\"tiny\"")) == "full");
  CHECK(mod.request("join", "\"table\":\"tiny\"").boolean("ok"));
  CHECK(chair.request("join", "\"table\":\"tiny\"").boolean("ok"));
  // Still full for participants after a leave while privileged members sit there.
  REQUIRE(a.request("leave").boolean("ok"));
  CHECK(error_code_of(c.request("join", "\"table\":\"tiny\"")) == "full");
  REQUIRE(mod.request("leave").boolean("ok"));
  REQUIRE(chair.request("leave").boolean("ok"));
  CHECK(c.request("join", "\"table\":\"tiny\"").boolean("ok"));
  // A duplicate table id is a bad request.
  CHECK(error_code_of(chair.request("create_table", "\"table\":\"tiny\",\"topic\":\"Again\"")) ==
        "bad_request");
}

TEST_CASE("closing a table tells its members and the lobby", "[workflow][open]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  // PROTOCOL.md: `table` {table, open} is a room event of the table (its
  // members are told, in seq order); everyone sees `open` in `tables`.
  auto srv = auth_server();
  ws_client mod(srv.port), member(srv.port), lobby(srv.port);
  REQUIRE(mod.hello("x", token_field(mint(auth::role::moderator, "m", "M", "inclusiveness")))
              .boolean("ok"));
  REQUIRE(member.hello("x", token_field(mint(auth::role::participant, "a", "A"))).boolean("ok"));
  REQUIRE(lobby.hello("x", token_field(mint(auth::role::participant, "l", "L"))).boolean("ok"));
  REQUIRE(member.request("join", "\"table\":\"inclusiveness\"").boolean("ok"));
  REQUIRE(mod.request("table", "\"table\":\"inclusiveness\",\"open\":false").boolean("ok"));
  auto t = member.wait_type("table", 2000ms);
  REQUIRE(t);
  CHECK(t->str("table") == "inclusiveness");
  CHECK(t->str("room") == "inclusiveness");
  CHECK_FALSE(t->boolean("open"));
  CHECK(t->has("/seq"));
  auto l = lobby.wait_for(
      [](message const& m) {
        bool open = true;
        auto const row = m.type() == "tables" ? table_row(m, "inclusiveness") : std::nullopt;
        return row && !(*row)["open"].get(open) && !open;
      },
      2000ms);
  CHECK(l);
}

TEST_CASE("table_created is a plenary event everyone receives", "[workflow][open]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server();
  ws_client chair(srv.port), other(srv.port);
  REQUIRE(chair.hello("x", token_field(mint(auth::role::chair, "c", "C"))).boolean("ok"));
  REQUIRE(other.hello("x", token_field(mint(auth::role::participant, "p", "P"))).boolean("ok"));
  REQUIRE(chair.request("create_table", "\"table\":\"t2\",\"topic\":\"T2\"").boolean("ok"));
  auto e = other.wait_type("table_created");
  REQUIRE(e);
  CHECK(e->str("room") == "plenary");
  CHECK(e->has("/seq"));
  CHECK(e->str("table") == "t2");
  CHECK(e->str("topic") == "T2");
}

TEST_CASE("HTTP admin API: auth, tables, broadcast and the session report", "[workflow][http]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  current_engine = &engine;
  INFO("engine: " << engine_name);
  auto srv = auth_server({"--api-key", std::string(api_key)});
  std::vector<std::pair<std::string, std::string>> const key{{"X-API-Key", std::string(api_key)}};
  auto json_of = [](http_result const& r) { return message(r.body); };

  SECTION("a missing or wrong key is 401, a non-chair token 403, with a JSON error") {
    for (auto const& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {},
             {{"X-API-Key", "wrong"}},
             {{"X-API-Key", std::string(api_key) + "x"}},
             {{"Authorization", "Bearer " + mint(auth::role::chair, "c", "C", {}, 3600, "bad")}},
             {{"Authorization", "Bearer " + mint(auth::role::chair, "c", "C", {}, -5)}}}) {
      for (auto const& res :
           {http_get(srv.port, "/api/report", headers),
            http_post(srv.port, "/api/tables", R"({"table":"x","topic":"X"})", headers),
            http_post(srv.port, "/api/broadcast", R"({"text":"x"})", headers)}) {
        CHECK(res.status == 401);
        CHECK(res.content_type.find("application/json") != std::string::npos);
        CHECK(json_of(res).str("/error/code") == "unauthorized");
      }
    }
    // A valid token that is not the chair's: known, but not allowed (403).
    std::vector<std::pair<std::string, std::string>> const participant{
        {"Authorization", "Bearer " + mint(auth::role::participant, "p", "P")}};
    for (auto const& res :
         {http_get(srv.port, "/api/report", participant),
          http_post(srv.port, "/api/tables", R"({"table":"x","topic":"X"})", participant),
          http_post(srv.port, "/api/broadcast", R"({"text":"x"})", participant)}) {
      CHECK(res.status == 403);
      CHECK(json_of(res).str("/error/code") == "forbidden");
    }
    // Nothing was created.
    ws_client c(srv.port);
    REQUIRE(c.hello("x", token_field(mint(auth::role::participant, "p", "P"))).boolean("ok"));
    CHECK(error_code_of(c.request("join", "\"table\":\"x\"")) == "not_found");
  }
  SECTION("POST /api/tables creates a table; bad bodies are 400") {
    ws_client before(srv.port);
    REQUIRE(
        before.hello("x", token_field(mint(auth::role::participant, "p0", "P0"))).boolean("ok"));
    auto r = http_post(srv.port, "/api/tables",
                       R"({"table":"from-api","topic":"From the API","moderator":"Ida",)"
                       R"("capacity":5})",
                       key);
    CHECK(r.status / 100 == 2);
    auto created = before.wait_type("table_created");
    REQUIRE(created);
    CHECK(created->str("table") == "from-api");
    ws_client c(srv.port);
    auto h = c.hello("x", token_field(mint(auth::role::participant, "p", "P")));
    REQUIRE(h.boolean("ok"));
    CHECK(h.str("/tables/3/id") == "from-api");
    CHECK(h.str("/tables/3/topic") == "From the API");
    CHECK(h.str("/tables/3/moderator") == "Ida");
    CHECK(h.num("/tables/3/capacity") == 5);
    CHECK(c.request("join", "\"table\":\"from-api\"").boolean("ok"));

    for (auto const* body : {
             "not json",
             "[1,2]",
             R"({"topic":"no id"})",
             R"({"table":"no-topic"})",
             R"({"table":"bad id","topic":"T"})",
             R"({"table":"plenary","topic":"T"})",
             R"({"table":"neg","topic":"T","capacity":-1})",
             R"({"table":"num","topic":"T","capacity":"5"})",
             R"({"table":"mod","topic":"T","moderator":7})",
             R"({"table":"empty","topic":""})",
             R"({"table":"from-api","topic":"duplicate"})",
         }) {
      INFO(body);
      auto bad = http_post(srv.port, "/api/tables", body, key);
      CHECK(bad.status == 400);
      CHECK(json_of(bad).str("/error/code") == "bad_request");
    }
    auto h2 = ws_client(srv.port).hello("x", token_field(mint(auth::role::participant, "q", "Q")));
    CHECK_FALSE(h2.has("/tables/4"));
  }
  SECTION("POST /api/broadcast reaches everyone; bad bodies are 400") {
    ws_client c(srv.port);
    REQUIRE(c.hello("x", token_field(mint(auth::role::participant, "p", "P"))).boolean("ok"));
    auto r = http_post(srv.port, "/api/broadcast", R"({"text":"Lunch is served"})", key);
    CHECK(r.status == 200);
    auto b = c.wait_type("broadcast");
    REQUIRE(b);
    CHECK(b->str("text") == "Lunch is served");
    for (auto const* body : {"", "{}", R"({"text":""})", R"({"text":5})", "[]"}) {
      INFO(body);
      CHECK(http_post(srv.port, "/api/broadcast", body, key).status == 400);
    }
    CHECK_FALSE(c.wait_type("broadcast", 300ms));
  }
  SECTION("GET /api/report and /api/report.md hold the session's outcome") {
    ws_client mod(srv.port), ann(srv.port), bob(srv.port), chair(srv.port);
    auto const chair_token = mint(auth::role::chair, "c", "Chair");
    REQUIRE(chair.hello("x", token_field(chair_token)).boolean("ok"));
    REQUIRE(mod.hello("x", token_field(mint(auth::role::moderator, "m", "Grace", "synergies")))
                .boolean("ok"));
    REQUIRE(ann.hello("x", token_field(mint(auth::role::participant, "a", "Ann"))).boolean("ok"));
    REQUIRE(bob.hello("x", token_field(mint(auth::role::participant, "b", "Bob"))).boolean("ok"));
    for (auto* c : {&mod, &ann, &bob})
      REQUIRE(c->request("join", "\"table\":\"synergies\"").boolean("ok"));
    for (auto* c : {&ann, &bob, &ann})
      REQUIRE(c->request("say", say_fields("synergies", "a point")).boolean("ok"));
    REQUIRE(ann.request("insight", "\"text\":\"Low votes idea\"").boolean("ok"));
    REQUIRE(bob.request("insight", "\"text\":\"High votes idea\"").boolean("ok"));
    REQUIRE(ann.request("insight", "\"text\":\"Middle idea\"").boolean("ok"));
    auto id_of = [&](std::string const& text) {
      auto i = mod.wait_for(
          [&](message const& m) { return m.type() == "insight" && m.str("text") == text; });
      REQUIRE(i);
      return i->str("id");
    };
    auto const low = id_of("Low votes idea"), high = id_of("High votes idea"),
               middle = id_of("Middle idea");
    for (auto* c : {&ann, &bob, &mod})
      REQUIRE(c->request("vote", "\"insight\":" + q(high)).boolean("ok"));
    for (auto* c : {&ann, &bob})
      REQUIRE(c->request("vote", "\"insight\":" + q(middle)).boolean("ok"));
    REQUIRE(mod.request("summary", "\"text\":\"Synergies: share platforms\",\"publish\":true")
                .boolean("ok"));
    REQUIRE(chair.request("broadcast", "\"text\":\"Thanks all\"").boolean("ok"));
    REQUIRE(chair.wait_type("report"));
    REQUIRE(chair.wait_type("broadcast"));
    (void)low;

    auto const bearer = std::vector<std::pair<std::string, std::string>>{
        {"Authorization", "Bearer " + chair_token}};
    for (auto const& headers : {key, bearer}) {
      auto r = http_get(srv.port, "/api/report", headers);
      REQUIRE(r.status == 200);
      CHECK(r.content_type.find("application/json") != std::string::npos);
      auto const j = json_of(r);
      CHECK(j.str("/tables/0/id") == "synergies");
      CHECK(j.str("/tables/0/summary") == "Synergies: share platforms");
      CHECK(j.str("/tables/0/insights/0/text") == "High votes idea");
      CHECK(j.num("/tables/0/insights/0/votes") == 3);
      CHECK(j.str("/tables/0/insights/1/text") == "Middle idea");
      CHECK(j.num("/tables/0/insights/1/votes") == 2);
      CHECK(j.str("/tables/0/insights/2/text") == "Low votes idea");
      CHECK(j.num("/tables/0/insights/2/votes") == 0);
      CHECK(j.num("/tables/0/participants") == 3);
      CHECK(j.num("/tables/0/messages") == 3);
      CHECK(j.at("/tables/1/summary").is_null());
      CHECK(j.num("/tables/1/participants") == 0);
      CHECK(j.str("/plenary/reports/0/text") == "Synergies: share platforms");
      CHECK(j.str("/plenary/broadcasts/0/text") == "Thanks all");

      auto md = http_get(srv.port, "/api/report.md", headers);
      REQUIRE(md.status == 200);
      CHECK(md.content_type.find("text/markdown") != std::string::npos);
      auto const& t = md.body;
      auto const pos_high = t.find("High votes idea"), pos_mid = t.find("Middle idea"),
                 pos_low = t.find("Low votes idea");
      REQUIRE(pos_high != std::string::npos);
      REQUIRE(pos_mid != std::string::npos);
      REQUIRE(pos_low != std::string::npos);
      CHECK(pos_high < pos_mid);
      CHECK(pos_mid < pos_low);
      CHECK(t.find("Synergies: share platforms") != std::string::npos);
      CHECK(t.find("Participants: 3") != std::string::npos);
      CHECK(t.find("Messages: 3") != std::string::npos);
      CHECK(t.find("Thanks all") != std::string::npos);
    }
    CHECK(http_get(srv.port, "/api/nothing", key).status == 404);
  }
}
