// Anonymous contributions held by pre-moderation, end to end: on the memory
// engine, and on two Redis nodes with the author on one and the moderator and
// the chair on the other. The author's copy of each `pending` event (held,
// then decided) and of the snapshot's held list says the item is theirs
// (`own`), although `from` names only the pseudonym; the moderators' copies
// carry the pseudonym, never `own`, never the author's id or name; another
// participant hears nothing of it.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "anonymous-held-secret-0123456789ab";

std::string token(auth::role r, std::string sub, std::string table = {}) {
  return token_field(secret, r, std::move(sub), std::move(table));
}

// A table both pre-moderated and open to anonymous contributions.
std::string write_config(std::string const& file) {
  std::ofstream(file) << R"({"id": "anon-held", "title": "Held", "tables": [
    {"id": "quiet", "topic": "Speak freely", "anonymous": true, "premoderate": true}]})";
  return file;
}

bool names_ada(message const& m) {
  return m.raw().find("Name of ada") != std::string::npos ||
         m.raw().find("\"ada\"") != std::string::npos;
}

// The number of held items in a join reply's snapshot.
std::size_t held_count(message const& join_reply) {
  simdjson::dom::array a;
  return join_reply.at("/snapshot/pending").get(a) ? 0 : a.size();
}

std::optional<message> held(ws_client& c, std::string const& text) {
  return c.wait_for([&](message const& m) {
    return m.type() == "pending" && m.boolean("pending") && m.str("text") == text;
  });
}

void check_held_anonymous(int author_port, int moderator_port) {
  auto ada = seated(author_port, token(auth::role::participant, "ada"), "quiet");
  auto bob = seated(author_port, token(auth::role::participant, "bob"), "quiet");
  auto mod = seated(moderator_port, token(auth::role::moderator, "mod", "quiet"), "quiet");
  auto chair = seated(moderator_port, token(auth::role::chair, "chair"), "quiet");

  REQUIRE(
      ada->request("say", R"("room":"quiet","text":"not my name","anonymous":true)").boolean("ok"));
  REQUIRE(ada->request("insight", R"("text":"a quiet idea","anonymous":true)").boolean("ok"));
  std::string alias;
  std::vector<std::string> ids;
  for (auto const* text : {"not my name", "a quiet idea"}) {
    auto const mine = held(*ada, text);
    REQUIRE(mine);
    CHECK(mine->boolean("own"));
    CHECK(mine->str("/from/name") == "Anonymous");
    CHECK(mine->str("/from/id").rfind("anon-", 0) == 0);
    CHECK_FALSE(names_ada(*mine));
    alias = mine->str("/from/id");
    ids.push_back(mine->str("id"));
    for (auto* c : {mod.get(), chair.get()}) {
      auto const theirs = held(*c, text);
      REQUIRE(theirs);
      CHECK_FALSE(theirs->has("/own"));
      CHECK(theirs->str("id") == mine->str("id"));
      CHECK(theirs->str("/from/id") == alias);
      CHECK(theirs->str("/from/name") == "Anonymous");
      CHECK_FALSE(names_ada(*theirs));
    }
  }

  // The snapshots: a second tab of Ada's lists both as hers; the chair's
  // second tab lists both, not as the chair's, and without Ada; Bob's none.
  auto const ada_snap = seated(author_port, token(auth::role::participant, "ada"), "")
                            ->request("join", "\"table\":\"quiet\"");
  REQUIRE(held_count(ada_snap) == 2);
  CHECK(ada_snap.boolean("/snapshot/pending/0/own"));
  CHECK(ada_snap.boolean("/snapshot/pending/1/own"));
  CHECK(ada_snap.str("/snapshot/pending/0/from/id") == alias);
  auto const chair_snap = seated(moderator_port, token(auth::role::chair, "chair"), "")
                              ->request("join", "\"table\":\"quiet\"");
  REQUIRE(held_count(chair_snap) == 2);
  for (auto const* at : {"/snapshot/pending/0", "/snapshot/pending/1"}) {
    CHECK_FALSE(chair_snap.has(std::string(at) + "/own"));
    CHECK(chair_snap.str(std::string(at) + "/from/id") == alias);
    CHECK(chair_snap.str(std::string(at) + "/from/name") == "Anonymous");
  }
  CHECK(held_count(seated(author_port, token(auth::role::participant, "bob"), "")
                       ->request("join", "\"table\":\"quiet\"")) == 0);

  // Decided: Ada's copy of the decision is hers; the moderators' is not.
  REQUIRE(mod->request("reject", "\"item\":\"" + ids[0] + "\"").boolean("ok"));
  auto const decided = [&](ws_client& c) {
    return c.wait_for([&](message const& m) {
      return m.type() == "pending" && !m.boolean("pending") && m.str("id") == ids[0];
    });
  };
  auto const to_ada = decided(*ada);
  REQUIRE(to_ada);
  CHECK(to_ada->boolean("own"));
  CHECK_FALSE(to_ada->boolean("approved"));
  auto const to_mod = decided(*mod);
  REQUIRE(to_mod);
  CHECK_FALSE(to_mod->has("/own"));
  for (auto const& m : bob->drain(200ms)) CHECK(m.type() != "pending");
}

}  // namespace

TEST_CASE("anonymous held items: the author's copy is theirs, the moderators' names nobody",
          "[moderation][premoderation][anonymous]") {
  temp_dir dir;
  auto const args =
      secret_server_args(secret, {"--event", write_config(dir.path() + "/event.json")});
  SECTION("memory engine") {
    engine_server const srv("memory", args);
    check_held_anonymous(srv.port, srv.port);
  }
  SECTION("two Redis nodes") {
    two_nodes const nodes(args);
    check_held_anonymous(nodes.a.port, nodes.b.port);
  }
}
