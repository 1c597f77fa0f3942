// Invitation links: the start banner prints links (no raw tokens), and
// creating a table, by the op or the admin API, answers with the link of its
// moderator, which signs them in as that table's moderator on any node.
#include "tests/support/banner.hpp"
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using namespace roundtable::test;

namespace {

std::string token_field(std::string const& token) {
  return "\"token\":\"" + token + "\"";
}

// The moderator an invitation brings in: its `you`, after a check of its shape.
message hello_invited(int port, message const& reply, std::string const& table,
                      std::string const& prefix) {
  REQUIRE(reply.str(prefix + "/table") == table);
  auto const token = reply.str(prefix + "/token");
  REQUIRE(!token.empty());
  CHECK(reply.str(prefix + "/link") == "/?token=" + token);
  ws_client mod(port);
  auto const h = mod.hello("Someone", token_field(token));
  REQUIRE(h.boolean("ok"));
  CHECK(h.str("/you/role") == "moderator");
  CHECK(h.str("/you/moderates") == table);
  return h;
}

}  // namespace

TEST_CASE("the start banner prints links that sign the chair and moderators in", "[invitation]") {
  server_process srv({"--ephemeral"});
  srv.proc->wait_for_line("moderator link (big-data)");
  CHECK(srv.proc->output().find("chair token:") == std::string::npos);
  CHECK(srv.proc->output().find("moderator token") == std::string::npos);
  CHECK(srv.proc->output().find("http://127.0.0.1:" + std::to_string(srv.port) + "/?token=") !=
        std::string::npos);
  ws_client chair(srv.port), mod(srv.port);
  auto const c = chair.hello("x", token_field(printed_token(srv, "chair link")));
  CHECK(c.str("/you/role") == "chair");
  auto const m = mod.hello("x", token_field(printed_token(srv, "moderator link (big-data)")));
  CHECK(m.str("/you/moderates") == "big-data");
}

TEST_CASE("create_table answers with its moderator's invitation, good on every node",
          "[invitation]") {
  auto engine = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test e(engine);
  server_process a(e.args());
  // With Redis the invitation is used on another node.
  std::optional<server_process> b;
  if (e.name() == "redis") b.emplace(e.args());
  int const other = b ? b->port : a.port;
  ws_client chair(a.port);
  REQUIRE(chair.hello("Chair", token_field(printed_token(a, "chair link"))).boolean("ok"));

  auto const r = chair.request(
      "create_table", R"("table":"villages","topic":"Smart villages","moderator":"Grace")");
  REQUIRE(r.boolean("ok"));
  auto const h = hello_invited(other, r, "villages", "/invite");
  CHECK(h.str("/you/name") == "Grace");

  // A refused create gives no invitation.
  auto const again =
      chair.request("create_table", R"("table":"villages","topic":"Smart villages")");
  CHECK_FALSE(again.boolean("ok"));
  CHECK_FALSE(again.has("/invite"));
  // Nobody but the chair gets one.
  ws_client guest(a.port);
  guest.hello("Guest");
  auto const refused = guest.request("create_table", R"("table":"mine","topic":"Mine")");
  CHECK_FALSE(refused.boolean("ok"));
  CHECK_FALSE(refused.has("/invite"));
}

TEST_CASE("POST /api/tables answers with its moderator's invitation", "[invitation]") {
  server_process srv({"--ephemeral", "--api-key", "k"});
  std::vector<std::pair<std::string, std::string>> const key{{"X-Api-Key", "k"}};
  auto const r = http_post(srv.port, "/api/tables", R"({"table":"ports","topic":"Ports"})", key);
  REQUIRE(r.status == 201);
  message const body(r.body);
  auto const h = hello_invited(srv.port, body, "ports", "/invite");
  // No moderator name given: one made from the topic.
  CHECK(h.str("/you/name") == "Moderator of Ports");
  auto const dup = http_post(srv.port, "/api/tables", R"({"table":"ports","topic":"Ports"})", key);
  CHECK(dup.status == 400);
  CHECK(dup.body.find("invite") == std::string::npos);
}
