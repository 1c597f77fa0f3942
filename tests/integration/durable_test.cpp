// Durable sessions on the memory engine: kill -9 the server in the middle of a
// scripted session and start it again on the same data dir; everything said
// and decided comes back, clients resume, the report is complete. Also the
// archive and erasure on request.
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string token_from(child_process& p, std::string const& label) {
  auto line = p.wait_for_line(label);
  return line.substr(line.find(": ") + 2);
}

std::string fields(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\"";
}

}  // namespace

TEST_CASE("kill -9 mid-session and restart on the same data dir loses nothing", "[durable]") {
  temp_dir data;
  std::vector<std::string> const args{"--data-dir", data.path(), "--rate-limit",
                                      "0",          "--api-key", "k"};
  std::int64_t table_epoch = 0, table_seq = 0, plenary_epoch = 0, plenary_seq = 0;
  std::string mod_token, chair_token;
  {
    server_process srv(args);
    mod_token = token_from(*srv.proc, "moderator token (synergies)");
    chair_token = token_from(*srv.proc, "chair token");
    ws_client mod(srv.port), ann(srv.port), chair(srv.port);
    mod.hello("Mod", "\"token\":\"" + mod_token + "\"");
    chair.hello("Chair", "\"token\":\"" + chair_token + "\"");
    ann.hello("Ann");
    REQUIRE(mod.request("join", "\"table\":\"synergies\"").boolean("ok"));
    REQUIRE(ann.request("join", "\"table\":\"synergies\"").boolean("ok"));
    for (int i = 0; i < 30; ++i)
      REQUIRE(ann.request("say", fields("synergies", "point " + std::to_string(i))).boolean("ok"));
    REQUIRE(ann.request("say", fields("synergies", "off topic")).boolean("ok"));
    auto off = ann.wait_for([](message const& m) { return m.str("text") == "off topic"; });
    REQUIRE(off);
    REQUIRE(mod.request("delete", "\"room\":\"synergies\",\"message\":\"" + off->str("id") + "\"")
                .boolean("ok"));
    REQUIRE(ann.request("insight", "\"text\":\"Open data needs open formats\"").boolean("ok"));
    auto ins = ann.wait_type("insight");
    REQUIRE(ins);
    REQUIRE(mod.request("vote", "\"insight\":\"" + ins->str("id") + "\"").boolean("ok"));
    REQUIRE(ann.request("vote", "\"insight\":\"" + ins->str("id") + "\"").boolean("ok"));
    REQUIRE(mod.request("summary", "\"text\":\"We agreed on open formats.\",\"publish\":true")
                .boolean("ok"));
    REQUIRE(chair.request("phase", "\"name\":\"reports\"").boolean("ok"));
    REQUIRE(chair.request("broadcast", "\"text\":\"Ten minutes left\"").boolean("ok"));
    REQUIRE(chair.request("create_table", "\"table\":\"late\",\"topic\":\"A late table\"")
                .boolean("ok"));
    // Where Ann stands before the crash.
    ann.drain(100ms);
    auto snap = ann.request("join", "\"table\":\"synergies\"");
    table_epoch = snap.num("/snapshot/epoch");
    table_seq = snap.num("/snapshot/seq");
    auto h = ws_client(srv.port).hello("Probe");
    plenary_epoch = h.num("/plenary/epoch");
    plenary_seq = h.num("/plenary/seq");
    // One more message Ann will miss, then the crash after the store's
    // flush interval (the documented loss window).
    REQUIRE(mod.request("say", fields("synergies", "said just before the crash")).boolean("ok"));
    std::this_thread::sleep_for(200ms);
    srv.proc->signal(SIGKILL);
    srv.proc->wait();
  }
  server_process srv(args);
  ws_client ann(srv.port);
  auto r = ann.hello("Ann", "\"resume\":{\"synergies\":{\"epoch\":" + std::to_string(table_epoch) +
                                ",\"seq\":" + std::to_string(table_seq) +
                                "},\"plenary\":{\"epoch\":" + std::to_string(plenary_epoch) +
                                ",\"seq\":" + std::to_string(plenary_seq) + "}}");
  REQUIRE(r.boolean("ok"));
  CHECK(r.boolean("/recovered/synergies"));
  CHECK(r.boolean("/recovered/plenary"));
  CHECK(r.str("/you/table") == "synergies");
  CHECK(r.num("/table/epoch") == table_epoch);
  CHECK(r.str("/plenary/phase") == "reports");
  CHECK(r.str("/tables/3/id") == "late");
  CHECK(r.str("/table/insights/0/text") == "Open data needs open formats");
  CHECK(r.num("/table/insights/0/votes") == 2);
  CHECK(r.str("/table/published") == "We agreed on open formats.");
  CHECK(r.str("/plenary/reports/0/text") == "We agreed on open formats.");
  CHECK(r.str("/plenary/broadcasts/0/text") == "Ten minutes left");
  // The missed message was replayed, before the reply.
  bool replayed = false;
  for (auto const& m : ann.drain(100ms)) replayed |= m.str("text") == "said just before the crash";
  // drain() after request(): the replay arrived before the reply, so it is
  // already queued or consumed; look in the snapshot as well.
  replayed |= r.raw().find("said just before the crash") != std::string::npos;
  CHECK(replayed);
  // The deleted message stays deleted.
  CHECK(r.raw().find("off topic") == std::string::npos);
  // Voting again is still refused: who voted survived the restart (the
  // moderator's identity comes from its token; anonymous ids are per connection).
  ws_client mod(srv.port);
  // Tokens printed in demo mode stay valid: the demo secret is kept with the data.
  REQUIRE(mod.hello("Mod", "\"token\":\"" + mod_token + "\"").boolean("ok"));
  REQUIRE(mod.request("join", "\"table\":\"synergies\"").boolean("ok"));
  auto again = mod.request("vote", "\"insight\":\"i1\"");
  CHECK(again.str("/error/code") == "forbidden");

  auto md = http_get(srv.port, "/api/report.md", {{"X-Api-Key", "k"}});
  REQUIRE(md.status == 200);
  CHECK(md.body.find("We agreed on open formats.") != std::string::npos);
  CHECK(md.body.find("Open data needs open formats (2 votes") != std::string::npos);
  CHECK(md.body.find("Ten minutes left") != std::string::npos);
}

TEST_CASE("the archive holds the whole session; erasure removes a participant everywhere",
          "[durable]") {
  temp_dir data;
  server_process srv(
      {"--data-dir", data.path(), "--rate-limit", "0", "--api-key", "k", "--history", "5"});
  ws_client a(srv.port), b(srv.port);
  auto const a_id = a.hello("Alice").str("/you/id");
  b.hello("Bob");
  a.request("join", "\"table\":\"big-data\"");
  b.request("join", "\"table\":\"big-data\"");
  REQUIRE(a.request("say", fields("big-data", "SECRET-ALICE-TEXT-1")).boolean("ok"));
  REQUIRE(a.request("insight", "\"text\":\"SECRET-ALICE-INSIGHT\"").boolean("ok"));
  for (int i = 0; i < 10; ++i)
    REQUIRE(b.request("say", fields("big-data", "bob " + std::to_string(i))).boolean("ok"));
  REQUIRE(a.request("say", fields("plenary", "SECRET-ALICE-TEXT-2")).boolean("ok"));

  // The archive goes beyond the 5-event window: it comes from the store.
  auto arch = http_get(srv.port, "/api/archive", {{"X-Api-Key", "k"}});
  REQUIRE(arch.status == 200);
  CHECK(arch.body.find("SECRET-ALICE-TEXT-1") != std::string::npos);
  CHECK(arch.body.find("bob 0") != std::string::npos);
  CHECK(arch.body.find("bob 9") != std::string::npos);
  CHECK(http_get(srv.port, "/api/archive").status == 401);

  auto er =
      http_post(srv.port, "/api/erase", "{\"participant\":\"" + a_id + "\"}", {{"X-Api-Key", "k"}});
  REQUIRE(er.status == 200);
  INFO(er.body);
  CHECK(er.body.find("\"removed\":") != std::string::npos);
  // The rooms are told.
  auto del = b.wait_type("deleted");
  REQUIRE(del);

  ws_client late(srv.port);
  auto h = late.hello("Late");
  auto j = late.request("join", "\"table\":\"big-data\"");
  for (auto const* where : {&h.raw(), &j.raw()})
    CHECK(where->find("SECRET-ALICE") == std::string::npos);
  auto arch2 = http_get(srv.port, "/api/archive", {{"X-Api-Key", "k"}});
  CHECK(arch2.body.find("SECRET-ALICE") == std::string::npos);
  auto rep = http_get(srv.port, "/api/report.md", {{"X-Api-Key", "k"}});
  CHECK(rep.body.find("SECRET-ALICE") == std::string::npos);
  // Not even in the database's files (old page images included).
  CHECK(slurp_dir(data.path()).find("SECRET-ALICE") == std::string::npos);
}
