// Durable sessions on the memory engine: kill -9 the server in the middle of a
// scripted session and start it again on the same data dir; everything said
// and decided comes back, clients resume, the report is complete. Also the
// archive, erasure on request, and a damaged room log at start and at run time.
#include "tests/support/banner.hpp"
#include "tests/support/process.hpp"
#include "tests/support/replay.hpp"
#include "tests/support/ws_client.hpp"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string fields(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\"";
}

// A scripted session on `data`: Mod and Ann at synergies, a deleted message,
// an insight with two votes, a published summary, a phase, a broadcast and a
// created table. Returns where Ann stands (table and plenary) before Mod's
// last message, which Ann has not read.
struct session_marks {
  std::int64_t table_epoch = 0, table_seq = 0, plenary_epoch = 0, plenary_seq = 0;
  std::int64_t last_table_seq = 0, last_plenary_seq = 0;  // what the server issued
  std::string mod_token;
};

session_marks run_session(server_process& srv) {
  session_marks k;
  k.mod_token = printed_token(srv, "moderator link (synergies)");
  auto const chair_token = printed_token(srv, "chair link");
  ws_client mod(srv.port), ann(srv.port), chair(srv.port);
  mod.hello("Mod", "\"token\":\"" + k.mod_token + "\"");
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
  // Where Ann stands: the plenary up to the phase, the table up to now.
  ann.drain(100ms);
  auto snap = ann.request("join", "\"table\":\"synergies\"");
  k.table_epoch = snap.num("/snapshot/epoch");
  k.table_seq = snap.num("/snapshot/seq");
  auto h = ws_client(srv.port).hello("Probe");
  k.plenary_epoch = h.num("/plenary/epoch");
  k.plenary_seq = h.num("/plenary/seq");
  // What Ann misses: a broadcast and a created table in the plenary, three
  // messages at the table.
  REQUIRE(chair.request("broadcast", "\"text\":\"Ten minutes left\"").boolean("ok"));
  REQUIRE(
      chair.request("create_table", "\"table\":\"late\",\"topic\":\"A late table\"").boolean("ok"));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(mod.request("say", fields("synergies", "missed " + std::to_string(i))).boolean("ok"));
  }
  auto last = mod.wait_for([](message const& m) { return m.str("text") == "missed 2"; });
  REQUIRE(last);
  k.last_table_seq = last->num("seq");
  auto p = ws_client(srv.port).hello("Probe");
  k.last_plenary_seq = p.num("/plenary/seq");
  CHECK(k.last_plenary_seq == k.plenary_seq + 2);
  return k;
}

// Ann's hello with `resume` at the marks.
std::string resume_at(session_marks const& k) {
  return "\"resume\":{\"synergies\":{\"epoch\":" + std::to_string(k.table_epoch) +
         ",\"seq\":" + std::to_string(k.table_seq) +
         "},\"plenary\":{\"epoch\":" + std::to_string(k.plenary_epoch) +
         ",\"seq\":" + std::to_string(k.plenary_seq) + "}}";
}

// What was said and decided, in a hello reply with Ann seated at synergies.
void check_state(message const& r) {
  CHECK(r.str("/you/table") == "synergies");
  CHECK(r.str("/plenary/phase") == "reports");
  CHECK(r.str("/tables/3/id") == "late");
  CHECK(r.str("/table/insights/0/text") == "Open data needs open formats");
  CHECK(r.num("/table/insights/0/votes") == 2);
  CHECK(r.str("/table/published") == "We agreed on open formats.");
  CHECK(r.str("/plenary/reports/0/text") == "We agreed on open formats.");
  CHECK(r.str("/plenary/broadcasts/0/text") == "Ten minutes left");
  CHECK(r.raw().find("missed 2") != std::string::npos);
  // The deleted message stays deleted.
  CHECK(r.raw().find("off topic") == std::string::npos);
}

// The moderator's vote survived (its identity comes from its token); the
// printed demo tokens too (the demo secret is kept with the data); the report
// is complete.
void check_votes_and_report(server_process& srv, session_marks const& k) {
  ws_client mod(srv.port);
  REQUIRE(mod.hello("Mod", "\"token\":\"" + k.mod_token + "\"").boolean("ok"));
  REQUIRE(mod.request("join", "\"table\":\"synergies\"").boolean("ok"));
  CHECK(mod.request("vote", "\"insight\":\"i1\"").str("/error/code") == "forbidden");
  auto md = http_get(srv.port, "/api/report.md", {{"X-Api-Key", "k"}});
  REQUIRE(md.status == 200);
  CHECK(md.body.find("We agreed on open formats.") != std::string::npos);
  CHECK(md.body.find("Open data needs open formats (2 votes") != std::string::npos);
  CHECK(md.body.find("Ten minutes left") != std::string::npos);
}

std::vector<std::string> const durable_args(temp_dir const& data) {
  return {"--data-dir", data.path(), "--rate-limit", "0", "--api-key", "k"};
}

}  // namespace

TEST_CASE("a clean stop and restart keeps the epochs: resume replays exactly what was missed",
          "[durable]") {
  temp_dir data;
  session_marks k;
  {
    server_process srv(durable_args(data));
    k = run_session(srv);
    // The store's figures on /metrics.
    auto const metrics = http_get(srv.port, "/metrics").body;
    CHECK(metrics.find("# TYPE roundtable_store_bytes_written_total counter") != std::string::npos);
    CHECK(metrics.find("\nroundtable_store_commits_total ") != std::string::npos);
    CHECK(metrics.find("\nroundtable_store_commits_total 0\n") == std::string::npos);
    srv.proc->signal(SIGTERM);
    REQUIRE(srv.proc->wait() == 0);
  }
  server_process srv(durable_args(data));
  ws_client ann(srv.port);
  auto r = ann.hello("Ann", resume_at(k));
  REQUIRE(r.boolean("ok"));
  CHECK(r.boolean("/recovered/synergies"));
  CHECK(r.boolean("/recovered/plenary"));
  CHECK(r.num("/table/epoch") == k.table_epoch);
  check_state(r);
  // The replay came before the reply, each missed event once, in order: the
  // table's three messages and Ann's own presence joined; the plenary's
  // broadcast and table_created.
  auto const replayed = ann.drain(200ms);
  CHECK(seqs_of(replayed, "plenary") == seq_range(k.plenary_seq + 1, k.last_plenary_seq));
  CHECK(seqs_of(replayed, "synergies") == seq_range(k.table_seq + 1, r.num("/table/seq")));
  std::vector<std::string> missed;
  for (auto const& m : replayed) {
    if (m.type() == "message") missed.push_back(m.str("text"));
  }
  CHECK(missed == std::vector<std::string>{"missed 0", "missed 1", "missed 2"});
  check_votes_and_report(srv, k);
}

TEST_CASE("kill -9 mid-session: everything decided comes back, under a new epoch", "[durable]") {
  temp_dir data;
  session_marks k;
  {
    server_process srv(durable_args(data));
    k = run_session(srv);
    // After the store's flush interval (the documented loss window).
    std::this_thread::sleep_for(200ms);
    srv.proc->signal(SIGKILL);
    srv.proc->wait();
  }
  server_process srv(durable_args(data));
  ws_client ann(srv.port);
  auto r = ann.hello("Ann", resume_at(k));
  REQUIRE(r.boolean("ok"));
  // An unclean stop may have lost the last events: no client may keep a seq
  // of the old epoch, so nothing is replayed and the snapshots stand.
  CHECK_FALSE(r.boolean("/recovered/synergies"));
  CHECK_FALSE(r.boolean("/recovered/plenary"));
  CHECK(r.num("/table/epoch") != k.table_epoch);
  CHECK(r.num("/plenary/epoch") != k.plenary_epoch);
  // The seqs carry on: nothing was lost here, so after Mod's and Ann's
  // presence left (their connections closed before the kill) comes Ann's
  // own presence joined.
  CHECK(r.num("/table/seq") == k.last_table_seq + 3);
  CHECK(r.num("/plenary/seq") == k.last_plenary_seq);
  check_state(r);
  auto const after = ann.drain(200ms);
  CHECK(seqs_of(after, "synergies").empty());
  CHECK(seqs_of(after, "plenary").empty());
  check_votes_and_report(srv, k);
}

TEST_CASE("kill -9 right after a burst: every acknowledged message is kept", "[durable]") {
  temp_dir data;
  // Each acknowledged message as its author's connection saw it: seq -> text.
  std::map<std::int64_t, std::string> acked;
  std::int64_t epoch = 0;
  {
    server_process srv(durable_args(data));
    std::vector<std::unique_ptr<ws_client>> talkers;
    for (int t = 0; t < 3; ++t) {
      talkers.push_back(std::make_unique<ws_client>(srv.port));
      talkers.back()->hello("T" + std::to_string(t));
      REQUIRE(talkers.back()->request("join", "\"table\":\"big-data\"").boolean("ok"));
    }
    for (auto& t : talkers) t->drain(100ms);
    // Pipelined: each talker writes 100 messages, then everyone reads.
    for (int i = 0; i < 100; ++i) {
      for (std::size_t t = 0; t < talkers.size(); ++t) {
        talkers[t]->send(R"({"op":"say","room":"big-data","text":"t)" + std::to_string(t) + "-" +
                         std::to_string(i) + R"("})");
      }
    }
    for (std::size_t t = 0; t < talkers.size(); ++t) {
      auto const me = "t" + std::to_string(t) + "-";
      for (int replies = 0; replies < 100;) {
        auto m = talkers[t]->next(10s);
        REQUIRE(m);
        if (m->type() == "reply") {
          REQUIRE(m->boolean("ok"));
          ++replies;
        } else if (m->type() == "message" && m->str("text").rfind(me, 0) == 0) {
          acked[m->num("seq")] = m->str("text");  // its own event precedes its reply
          epoch = m->num("epoch");
        }
      }
    }
    srv.proc->signal(SIGKILL);  // at once: inside the commit window
    srv.proc->wait();
  }
  REQUIRE(acked.size() == 300);
  server_process srv(durable_args(data));
  // What the store kept of the table, from its archive.
  auto arch = http_get(srv.port, "/api/archive", {{"X-Api-Key", "k"}});
  REQUIRE(arch.status == 200);
  message const doc(arch.body);
  simdjson::dom::array tables;
  REQUIRE(!doc.at("/tables").get(tables));
  std::int64_t new_epoch = 0, expect_seq = 0, kept = 0;
  for (auto t : tables) {
    std::string_view id;
    if (t["id"].get(id) || id != "big-data") continue;
    REQUIRE(!t["epoch"].get(new_epoch));
    simdjson::dom::array events;
    REQUIRE(!t["events"].get(events));
    for (auto e : events) {
      std::int64_t seq = 0, ev_epoch = 0;
      std::string_view type, text;
      REQUIRE(!e["seq"].get(seq));
      REQUIRE(!e["epoch"].get(ev_epoch));
      REQUIRE(!e["type"].get(type));
      // Gapless from 1, all in the room's epoch.
      CHECK(seq == ++expect_seq);
      CHECK(ev_epoch == new_epoch);
      if (type != "message") continue;
      REQUIRE(!e["text"].get(text));
      // Each kept message is the one acknowledged at that seq.
      REQUIRE(acked.count(seq) == 1);
      CHECK(acked[seq] == text);
      ++kept;
    }
  }
  // A message is delivered and acknowledged only once its commit is done:
  // kill -9 loses none of them.
  CHECK(kept == 300);
  // The seqs the crash may have lost are never issued again in the epoch a
  // client holds: a client at the last acknowledged seq gets a fresh snapshot.
  CHECK(new_epoch != epoch);
  ws_client late(srv.port);
  auto const last = acked.rbegin()->first;
  auto r = late.hello("Late", "\"resume\":{\"big-data\":{\"epoch\":" + std::to_string(epoch) +
                                  ",\"seq\":" + std::to_string(last) + "}}");
  REQUIRE(r.boolean("ok"));
  CHECK_FALSE(r.boolean("/recovered/big-data"));
  CHECK(r.num("/table/epoch") == new_epoch);
  CHECK(r.num("/table/seq") == expect_seq + 1);  // its own presence joined
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

TEST_CASE("a damaged log stops the start: exit 2, one line naming the room and the damage",
          "[durable]") {
  temp_dir data;
  {
    server_process srv(durable_args(data));
    ws_client ann(srv.port);
    ann.hello("Ann");
    REQUIRE(ann.request("join", "\"table\":\"synergies\"").boolean("ok"));
    for (int i = 0; i < 5; ++i)
      REQUIRE(ann.request("say", fields("synergies", "point " + std::to_string(i))).boolean("ok"));
    srv.proc->signal(SIGTERM);
    REQUIRE(srv.proc->wait() == 0);  // a clean stop keeps the commands after the start's snapshot
  }
  std::string const last = "(SELECT max(lsn) FROM commands WHERE room = 'synergies')";
  std::vector<std::pair<std::string, std::string>> const damages{
      {"UPDATE commands SET command = '{\"op\":' WHERE room = 'synergies' AND lsn = " + last,
       "unreadable command at log position "},
      {"DELETE FROM commands WHERE room = 'synergies' AND lsn = " + last + " - 2",
       "the command at log position "},
      {"UPDATE rooms SET state = 'not json' WHERE room = 'synergies'",
       "unreadable snapshot at log position "},
  };
  for (auto const& [sql, what] : damages) {
    CAPTURE(sql);
    temp_dir copy;
    for (auto const* name : {"/roundtable.db", "/roundtable.db-wal", "/clean-stop"}) {
      if (std::filesystem::exists(data.path() + name))
        std::filesystem::copy_file(data.path() + name, copy.path() + name);
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((copy.path() + "/roundtable.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    CHECK(sqlite3_changes(db) == 1);
    sqlite3_close(db);
    child_process srv({server_path(), "--data-dir", copy.path(), "--port", "0"});
    auto const status = srv.wait(std::chrono::seconds(20));
    auto const out = srv.wait_output();
    INFO(out);
    REQUIRE(status != -1);  // it exited, and did not start serving
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    // One line besides the JSON log's.
    std::istringstream in(out);
    std::vector<std::string> said;
    for (std::string line; std::getline(in, line);)
      if (!line.starts_with("{\"ts\":")) said.push_back(line);
    REQUIRE(said.size() == 1);
    CHECK(said[0].starts_with("roundtable-server: --data-dir " + copy.path() +
                              ": room 'synergies': " + what));
  }
}

TEST_CASE(
    "a table whose stored log is damaged is refused at run time: internal, and the rest serves",
    "[durable]") {
  temp_dir data;
  std::vector<std::string> const damaged{"late", "later"};
  {
    server_process srv(durable_args(data));
    ws_client chair(srv.port), ann(srv.port);
    chair.hello("Chair", "\"token\":\"" + printed_token(srv, "chair link") + "\"");
    ann.hello("Ann");
    for (auto const& t : damaged) {
      REQUIRE(chair.request("create_table", "\"table\":\"" + t + "\",\"topic\":\"Late\"")
                  .boolean("ok"));
      REQUIRE(ann.request("join", "\"table\":\"" + t + "\"").boolean("ok"));
      REQUIRE(ann.request("say", fields(t, "words")).boolean("ok"));
    }
    srv.proc->signal(SIGTERM);
    REQUIRE(srv.proc->wait() == 0);
  }
  // Rooms in the store that the start does not open, so that a create at run
  // time loads them: their tables' records gone, and the plenary (which
  // would refuse the ids) gone too; and their snapshots unreadable.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((data.path() + "/roundtable.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "UPDATE rooms SET state = 'not json' WHERE room IN ('late', 'later');"
                       "DELETE FROM meta WHERE key IN ('table:late', 'table:later');"
                       "DELETE FROM rooms WHERE room = 'plenary';"
                       "DELETE FROM commands WHERE room = 'plenary';",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  server_process srv(durable_args(data));
  ws_client chair(srv.port), ann(srv.port), bob(srv.port);
  chair.hello("Chair", "\"token\":\"" + printed_token(srv, "chair link") + "\"");
  ann.hello("Ann");
  bob.hello("Bob");
  REQUIRE(ann.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(bob.request("join", "\"table\":\"synergies\"").boolean("ok"));

  auto const ws = chair.request("create_table", "\"table\":\"late\",\"topic\":\"Again\"");
  INFO(ws.raw());
  CHECK(ws.str("/error/code") == "internal");
  CHECK(ws.str("/error/message").find("'late'") != std::string::npos);
  auto const http = http_post(srv.port, "/api/tables", "{\"table\":\"later\",\"topic\":\"Again\"}",
                              {{"X-Api-Key", "k"}});
  INFO(http.body);
  CHECK(http.status == 500);
  CHECK(http.body.find("\"internal\"") != std::string::npos);
  CHECK(http.body.find("'later'") != std::string::npos);
  for (auto const& t : damaged) {
    auto const line = srv.proc->wait_for_line("\"table\":\"" + t + "\"");
    CHECK(line.find("table not opened") != std::string::npos);
    CHECK(line.find("unreadable snapshot") != std::string::npos);
  }

  // Everyone else is served: the table chats, a new table opens.
  REQUIRE(ann.request("say", fields("synergies", "still here")).boolean("ok"));
  CHECK(bob.wait_for([](message const& m) { return m.str("text") == "still here"; }));
  CHECK(chair.request("create_table", "\"table\":\"fresh\",\"topic\":\"New\"").boolean("ok"));
  CHECK(bob.request("join", "\"table\":\"fresh\"").boolean("ok"));
}
