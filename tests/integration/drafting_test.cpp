// Private drafting end to end on both engines: a table's summary draft reaches
// only those who may draft it (its moderators and the chair), live, in
// snapshots and in resume's replay; the published summary reaches everyone.
// And a race: the moderator and the chair drafting and publishing at once from
// two nodes.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "drafting-test-secret-0123456789abc";

std::string token(auth::role r, std::string const& sub, std::string table = {}) {
  return token_field(secret, r, sub, std::move(table));
}

std::unique_ptr<ws_client> seated(int port, std::string const& tok) {
  auto c = std::make_unique<ws_client>(port);
  REQUIRE(c->hello("x", tok).boolean("ok"));
  REQUIRE(c->request("join", "\"table\":\"synergies\"").boolean("ok"));
  c->drain(50ms);
  return c;
}

std::string summary(std::string const& text, bool publish) {
  return "\"table\":\"synergies\",\"text\":\"" + text +
         "\",\"publish\":" + (publish ? "true" : "false");
}

// Everything `c` received up to its own marker message at the table.
std::vector<message> until_marker(ws_client& c) {
  static int n = 0;
  auto const mark = "marker-" + std::to_string(++n);
  REQUIRE(c.request("say", "\"room\":\"synergies\",\"text\":\"" + mark + "\"").boolean("ok"));
  std::vector<message> out;
  for (;;) {
    auto m = c.next();
    REQUIRE(m);
    if (m->type() == "message" && m->str("text") == mark) return out;
    out.push_back(std::move(*m));
  }
}

// The summary events among `events`.
std::vector<message> summaries(std::vector<message> const& events) {
  std::vector<message> out;
  for (auto const& e : events)
    if (e.type() == "summary") out.push_back(e);
  return out;
}

bool mentions(std::vector<message> const& events, std::string const& text) {
  for (auto const& e : events)
    if (e.raw().find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("private drafting: the draft reaches only its drafters, live, in snapshots and replays",
          "[drafting]") {
  engine_under_test engine(GENERATE(as<std::string>{}, "memory", "redis"));
  INFO("engine: " << engine.name());
  server_process srv(engine.args(secret_server_args(secret)));
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"));
  auto chair = seated(srv.port, token(auth::role::chair, "chair"));
  auto ann = seated(srv.port, token(auth::role::participant, "ann"));
  auto other = seated(srv.port, token(auth::role::moderator, "other", "big-data"));
  // Where Ann's page stood before the draft: she resumes from here below.
  auto const at = ann->request("join", "\"table\":\"synergies\"");
  REQUIRE(at.boolean("ok"));
  auto const resume =
      ",\"resume\":{\"synergies\":{\"epoch\":" + std::to_string(at.num("/snapshot/epoch")) +
      ",\"seq\":" + std::to_string(at.num("/snapshot/seq")) + "}}";
  ann->drain(50ms);

  CHECK(ann->request("summary", summary("not hers", false)).str("/error/code") == "forbidden");
  CHECK(other->request("summary", summary("not his", false)).str("/error/code") == "forbidden");
  REQUIRE(mod->request("summary", summary("secret draft one", false)).boolean("ok"));
  REQUIRE(chair->request("summary", summary("secret draft two", false)).boolean("ok"));
  for (auto* drafter : {mod.get(), chair.get()}) {
    auto const got = summaries(until_marker(*drafter));
    REQUIRE(got.size() == 2);
    CHECK(got[0].str("text") == "secret draft one");
    CHECK(got[0].str("/by/id") == "mod");
    CHECK(got[1].str("text") == "secret draft two");
    CHECK(got[1].str("/by/id") == "chair");
    for (auto const& s : got) {
      CHECK_FALSE(s.boolean("published"));
      CHECK_FALSE(s.has("/seq"));
    }
  }
  for (auto* outsider : {ann.get(), other.get()}) {
    auto const seen = until_marker(*outsider);
    CHECK(summaries(seen).empty());
    CHECK_FALSE(mentions(seen, "secret"));
  }
  // Snapshots: the draft for the chair, nothing for a participant.
  auto const chair_view = chair->request("join", "\"table\":\"synergies\"");
  CHECK(chair_view.str("/snapshot/summary") == "secret draft two");
  auto const ann_view = ann->request("join", "\"table\":\"synergies\"");
  CHECK(ann_view.at("/snapshot/summary").is_null());
  CHECK(ann_view.raw().find("secret") == std::string::npos);

  // Published: everyone gets it, with a seq; a later draft is private again.
  REQUIRE(mod->request("summary", summary("the published text", true)).boolean("ok"));
  auto const pub = ann->wait_type("summary");
  REQUIRE(pub);
  CHECK(pub->str("text") == "the published text");
  CHECK(pub->boolean("published"));
  CHECK(pub->has("/seq"));
  REQUIRE(mod->request("summary", summary("secret draft three", false)).boolean("ok"));
  CHECK_FALSE(mentions(until_marker(*ann), "secret"));

  // Ann resumes from before it all: the replay and the snapshot hold the
  // published summary and no draft.
  ws_client back(srv.port);
  auto const hello = back.hello("x", token(auth::role::participant, "ann") + resume);
  REQUIRE(hello.boolean("ok"));
  CHECK(hello.boolean("/recovered/synergies"));
  CHECK(hello.str("/table/summary") == "the published text");
  auto const replayed = until_marker(back);
  CHECK_FALSE(mentions(replayed, "secret"));
  CHECK(hello.raw().find("secret") == std::string::npos);
  CHECK(summaries(replayed).size() == 1);
  // The moderator resuming gets the draft in the snapshot.
  ws_client mod_back(srv.port);
  auto const mod_hello =
      mod_back.hello("x", token(auth::role::moderator, "mod", "synergies") + resume);
  REQUIRE(mod_hello.boolean("ok"));
  CHECK(mod_hello.str("/table/summary") == "secret draft three");
}

TEST_CASE(
    "private drafting races: the moderator and the chair draft and publish at once on two "
    "nodes",
    "[drafting][redis][multi-node]") {
  redis_process redis;
  auto const url = "redis://127.0.0.1:" + std::to_string(redis.port);
  server_process a(secret_server_args(secret, {"--redis", url, "--node-id", "A"}));
  server_process b(secret_server_args(secret, {"--redis", url, "--node-id", "B"}));
  auto mod = seated(a.port, token(auth::role::moderator, "mod", "synergies"));
  auto chair = seated(b.port, token(auth::role::chair, "chair"));
  auto watch_a = seated(a.port, token(auth::role::participant, "wa"));
  auto watch_b = seated(b.port, token(auth::role::participant, "wb"));

  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    auto const r = std::to_string(round);
    // Every fifth round the moderator publishes as the chair drafts.
    bool const publish = round % 5 == 4;
    std::string mod_code, chair_code;
    std::thread t([&] {
      mod_code = mod->request("summary", summary("mod " + r, publish)).boolean("ok") ? "ok" : "no";
    });
    chair_code =
        chair->request("summary", summary("chair " + r, false)).boolean("ok") ? "ok" : "no";
    t.join();
    CHECK(mod_code == "ok");
    CHECK(chair_code == "ok");
    // Both drafters saw both, in the one order of the table's log.
    auto const mod_saw = summaries(until_marker(*mod));
    auto const chair_saw = summaries(until_marker(*chair));
    REQUIRE(mod_saw.size() == 2);
    REQUIRE(chair_saw.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) CHECK(mod_saw[i].str("text") == chair_saw[i].str("text"));
    // The watchers on both nodes: the published one only, never a draft.
    for (auto* w : {watch_a.get(), watch_b.get()}) {
      auto const seen = summaries(until_marker(*w));
      CHECK(seen.size() == (publish ? 1u : 0u));
      for (auto const& s : seen) {
        CHECK(s.str("text") == "mod " + r);
        CHECK(s.boolean("published"));
      }
      CHECK_FALSE(mentions(seen, "chair " + r));
    }
    // The draft a drafter joining on either node reads is the last in the log.
    auto const last = mod_saw[1].str("text");
    for (int port : {a.port, b.port}) {
      ws_client fresh(port);
      REQUIRE(fresh.hello("x", token(auth::role::chair, "chair")).boolean("ok"));
      CHECK(fresh.request("join", "\"table\":\"synergies\"").str("/snapshot/summary") == last);
    }
  }
}
