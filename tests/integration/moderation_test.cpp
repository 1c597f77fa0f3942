// Moderation end to end on both engines: hide and restore a message or an
// insight, mute and remove a participant at a table and undo both, and the
// house rules in the hello reply. Each op's permission matrix and bad input
// (a clear error, nothing seen by anyone), and races between moderators on two
// nodes and between a mute and the muted person's own messages.
#include "server/auth/jwt.hpp"
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>


#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "moderation-test-secret-0123456789";
constexpr std::string_view api_key = "moderation-api-key";

std::string token(auth::role r, std::string sub, std::string table = {}) {
  return token_field(secret, r, std::move(sub), std::move(table));
}

std::string say(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\"";
}

std::vector<std::string> server_args() {
  return secret_server_args(secret, {"--api-key", std::string(api_key)});
}

std::vector<std::string> types_of(std::vector<message> const& events) {
  std::vector<std::string> out;
  for (auto const& e : events) out.push_back(e.type());
  return out;
}

// The ids of the messages in a table snapshot (a join's reply).
std::vector<std::string> snapshot_items(message const& join_reply, std::string const& list) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (join_reply.at("/snapshot/" + list).get(a)) return out;
  for (auto e : a) {
    std::string_view id;
    if (!e["id"].get(id)) out.emplace_back(id);
  }
  return out;
}

bool contains(std::vector<std::string> const& v, std::string const& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("moderation: hide and restore a message and an insight", "[moderation]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto other_mod = seated(srv.port, token(auth::role::moderator, "mod2", "big-data"), "");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "synergies");

  REQUIRE(ada->request("say", say("synergies", "off topic")).boolean("ok"));
  auto const said = ada->wait_type("message");
  REQUIRE(said);
  auto const msg = said->str("id");
  REQUIRE(ada->request("insight", "\"text\":\"Open data needs stewards\"").boolean("ok"));
  auto const ins_event = ada->wait_type("insight");
  REQUIRE(ins_event);
  auto const ins = ins_event->str("id");
  until_marker(*bob, "synergies");
  auto const item = [](std::string const& id) { return "\"item\":\"" + id + "\""; };

  // Refused: a participant, the author, another table's moderator; bad input.
  CHECK(code_of(ada->request("hide", item(msg))) == "forbidden");
  CHECK(code_of(bob->request("hide", item(msg))) == "forbidden");
  CHECK(code_of(other_mod->request("hide", item(msg) + ",\"room\":\"synergies\"")) == "forbidden");
  CHECK(code_of(other_mod->request("hide", item(msg))) == "forbidden");  // at no table
  CHECK(code_of(mod->request("hide", "")) == "bad_request");
  CHECK(code_of(mod->request("hide", "\"item\":\"bad id!\"")) == "bad_request");
  CHECK(code_of(mod->request("hide", "\"item\":7")) == "bad_request");
  CHECK(code_of(mod->request("hide", item("m-none"))) == "not_found");
  CHECK(code_of(mod->request("restore", item("m-none"))) == "not_found");
  CHECK(code_of(mod->request("hide", item(msg) + ",\"room\":\"nowhere\"")) == "not_found");
  CHECK(until_marker(*bob, "synergies").empty());

  // Hidden: everyone is told, a new snapshot no longer holds it.
  REQUIRE(mod->request("hide", item(msg)).boolean("ok"));
  REQUIRE(mod->request("hide", item(ins)).boolean("ok"));
  REQUIRE(mod->request("hide", item(msg)).boolean("ok"));  // again: nothing new
  auto seen = until_marker(*bob, "synergies");
  REQUIRE(types_of(seen) == std::vector<std::string>{"hidden", "hidden"});
  CHECK(seen[0].str("item") == msg);
  CHECK(seen[0].str("/by/id") == "mod");
  CHECK(seen[1].str("item") == ins);
  auto carl = seated(srv.port, token(auth::role::participant, "carl"), "");
  auto snap = carl->request("join", "\"table\":\"synergies\"");
  CHECK_FALSE(contains(snapshot_items(snap, "messages"), msg));
  CHECK_FALSE(contains(snapshot_items(snap, "insights"), ins));
  CHECK(code_of(bob->request("vote", "\"insight\":\"" + ins + "\"")) == "not_found");
  until_marker(*bob, "synergies");  // carl's arrival

  // The report counts what is hidden apart.
  std::vector<std::pair<std::string, std::string>> const key{{"X-API-Key", std::string(api_key)}};
  auto const report = message(http_get(srv.port, "/api/report", key).body);
  bool found = false;
  for (int i = 0; i < 3; ++i) {
    auto const at = "/tables/" + std::to_string(i);
    if (report.str(at + "/id") != "synergies") continue;
    found = true;
    CHECK(report.num(at + "/hidden") == 2);
    CHECK_FALSE(report.has(at + "/insights/0"));  // the hidden insight is not ranked
  }
  CHECK(found);

  // Restored: it comes back whole, even to those who never had it.
  REQUIRE(mod->request("restore", item(msg)).boolean("ok"));
  REQUIRE(mod->request("restore", item(ins)).boolean("ok"));
  carl->drain(50ms);
  seen = until_marker(*bob, "synergies");
  REQUIRE(types_of(seen) == std::vector<std::string>{"restored", "restored"});
  CHECK(seen[0].str("/message/text") == "off topic");
  CHECK(seen[0].str("/message/id") == msg);
  CHECK(seen[1].str("/insight/text") == "Open data needs stewards");
  snap = carl->request("join", "\"table\":\"synergies\"");
  CHECK(contains(snapshot_items(snap, "messages"), msg));
  CHECK(contains(snapshot_items(snap, "insights"), ins));
  CHECK(bob->request("vote", "\"insight\":\"" + ins + "\"").boolean("ok"));
}

TEST_CASE("moderation: mute and remove a participant, and undo both", "[moderation]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto other_mod = seated(srv.port, token(auth::role::moderator, "mod2", "big-data"), "synergies");
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "synergies");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "synergies");
  auto const who = [](std::string const& id, std::string const& more = {}) {
    return "\"participant\":\"" + id + "\"" + more;
  };

  for (std::string const op : {"mute", "remove"}) {
    INFO(op);
    CHECK(code_of(bob->request(op, who("ada"))) == "forbidden");
    CHECK(code_of(other_mod->request(op, who("ada"))) == "forbidden");
    CHECK(code_of(mod->request(op, who("chair"))) == "forbidden");
    CHECK(code_of(chair->request(op, who("mod"))) == "forbidden");
    CHECK(code_of(mod->request(op, who("mod"))) == "forbidden");
    CHECK(code_of(mod->request(op, who("nobody"))) == "not_found");
    CHECK(code_of(mod->request(op, who("ada", ",\"table\":\"plenary\""))) == "bad_request");
    CHECK(code_of(mod->request(op, who("ada", ",\"table\":\"nowhere\""))) == "not_found");
    CHECK(code_of(mod->request(op, "")) == "bad_request");
    CHECK(code_of(mod->request(op, who("ada", ",\"on\":\"yes\""))) == "bad_request");
    CHECK(code_of(mod->request(op, who("ada", ",\"reason\":\"" + std::string(301, 'r') + "\""))) ==
          "too_large");
    CHECK(code_of(mod->request(op, who("ada", ",\"reason\":\"a\\u0001b\""))) == "bad_request");
    CHECK(until_marker(*bob, "synergies").empty());
  }

  // Muted: told why, can read and vote, cannot post here; the plenary is open.
  REQUIRE(
      mod->request("mute", who("ada", ",\"on\":true,\"reason\":\"Stay on topic\"")).boolean("ok"));
  auto const muted = ada->wait_type("muted");
  REQUIRE(muted);
  CHECK(muted->str("participant") == "ada");
  CHECK(muted->boolean("on"));
  CHECK(muted->str("reason") == "Stay on topic");
  CHECK(muted->str("/by/id") == "mod");
  CHECK(code_of(ada->request("say", say("synergies", "let me"))) == "forbidden");
  CHECK(code_of(ada->request("insight", "\"text\":\"mine\"")) == "forbidden");
  CHECK(ada->request("say", say("plenary", "fine")).boolean("ok"));
  auto seen = until_marker(*bob, "synergies");
  CHECK(types_of(seen) == std::vector<std::string>{"muted"});
  auto carl = seated(srv.port, token(auth::role::participant, "carl"), "");
  auto const snap = carl->request("join", "\"table\":\"synergies\"");
  CHECK(snap.raw().find("\"muted\":[\"ada\"]") != std::string::npos);
  REQUIRE(chair->request("mute", who("ada", ",\"on\":false")).boolean("ok"));
  CHECK(ada->request("say", say("synergies", "thanks")).boolean("ok"));

  // Removed: told why, off the table on every connection, kept out until let back.
  auto ada2 = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  until_marker(*bob, "synergies");
  REQUIRE(mod->request("remove", who("ada", ",\"reason\":\"Insults\"")).boolean("ok"));
  std::int64_t removed_seq = 0;
  for (auto* c : {ada.get(), ada2.get()}) {
    auto const removed = c->wait_type("removed");
    REQUIRE(removed);
    removed_seq = removed->num("seq");
    CHECK(removed->str("reason") == "Insults");
    CHECK(code_of(c->request("say", say("synergies", "still here?"))) == "forbidden");
    CHECK(code_of(c->request("join", "\"table\":\"synergies\"")) == "forbidden");
    CHECK(c->request("join", "\"table\":\"big-data\"").boolean("ok"));  // other tables are open
  }
  seen = until_marker(*bob, "synergies");
  CHECK(types_of(seen) == std::vector<std::string>{"removed", "presence", "presence"});
  // Nothing of the table after the removal reaches them.
  for (auto* c : {ada.get(), ada2.get()}) {
    for (auto const& m : c->drain(100ms)) {
      // Their own departures leave in the removal's batch; nothing else does.
      if (m.str("room") == "synergies" && m.num("seq") > removed_seq) CHECK(m.str("left") == "ada");
    }
  }
  REQUIRE(mod->request("remove", who("ada", ",\"on\":false")).boolean("ok"));
  CHECK(ada->request("join", "\"table\":\"synergies\"").boolean("ok"));
  CHECK(ada->request("say", say("synergies", "back")).boolean("ok"));
}

TEST_CASE("moderation: house rules from the event config come in the hello reply", "[moderation]") {
  temp_dir dir;
  auto const file = dir.path() + "/event.json";
  std::ofstream(file) << R"({"id":"e","title":"T","rules":"Be kind.\nNo ads.",)"
                      << R"("tables":[{"id":"t1","topic":"One","premoderate":true}]})";
  server_process srv({"--ephemeral", "--event", file});
  ws_client c(srv.port);
  auto const r = c.hello("Ada");
  CHECK(r.str("/event/rules") == "Be kind.\nNo ads.");
  // A table pre-moderated by the config.
  CHECK(c.request("join", "\"table\":\"t1\"").boolean("/snapshot/premoderate"));
  // Over the bound, the server refuses to start.
  auto const too_long =
      event_refused(dir, R"({"rules":")" + std::string(2001, 'x') + R"(","tables":[]})");
  REQUIRE(too_long);
  CHECK(too_long->find("'rules' is over 2000 bytes") != std::string::npos);
}

TEST_CASE("moderation races: two moderators on two nodes hide and restore one message at once",
          "[moderation][redis][multi-node]") {
  two_nodes const nodes(server_args());
  auto const& [a, b] = nodes.ports;
  auto mod = seated(a, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto chair = seated(b, token(auth::role::chair, "chair"), "synergies");
  auto ada = seated(a, token(auth::role::participant, "ada"), "synergies");
  auto watch_a = seated(a, token(auth::role::participant, "wa"), "synergies");
  auto watch_b = seated(b, token(auth::role::participant, "wb"), "synergies");
  REQUIRE(ada->request("say", say("synergies", "contested")).boolean("ok"));
  auto const m = ada->wait_type("message");
  REQUIRE(m);
  auto const item = "\"item\":\"" + m->str("id") + "\"";
  until_marker(*watch_a, "synergies");
  until_marker(*watch_b, "synergies");

  bool hidden = false;
  for (int round = 0; round < 25; ++round) {
    INFO("round " << round);
    // Both send at the same instant; each asks for the state it does not see.
    auto const op = hidden ? "restore" : "hide";
    std::thread t([&] { CHECK(mod->request(op, item).boolean("ok")); });
    CHECK(chair->request(op, item).boolean("ok"));
    t.join();
    hidden = !hidden;
    // Exactly one event per change, the same on both nodes.
    auto const ea = until_marker(*watch_a, "synergies");
    auto const eb = until_marker(*watch_b, "synergies");
    REQUIRE(types_of(ea) == std::vector<std::string>{hidden ? "hidden" : "restored"});
    REQUIRE(types_of(eb) == types_of(ea));
    CHECK(ea[0].num("seq") == eb[0].num("seq"));
    CHECK(ea[0].str("/by/id") == eb[0].str("/by/id"));
  }
}

TEST_CASE("moderation races: a mute on one node while the muted person talks on another",
          "[moderation][redis][multi-node]") {
  two_nodes const nodes(server_args());
  auto const& [a, b] = nodes.ports;
  auto mod = seated(a, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto ada = seated(b, token(auth::role::participant, "ada"), "synergies");
  auto watch = seated(a, token(auth::role::participant, "w"), "synergies");
  auto const who = std::string("\"participant\":\"ada\"");
  until_marker(*watch, "synergies");

  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    int accepted = 0;
    std::thread talker([&] {
      for (int i = 0; i < 10; ++i) {
        auto const r = ada->request("say", say("synergies", "r" + std::to_string(round)));
        if (r.boolean("ok"))
          ++accepted;
        else
          CHECK(r.str("/error/code") == "forbidden");
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 5));
    REQUIRE(mod->request("mute", who).boolean("ok"));
    talker.join();
    // Every accepted message precedes the mute in the log, none follows it.
    auto const seen = until_marker(*watch, "synergies");
    int before = 0;
    bool after_mute = false;
    for (auto const& e : seen) {
      if (e.type() == "muted") after_mute = true;
      if (e.type() == "message" && e.str("/from/id") == "ada") {
        CHECK_FALSE(after_mute);
        ++before;
      }
    }
    CHECK(after_mute);
    CHECK(before == accepted);
    REQUIRE(mod->request("mute", who + ",\"on\":false").boolean("ok"));
    until_marker(*watch, "synergies");
  }
}

TEST_CASE("pre-moderation: held messages reach only their author and the moderators",
          "[moderation][premoderation]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "synergies");
  auto const on = [](bool v) {
    return std::string("\"table\":\"synergies\",\"premoderate\":") + (v ? "true" : "false");
  };

  CHECK(code_of(bob->request("moderation", on(true))) == "forbidden");
  CHECK(code_of(mod->request("moderation", "\"table\":\"synergies\"")) == "bad_request");
  CHECK(code_of(mod->request("moderation", "\"table\":\"plenary\",\"premoderate\":true")) ==
        "bad_request");
  CHECK(code_of(mod->request("moderation", "\"table\":\"nowhere\",\"premoderate\":true")) ==
        "not_found");
  CHECK(until_marker(*bob, "synergies").empty());
  REQUIRE(mod->request("moderation", on(true)).boolean("ok"));
  auto const switched = bob->wait_type("moderation");
  REQUIRE(switched);
  CHECK(switched->boolean("premoderate"));

  // Held: the author and the moderator see it, pending; nobody else.
  REQUIRE(ada->request("say", say("synergies", "please approve")).boolean("ok"));
  auto const mine = ada->wait_type("pending");
  REQUIRE(mine);
  CHECK(mine->boolean("pending"));
  CHECK(mine->str("text") == "please approve");
  auto const queued = mod->wait_type("pending");
  REQUIRE(queued);
  auto const id = queued->str("id");
  CHECK(id == mine->str("id"));
  CHECK_FALSE(queued->has("/seq"));
  REQUIRE(mod->request("say", say("synergies", "moderators are not held")).boolean("ok"));
  auto const direct = bob->wait_type("message");
  REQUIRE(direct);
  CHECK(direct->str("text") == "moderators are not held");
  for (auto const& m : bob->drain(200ms)) CHECK(m.type() != "pending");
  // A snapshot lists the queue to a moderator and to the author, to nobody else.
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  CHECK(snapshot_items(chair->request("join", "\"table\":\"synergies\""), "pending") ==
        std::vector<std::string>{id});
  auto carl = seated(srv.port, token(auth::role::participant, "carl"), "");
  auto const carl_snap = carl->request("join", "\"table\":\"synergies\"");
  CHECK(carl_snap.boolean("/snapshot/premoderate"));
  CHECK(snapshot_items(carl_snap, "pending").empty());

  // Approve and reject: the moderator's alone; bad input changes nothing.
  auto const item = "\"item\":\"" + id + "\"";
  CHECK(code_of(bob->request("approve", item)) == "forbidden");
  CHECK(code_of(ada->request("reject", item)) == "forbidden");
  CHECK(code_of(mod->request("approve", "\"item\":\"nope\"")) == "not_found");
  CHECK(code_of(mod->request("approve", "")) == "bad_request");
  CHECK(code_of(mod->request("reject", "\"item\":[]")) == "bad_request");
  REQUIRE(mod->request("approve", item).boolean("ok"));
  auto const approved = bob->wait_type("message");
  REQUIRE(approved);
  CHECK(approved->str("id") == id);
  CHECK(approved->str("text") == "please approve");
  CHECK(approved->str("/from/id") == "ada");
  auto const decided = ada->wait_for(
      [](message const& m) { return m.type() == "pending" && !m.boolean("pending"); });
  REQUIRE(decided);
  CHECK(decided->boolean("approved"));
  CHECK(code_of(mod->request("reject", item)) == "not_found");  // decided already

  REQUIRE(ada->request("say", say("synergies", "rejected one")).boolean("ok"));
  auto const second =
      mod->wait_for([](message const& m) { return m.type() == "pending" && m.boolean("pending"); });
  REQUIRE(second);
  REQUIRE(mod->request("reject", "\"item\":\"" + second->str("id") + "\"").boolean("ok"));
  auto const refused = ada->wait_for([](message const& m) {
    return m.type() == "pending" && !m.boolean("pending") && !m.boolean("approved");
  });
  REQUIRE(refused);
  for (auto const& m : bob->drain(200ms)) CHECK(m.str("text") != "rejected one");

  REQUIRE(mod->request("moderation", on(false)).boolean("ok"));
  REQUIRE(ada->request("say", say("synergies", "free again")).boolean("ok"));
  auto const free = bob->wait_for([](message const& m) { return m.type() == "message"; });
  REQUIRE(free);
  CHECK(free->str("text") == "free again");
}

TEST_CASE("pre-moderation races: two moderators on two nodes approve and reject one item at once",
          "[moderation][premoderation][redis][multi-node]") {
  // A held message, or a held insight: the same queue, the same decisions.
  auto const kind = GENERATE(as<std::string>{}, "message", "insight");
  INFO("held: " << kind);
  two_nodes const nodes(server_args());
  auto const& [a, b] = nodes.ports;
  auto mod = seated(a, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto chair = seated(b, token(auth::role::chair, "chair"), "synergies");
  auto ada = seated(a, token(auth::role::participant, "ada"), "synergies");
  auto watch_a = seated(a, token(auth::role::participant, "wa"), "synergies");
  auto watch_b = seated(b, token(auth::role::participant, "wb"), "synergies");
  REQUIRE(mod->request("moderation", "\"table\":\"synergies\",\"premoderate\":true").boolean("ok"));
  for (auto* w : {watch_a.get(), watch_b.get()}) REQUIRE(w->wait_type("moderation"));
  auto const post = [&](std::string const& text) {
    return kind == "message" ? ada->request("say", say("synergies", text))
                             : ada->request("insight", "\"text\":\"" + text + "\"");
  };

  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    auto const text = "held " + std::to_string(round);
    REQUIRE(post(text).boolean("ok"));
    auto const held = chair->wait_for([&](message const& m) {
      return m.type() == "pending" && m.boolean("pending") && m.str("text") == text;
    });
    REQUIRE(held);
    CHECK(held->boolean("insight") == (kind == "insight"));
    auto const item = "\"item\":\"" + held->str("id") + "\"";
    // The moderator approves on one node as the chair rejects on the other.
    std::string approve_code;
    std::thread t([&] { approve_code = code_of(mod->request("approve", item)); });
    auto const reject_code = code_of(chair->request("reject", item));
    t.join();
    INFO("approve: " << approve_code << ", reject: " << reject_code);
    CHECK((approve_code == "ok") != (reject_code == "ok"));
    CHECK((approve_code == "not_found" || reject_code == "not_found"));
    bool const approved = approve_code == "ok";
    // The author learns the one decision; every watcher sees the message iff approved.
    auto const decided = ada->wait_for([&](message const& m) {
      return m.type() == "pending" && !m.boolean("pending") && m.str("id") == held->str("id");
    });
    REQUIRE(decided);
    CHECK(decided->boolean("approved") == approved);
    // The marker is the moderator's own (not held); each watcher's view is the same.
    REQUIRE(mod->request("say", say("synergies", "marker " + text)).boolean("ok"));
    for (auto* w : {watch_a.get(), watch_b.get()}) {
      int seen = 0;
      for (;;) {
        auto m = w->next();
        REQUIRE(m);
        CHECK(m->type() != "pending");
        if (m->type() == kind && m->str("text") == text) ++seen;
        if (m->type() == "message" && m->str("text") == "marker " + text) break;
      }
      CHECK(seen == (approved ? 1 : 0));
    }
  }
}
