// Who is at the table, end to end (issue 14), on both engines: a participant
// names a stakeholder group and one line of expertise at hello (an unknown
// group is refused), the lobby shows each table's mix, presence and snapshots
// show what people said, a moderator gives table roles that everyone at the
// table sees, bad input gets its error and nobody sees a thing, and the
// rapporteur drafts the summary; the report shows each table's mix and
// roles; an event config's own lists, and lists past
// their bounds refused at start. And the adversarial case: two moderators of
// one table give roles at the same instant from two nodes, many times; every
// member sees the same role events in the same order, a role never has two
// holders, and every node's snapshot agrees with the events.
#include "tests/support/banner.hpp"
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>


#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "people-test-secret-0123456789abcdef";

std::string token(auth::role r, std::string sub, std::string name, std::string table = {}) {
  return named_token_field(secret, r, std::move(sub), std::move(name), std::move(table));
}

std::vector<std::string> base_args(std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--api-key", "k"});
  return secret_server_args(secret, std::move(extra));
}

// A connection that said hello with `extra` and sat at synergies.
std::unique_ptr<ws_client> seated(int port, std::string const& extra) {
  auto c = std::make_unique<ws_client>(port);
  REQUIRE(c->hello("x", extra).boolean("ok"));
  REQUIRE(c->request("join", R"("table":"synergies")").boolean("ok"));
  return c;
}

std::string role_fields(std::string const& who, std::string const& role) {
  return "\"participant\":\"" + who + "\",\"role\":" + (role.empty() ? "null" : "\"" + role + "\"");
}

// The role events `c` receives up to its own marker message at the table.
std::vector<message> roles_until_marker(ws_client& c, std::string const& mark) {
  REQUIRE(c.request("say", R"("room":"synergies","text":")" + mark + "\"").boolean("ok"));
  std::vector<message> out;
  for (;;) {
    auto m = c.next(10s);
    REQUIRE(m);
    if (m->type() == "message" && m->str("text") == mark) return out;
    if (m->type() == "role") out.push_back(*m);
  }
}

// participant id -> role, from a snapshot's `roles`.
std::map<std::string, std::string> roles_in(message const& reply, std::string const& pointer) {
  std::map<std::string, std::string> out;
  simdjson::dom::array list;
  if (reply.at(pointer).get(list)) return out;
  for (auto r : list) {
    std::string_view id, role;
    if (!r["participant"].get(id) && !r["role"].get(role)) out[std::string(id)] = role;
  }
  return out;
}

// synergies' mix in a hello reply's lobby, as "group=n,..."; waits for the
// lobby to catch up with joins applied a moment ago.
std::string lobby_mix(int port) {
  std::string got;
  for (int attempt = 0; attempt < 40; ++attempt) {
    ws_client c(port);
    auto const hello = c.hello("Look", token(auth::role::participant, "look", "Look"));
    auto const row = table_row(hello, "synergies");
    REQUIRE(row);
    simdjson::dom::object mix;
    REQUIRE_FALSE((*row)["mix"].get(mix));
    got.clear();
    for (auto [group, n] : mix) {
      std::int64_t count = -1;
      CHECK_FALSE(n.get(count));
      got += std::string(group) + "=" + std::to_string(count) + ",";
    }
    if (!got.empty()) return got;
    std::this_thread::sleep_for(50ms);
  }
  return got;
}

}  // namespace

TEST_CASE("people: stakeholders at hello, the lobby's mix, roles given and seen",
          "[people][roles]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO(engine.name());
  server_process srv(engine.args(base_args()));

  // An unknown group is refused; the same connection may then say hello again.
  ws_client ann_conn(srv.port);
  auto const ann_tok = token(auth::role::participant, "ann", "Ann");
  auto r = ann_conn.hello("Ann", ann_tok + R"(,"stakeholder":"astronaut")");
  CHECK(code_of(r) == "bad_request");
  CHECK(r.str("/error/message").find("policy-maker") != std::string::npos);
  r = ann_conn.hello("Ann",
                     ann_tok + R"(,"stakeholder":"researcher","expertise":"Water <b>law</b>")");
  REQUIRE(code_of(r) == "ok");
  CHECK(r.str("/you/stakeholder") == "researcher");
  CHECK(r.str("/you/expertise") == "Water <b>law</b>");
  CHECK(r.str("/event/stakeholders/0") == "policy-maker");
  CHECK(r.str("/event/roles/0") == "rapporteur");
  CHECK(code_of(ann_conn.request("join", R"("table":"synergies")")) == "ok");
  // Too long an expertise: too_large.
  ws_client longer(srv.port);
  CHECK(code_of(longer.hello("L", R"("expertise":")" + std::string(201, 'e') + "\"")) ==
        "too_large");

  auto bob = seated(srv.port,
                    token(auth::role::participant, "bob", "Bob") + R"(,"stakeholder":"citizen")");
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "Grace", "synergies"));
  auto const joined = ann_conn.wait_for(
      [](message const& m) { return m.type() == "presence" && m.str("/joined/id") == "bob"; });
  REQUIRE(joined);
  CHECK(joined->str("/joined/stakeholder") == "citizen");
  CHECK(lobby_mix(srv.port) == "citizen=1,researcher=1,");
  ann_conn.drain(100ms);
  bob->drain(100ms);

  // A participant may not give roles; nobody sees anything.
  CHECK(code_of(bob->request("role", role_fields("bob", "rapporteur"))) == "forbidden");
  CHECK(roles_until_marker(*bob, "after bob").empty());

  // The moderator names Ann rapporteur: everyone at the table sees it.
  CHECK(code_of(mod->request("role", role_fields("ann", "rapporteur"))) == "ok");
  for (auto* c : {&ann_conn, bob.get(), mod.get()}) {
    auto const seen = roles_until_marker(*c, "after mod");
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].str("participant") == "ann");
    CHECK(seen[0].str("role") == "rapporteur");
    CHECK(seen[0].str("/who/name") == "Ann");
    CHECK(seen[0].str("room") == "synergies");
  }

  struct bad {
    std::string fields, code;
  };
  std::vector<bad> const cases = {
      {role_fields("bob", "chief"), "bad_request"},
      {role_fields("nobody", "timekeeper"), "not_found"},
      {role_fields("bob", std::string(65, 'r')), "too_large"},
      {R"("role":"timekeeper")", "bad_request"},  // no participant
      {role_fields("bob", "timekeeper") + R"(,"table":"big-data")", "forbidden"},
      {role_fields("bob", "timekeeper") + R"(,"table":"no-such")", "not_found"},
  };
  for (auto const& b : cases) {
    INFO(b.fields);
    CHECK(code_of(mod->request("role", b.fields)) == b.code);
  }
  CHECK(roles_until_marker(*bob, "after bad input").empty());

  // A newcomer's snapshot has the roles and what people said.
  ws_client cy(srv.port);
  REQUIRE(cy.hello("Cy", token(auth::role::participant, "cy", "Cy")).boolean("ok"));
  auto const snap = cy.request("join", R"("table":"synergies")");
  CHECK(roles_in(snap, "/snapshot/roles") ==
        std::map<std::string, std::string>{{"ann", "rapporteur"}});
  CHECK(snap.raw().find(R"("expertise":"Water <b>law</b>")") != std::string::npos);

  // The report: who sat there per group (Cy named none), and the roles held.
  message const report(http_get(srv.port, "/api/report", {{"X-Api-Key", "k"}}).body);
  CHECK(report.str("/tables/0/id") == "synergies");
  CHECK(report.num("/tables/0/mix/researcher") == 1);
  CHECK(report.num("/tables/0/mix/citizen") == 1);
  CHECK(report.str("/tables/0/roles/0/role") == "rapporteur");
  CHECK(report.str("/tables/0/roles/0/name") == "Ann");
  CHECK(report.raw().find("\"ann\"") == std::string::npos);  // names, not ids
  auto const md = http_get(srv.port, "/api/report.md", {{"X-Api-Key", "k"}}).body;
  CHECK(md.find("- Stakeholders: citizen 1, researcher 1") != std::string::npos);
  CHECK(md.find("- Role rapporteur: Ann") != std::string::npos);

  // The rapporteur drafts the summary at her table; only the moderator publishes.
  CHECK(code_of(ann_conn.request("summary", R"("text":"Draft by Ann")")) == "ok");
  CHECK(code_of(ann_conn.request("summary", R"("text":"Draft by Ann","publish":true)")) ==
        "forbidden");
  CHECK(code_of(bob->request("summary", R"("text":"Bob's")")) == "forbidden");
  // Taken back: she no longer drafts.
  CHECK(code_of(mod->request("role", role_fields("ann", ""))) == "ok");
  CHECK(code_of(ann_conn.request("summary", R"("text":"Again")")) == "forbidden");
}

namespace {

// Two moderators of synergies (on node 0 and node 1, or one node with the
// memory engine) give roles at the same instant, `rounds` times: even rounds
// the same role to different people, odd rounds different roles to the same
// person. Observers on each node see the same role events in the same order;
// replaying them never leaves a role with two holders, and every node's
// snapshot holds what the replay ends with.
void role_race(std::vector<int> const& ports, int rounds) {
  auto port = [&](std::size_t i) { return ports[i % ports.size()]; };
  auto ann = seated(port(0), token(auth::role::participant, "ann", "Ann"));
  auto bob = seated(port(1), token(auth::role::participant, "bob", "Bob"));
  auto m1 = seated(port(0), token(auth::role::moderator, "m1", "Grace", "synergies"));
  auto m2 = seated(port(1), token(auth::role::moderator, "m2", "Hedy", "synergies"));
  std::vector<std::string> const roles{"rapporteur", "note-taker", "timekeeper"};
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto const k = static_cast<std::size_t>(round);
    std::string a, b;
    if (round % 2 == 0) {
      a = role_fields("ann", roles[k / 2 % 3]);
      b = role_fields("bob", roles[k / 2 % 3]);
    } else {
      a = role_fields(k % 4 == 1 ? "ann" : "bob", roles[k % 3]);
      b = role_fields(k % 4 == 1 ? "ann" : "bob", roles[(k + 1) % 3]);
    }
    m1->send(R"({"op":"role","rid":1,)" + a + "}");
    m2->send(R"({"op":"role","rid":1,)" + b + "}");
    for (auto* c : {m1.get(), m2.get()}) {
      auto reply = c->wait_type("reply", 10s);
      REQUIRE(reply);
      CHECK(code_of(*reply) == "ok");
    }
  }
  std::vector<std::vector<std::string>> orders;
  std::map<std::string, std::string> model;
  for (auto* c : {ann.get(), bob.get(), m1.get(), m2.get()}) {
    auto const seen = roles_until_marker(*c, "end");
    std::vector<std::string> order;
    std::map<std::string, std::string> held;
    for (auto const& m : seen) {
      order.push_back(m.str("participant") + "/" + m.str("role") + "/" +
                      std::to_string(m.num("seq")));
      if (m.str("role").empty()) {
        held.erase(m.str("participant"));
      } else {
        held[m.str("participant")] = m.str("role");
        std::map<std::string, int> holders;
        for (auto const& [who, role] : held) ++holders[role];
        for (auto const& [role, n] : holders) CHECK(n == 1);
      }
    }
    CHECK(!order.empty());
    orders.push_back(std::move(order));
    model = held;
  }
  for (std::size_t k = 1; k < orders.size(); ++k) CHECK(orders[k] == orders[0]);
  for (std::size_t n = 0; n < ports.size(); ++n) {
    ws_client late(port(n));
    REQUIRE(late.hello("Late", token(auth::role::participant, "late", "Late")).boolean("ok"));
    CHECK(roles_in(late.request("join", R"("table":"synergies")"), "/snapshot/roles") == model);
  }
}

}  // namespace

TEST_CASE("role race: two moderators at once on one node", "[people][race][memory]") {
  server_process srv(base_args({"--ephemeral"}));
  role_race({srv.port}, 24);
}

TEST_CASE("role race: two moderators at once from two nodes", "[people][race][redis]") {
  redis_nodes cluster(2, base_args());
  role_race(cluster.ports, 24);
}

TEST_CASE("the event config's stakeholders and roles; past a bound the server does not start",
          "[people][start]") {
  temp_dir dir;
  auto const write = [&](std::string const& json) {
    auto const path = dir.path() + "/event.json";
    std::ofstream(path) << json;
    return path;
  };
  {
    server_process srv(base_args(
        {"--ephemeral", "--event",
         write(
             R"({"stakeholders":["farmer"],"roles":["scribe"],"tables":[{"id":"synergies","topic":"T"}]})")}));
    auto ann = seated(srv.port,
                      token(auth::role::participant, "ann", "Ann") + R"(,"stakeholder":"farmer")");
    auto mod = seated(srv.port, token(auth::role::moderator, "mod", "Grace", "synergies"));
    CHECK(code_of(mod->request("role", role_fields("ann", "scribe"))) == "ok");
    CHECK(code_of(mod->request("role", role_fields("ann", "rapporteur"))) == "bad_request");
    ws_client other(srv.port);
    CHECK(code_of(other.hello("O", token(auth::role::participant, "o", "O") +
                                       R"(,"stakeholder":"citizen")")) == "bad_request");
  }
  std::string many = "[";
  for (int i = 0; i < 21; ++i) many += (i ? ",\"g" : "\"g") + std::to_string(i) + "\"";
  many += "]";
  for (auto const& bad : std::vector<std::string>{
           R"({"stakeholders":"citizen","tables":[]})",
           R"({"stakeholders":["citizen","citizen"],"tables":[]})",
           R"({"roles":[""],"tables":[]})",
           R"({"roles":[" padded"],"tables":[]})",
           R"({"roles":["two\nlines"],"tables":[]})",
           R"({"roles":[")" + std::string(65, 'r') + R"("],"tables":[]})",
           R"({"stakeholders":)" + many + R"(,"tables":[]})",
       }) {
    INFO(bad);
    auto const out = event_refused(dir, bad);
    REQUIRE(out);
    CHECK((out->find("'stakeholders'") != std::string::npos ||
           out->find("'roles'") != std::string::npos));
  }
}
