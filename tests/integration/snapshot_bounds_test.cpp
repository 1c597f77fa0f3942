// A table grown to every bound its valid ops allow must still let anyone join:
// 200 insights with the longest texts and notes, and the held-message queue
// full of the longest messages, all of characters that JSON escapes.
// Written in full, such a snapshot is megabytes, over the send-queue bound, and
// every joiner's connection would be closed before its reply. Both engines.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "snapshot-bounds-secret-0123456789abc";

// `n` bytes that JSON writes as two each (quotes), as a JSON string's body.
// (Texts may not hold control characters, which it would write as six.)
std::string escaped_two_fold(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "\\\"";
  return s;
}

std::unique_ptr<ws_client> connect(int port, auth::role r, std::string const& sub,
                                   std::string const& table = {}) {
  auto c = std::make_unique<ws_client>(port);
  auto const tok = token_field(secret, r, sub, table);
  REQUIRE(c->hello("x", tok).boolean("ok"));
  return c;
}

std::size_t listed(message const& reply, std::string const& list) {
  simdjson::dom::array a;
  return reply.at("/snapshot/" + list).get(a) ? 0 : a.size();
}

}  // namespace

TEST_CASE("a table grown to every bound still lets anyone join", "[bounds]") {
  temp_dir dir;
  auto const file = dir.path() + "/event.json";
  std::ofstream(file) << R"({"id":"e","title":"T",)"
                      << R"("tables":[{"id":"t1","topic":"One","premoderate":true}]})";
  engine_under_test const engine(GENERATE(as<std::string>{}, "memory", "redis"));
  INFO("engine: " << engine.name());
  server_process srv(
      engine.args({"--event", file, "--rate-limit", "0", "--secret", std::string(secret)}));

  auto chair = connect(srv.port, auth::role::chair, "chair");
  REQUIRE(chair->request("join", "\"table\":\"t1\"").boolean("ok"));
  auto const insight_text = escaped_two_fold(500);
  auto const note = escaped_two_fold(1000);
  for (int i = 0; i < 200; ++i) {
    auto const r = chair->request("insight", "\"room\":\"t1\",\"text\":\"" + insight_text + "\"");
    REQUIRE(r.boolean("ok"));
  }
  CHECK(code_of(chair->request("insight", "\"room\":\"t1\",\"text\":\"one more\"")) == "full");
  // The insights' ids, from their events (the Redis engine names them by node).
  std::vector<std::string> ids;
  while (ids.size() < 200) {
    auto const e = chair->wait_type("insight");
    REQUIRE(e);
    ids.push_back(e->str("id"));
  }
  for (auto const& id : ids) {
    auto const r =
        chair->request("outcome", "\"table\":\"t1\",\"insight\":\"" + id +
                                      "\",\"status\":\"noted\",\"note\":\"" + note + "\"");
    REQUIRE(code_of(r) == "ok");
  }
  chair->drain(100ms);

  // Ten participants fill the held queue, 20 each: one person's share.
  auto const text = escaped_two_fold(4000);
  for (int p = 0; p < 10; ++p) {
    auto c = connect(srv.port, auth::role::participant, "p" + std::to_string(p));
    REQUIRE(c->request("join", "\"table\":\"t1\"").boolean("ok"));
    for (int i = 0; i < 20; ++i)
      REQUIRE(c->request("say", "\"room\":\"t1\",\"text\":\"" + text + "\"").boolean("ok"));
    auto const over = c->request("say", "\"room\":\"t1\",\"text\":\"twenty-first\"");
    CHECK(code_of(over) == "full");
  }
  auto late = connect(srv.port, auth::role::participant, "late");
  REQUIRE(late->request("join", "\"table\":\"t1\"").boolean("ok"));
  CHECK(code_of(late->request("say", "\"room\":\"t1\",\"text\":\"queue full\"")) == "full");

  // A moderator and a participant arriving now both get their snapshot.
  auto mod = connect(srv.port, auth::role::moderator, "mod", "t1");
  auto const m = mod->request("join", "\"table\":\"t1\"");
  REQUIRE(m.boolean("ok"));
  CHECK_FALSE(mod->closed());
  CHECK(m.raw().size() < 600 * 1024);
  CHECK(listed(m, "insights") > 0);
  CHECK(listed(m, "insights") + static_cast<std::size_t>(m.num("/snapshot/insights_more")) == 200);
  CHECK(listed(m, "pending") > 0);
  CHECK(listed(m, "pending") + static_cast<std::size_t>(m.num("/snapshot/pending_more")) == 200);
  CHECK(m.num("/snapshot/pending_more") > 0);

  auto fresh = connect(srv.port, auth::role::participant, "fresh");
  auto const f = fresh->request("join", "\"table\":\"t1\"");
  REQUIRE(f.boolean("ok"));
  CHECK(listed(f, "pending") == 0);
  CHECK_FALSE(f.has("/snapshot/pending_more"));
  CHECK(listed(f, "insights") + static_cast<std::size_t>(f.num("/snapshot/insights_more")) == 200);
  // The moderator still works the queue from the oldest.
  simdjson::dom::array pending;
  REQUIRE_FALSE(m.at("/snapshot/pending").get(pending));
  std::string_view first;
  REQUIRE_FALSE(pending.at(0)["id"].get(first));
  CHECK(mod->request("approve", "\"item\":\"" + std::string(first) + "\"").boolean("ok"));
}
