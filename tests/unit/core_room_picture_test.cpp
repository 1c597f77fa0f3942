// Unit tests of a table's participation picture (domain/room_picture.hpp, fed
// by room_apply.cpp): per-minute occupancy and contributions from the log's
// timestamps, arrivals by origin, stays with their median, the bound on
// minutes, the durable and replica states, the join's `from` in the log's text
// form, and the report built from the pictures (hops in, out, the matrix).
#include "domain/room.hpp"
#include "server/report.hpp"

#include "tests/unit/answering_room.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t first_epoch = 5;
constexpr std::int64_t minute = table_picture::minute_ms;
constexpr std::int64_t t0 = 1'700'000'040'000 / minute * minute;  // a minute's start

class pictured_table : public answering_room {
 public:
  explicit pictured_table(std::string id = "t1")
      : answering_room(table_config{std::move(id), "Topic", "Grace", 0, true}, first_epoch, 100) {}
  void sit(member const& m, std::int64_t ts, std::string from) {
    REQUIRE_FALSE(answer(join(m, ts, {}, std::move(from))));
  }
  void go(member const& m, std::int64_t ts) { REQUIRE_FALSE(answer(leave(m.conn, ts))); }
  void speak(member const& m, std::int64_t ts) { REQUIRE_FALSE(answer(say(m, "hello", ts))); }

  member ann{1, 0, participant{"ann", "Ann", role::participant, {}}};
  member ann2{2, 0, participant{"ann", "Ann", role::participant, {}}};
  member bob{3, 0, participant{"bob", "Bob", role::participant, {}}};
  member cy{4, 0, participant{"cy", "Cy", role::participant, {}}};
};

}  // namespace

TEST_CASE("occupancy per minute: the peak and the count at the minute's end, no gaps",
          "[room][picture]") {
  pictured_table r;
  r.sit(r.ann, t0 + 1000, "lobby");
  r.sit(r.bob, t0 + 2000, "t2");
  r.go(r.bob, t0 + 3000);  // minute 0: peak 2, ends with 1
  r.speak(r.ann, t0 + 2 * minute + 10);
  REQUIRE_FALSE(r.answer(r.add_insight(r.ann, "an idea", t0 + 2 * minute + 20)));
  r.sit(r.cy, t0 + 3 * minute, "plenary");
  auto const& s = r.picture().samples();
  REQUIRE(s.size() == 4);
  CHECK(s[0].minute * minute == t0);
  CHECK(s[0].peak == 2);
  CHECK(s[0].seated == 1);
  CHECK(s[1].peak == 1);  // a quiet minute carries the count over
  CHECK(s[1].seated == 1);
  CHECK(s[1].contributions == 0);
  CHECK(s[2].contributions == 2);  // a message and an insight
  CHECK(s[3].peak == 2);
  CHECK(s[3].seated == 2);
  CHECK(r.picture().arrivals() ==
        std::map<std::string, std::uint64_t>{{"lobby", 1}, {"plenary", 1}, {"t2", 1}});
}

TEST_CASE(
    "a person with two connections sits once; a refused join and a resumed seat are no "
    "arrival",
    "[room][picture]") {
  pictured_table r;
  r.sit(r.ann, t0, "lobby");
  r.sit(r.ann2, t0 + 1000, "t3");
  CHECK(r.picture().seated() == 1);
  CHECK(r.picture().arrivals() == std::map<std::string, std::uint64_t>{{"lobby", 1}});
  r.go(r.ann, t0 + minute);  // her other tab is still here
  CHECK(r.picture().stays().count == 1);
  // Still going: measured to the latest seat, leave or contribution the picture took (her
  // second tab's), not to this leave of one of her two connections.
  CHECK(r.picture().stays().total_ms == 1000);
  r.go(r.ann2, t0 + 5 * minute);
  CHECK(r.picture().seated() == 0);
  CHECK(r.picture().stays().count == 1);
  CHECK(r.picture().stays().total_ms == 5 * minute);

  r.sit(r.bob, t0 + 6 * minute, "");  // a resumed seat: no arrival, a stay all the same
  CHECK(r.picture().arrivals().size() == 1);
  CHECK(r.picture().seated() == 1);

  REQUIRE_FALSE(r.answer(r.set_open(participant{"chair", "Chair", role::chair, {}}, false, t0)));
  auto const before = r.state_json();
  CHECK(r.answer(r.join(r.cy, t0 + 7 * minute, {}, "t2")));
  CHECK(r.state_json() == before);
}

TEST_CASE("stays: count, total, the lower median in whole minutes", "[room][picture]") {
  pictured_table r;
  r.sit(r.ann, t0, "lobby");
  r.sit(r.bob, t0, "lobby");
  r.sit(r.cy, t0, "lobby");
  r.go(r.ann, t0 + 2 * minute);
  r.go(r.bob, t0 + 10 * minute + 30'000);
  r.go(r.cy, t0 + 40 * minute);
  auto const s = r.picture().stays();
  CHECK(s.count == 3);
  CHECK(s.total_ms == 52 * minute + 30'000);
  CHECK(s.median_minutes == 10);
  r.sit(r.ann, t0 + 41 * minute, "t2");
  r.go(r.ann, t0 + 42 * minute);
  CHECK(r.picture().stays().median_minutes == 2);  // 1, 2, 10, 40: the lower of the middle two
}

TEST_CASE("a session longer than the bound keeps max_minutes samples and the report builds",
          "[room][picture][bound]") {
  pictured_table r;
  auto const total = static_cast<std::int64_t>(table_picture::max_minutes) + 300;
  for (std::int64_t m = 0; m < total; ++m) {
    r.sit(r.ann, t0 + m * minute, "lobby");
    r.speak(r.ann, t0 + m * minute + 10);
    r.go(r.ann, t0 + m * minute + 20);
  }
  auto const& s = r.picture().samples();
  CHECK(s.size() == table_picture::max_minutes);
  CHECK(r.picture().dropped_minutes() == 300);
  CHECK(s.front().minute * minute == t0 + 300 * minute);
  CHECK(s.back().contributions == 1);
  CHECK(r.picture().stays().count == static_cast<std::uint64_t>(total));
  CHECK(r.picture().arrivals().at("lobby") == static_cast<std::uint64_t>(total));

  // A jump past the bound (a table left overnight) keeps only the last minutes.
  r.sit(r.bob, t0 + 10'000 * minute, "lobby");
  CHECK(r.picture().samples().size() == table_picture::max_minutes);
  CHECK(r.picture().samples().back().minute * minute == t0 + 10'000 * minute);
  CHECK(r.picture().dropped_minutes() ==
        static_cast<std::uint64_t>(10'000 - table_picture::max_minutes + 1));

  session_digest d;
  room_digest t;
  t.id = "t1";
  t.picture = r.picture();
  d.tables.push_back(t);
  doc const report(report_json(d));
  CHECK(report.size("/tables/0/per_minute") == table_picture::max_minutes);
  CHECK(report.num("/tables/0/per_minute_dropped") == 10'000 - 720 + 1);
  CHECK(report.num("/tables/0/stays/count") == total + 1);
}

TEST_CASE("a clock behind counts in the latest minute; the state stays ordered",
          "[room][picture]") {
  pictured_table r;
  r.sit(r.ann, t0 + 3 * minute, "lobby");
  r.speak(r.ann, t0 + minute);  // another node's clock, a little behind
  REQUIRE(r.picture().samples().size() == 1);
  CHECK(r.picture().samples()[0].contributions == 1);
  r.go(r.ann, t0 + 2 * minute);
  CHECK(r.picture().stays().total_ms == 0);  // never negative
}

TEST_CASE("the picture is in the durable state (without who is seated) and the replica state",
          "[room][picture][state]") {
  pictured_table r;
  r.sit(r.ann, t0, "lobby");
  r.sit(r.bob, t0 + minute, "t2");
  r.speak(r.ann, t0 + minute + 5);
  r.go(r.ann, t0 + 3 * minute);

  auto const state = r.state_json();
  std::vector<history_entry> history(r.history().begin(), r.history().end());
  room back(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  back.restore(r.seq(), state, history);
  CHECK(back.state_json() == state);
  CHECK(back.picture().samples().size() == 4);
  CHECK(back.picture().samples()[1].contributions == 1);
  CHECK(back.picture().arrivals() == r.picture().arrivals());
  CHECK(back.picture().seated() == 0);  // a restarted process has nobody seated
  CHECK(back.picture().stays().count == 1);

  room replica(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  REQUIRE(replica.load_replica(r.replica_json()));
  CHECK(replica.replica_json() == r.replica_json());
  CHECK(replica.picture().seated() == 1);
  CHECK(replica.picture().stays().total_ms == r.picture().stays().total_ms);

  // A state written before the picture loads with an empty one.
  room old(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  old.restore(r.seq(), R"({"topic":"Topic","seen":["ann"]})", {});
  CHECK(old.picture().samples().empty());
  CHECK(old.participants_total() == 1);
}

TEST_CASE("the join's origin travels in the log's text form", "[room][picture][log]") {
  participant ann{"ann", "Ann", role::participant, {}};
  room_command c{"n1", 7, "n1:1", ann, t0, cmd::join{{}, "t2"}};
  auto const back = command_from_json(command_json(c));
  REQUIRE(back);
  CHECK(std::get<cmd::join>(back->op).from == "t2");
  c.op = cmd::join{};
  auto const resumed = command_from_json(command_json(c));
  REQUIRE(resumed);
  CHECK(std::get<cmd::join>(resumed->op).from.empty());
  CHECK(command_json(c).find("from") == std::string::npos);
}

TEST_CASE("the report: hops in and out per table, the matrix, stays and minutes",
          "[room][picture][report]") {
  pictured_table a("t1"), b("t2");
  a.sit(a.ann, t0, "lobby");
  a.sit(a.bob, t0, "lobby");
  b.sit(b.cy, t0, "lobby");
  // Ann and Bob hop from t1 to t2, Cy from t2 to t1.
  for (auto const* m : {&a.ann, &a.bob}) {
    b.sit(*m, t0 + minute, "t1");
    a.go(*m, t0 + minute);
  }
  a.sit(a.cy, t0 + 2 * minute, "t2");
  b.go(b.cy, t0 + 2 * minute);

  session_digest d;
  d.title = "Title <b>";
  for (auto* r : {&a, &b}) {
    room_digest t;
    t.id = r->id();
    t.topic = "Topic";
    t.picture = r->picture();
    d.tables.push_back(t);
  }
  CHECK(hops_out(d) == std::map<std::string, std::uint64_t>{{"t1", 2}, {"t2", 1}});
  doc const j(report_json(d));
  CHECK(j.num("/tables/0/hops_in") == 1);
  CHECK(j.num("/tables/0/hops_out") == 2);
  CHECK(j.num("/tables/1/hops_in") == 2);
  CHECK(j.num("/tables/1/hops_out") == 1);
  CHECK(j.num("/tables/0/stays/count") == 3);
  CHECK(j.num("/tables/0/stays/person_minutes") == 2);  // ann 1, bob 1, cy 0 so far
  CHECK(j.num("/tables/0/stays/seated_now") == 1);
  CHECK(j.num("/tables/0/per_minute/0/peak") == 2);
  CHECK(j.num("/tables/0/per_minute/0/minute") == t0);
  REQUIRE(j.size("/hops") == 4);
  CHECK(j.str("/hops/0/from") == "lobby");
  CHECK(j.str("/hops/0/to") == "t1");
  CHECK(j.num("/hops/0/count") == 2);
  CHECK(j.str("/hops/1/from") == "t2");
  CHECK(j.num("/hops/1/count") == 1);
  CHECK(j.str("/hops/3/from") == "t1");
  CHECK(j.num("/hops/3/count") == 2);
  auto const md = report_markdown(d);
  CHECK(md.find("- Hops: 1 in from other tables, 2 out to other tables") != std::string::npos);
  CHECK(md.find("- t1 to t2: 2") != std::string::npos);
}

TEST_CASE("the plenary's report event carries the table's figures from its command",
          "[room][picture][report]") {
  pictured_table t;
  t.sit(t.ann, t0, "lobby");
  t.sit(t.bob, t0, "t2");
  t.speak(t.ann, t0 + 10);
  t.go(t.bob, t0 + 3 * minute);
  auto const f = t.report_figures();
  CHECK(f.participants == 2);
  CHECK(f.spoke == 1);
  CHECK(f.messages == 1);
  CHECK(f.stays == 2);
  CHECK(f.person_minutes == 6);  // both 3 minutes: ann's measured to the latest time
  CHECK(f.median_minutes == 3);
  CHECK(f.hops_in == 1);

  // The figures travel in the log's text form; a command logged before them has none.
  room_command c{"n1", 7, "", participant{}, t0, cmd::report{t.config(), "Text", f}};
  auto const back = command_from_json(command_json(c));
  REQUIRE(back);
  CHECK(std::get<cmd::report>(back->op).figures.hops_in == 1);
  CHECK(std::get<cmd::report>(back->op).figures.person_minutes == 6);
  auto json = command_json(c);
  auto const from = json.find(",\"participants\":");
  auto const to = json.find("\"hops_in\":1");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  json.erase(from, to + 11 - from);
  auto const old = command_from_json(json);
  REQUIRE(old);
  CHECK(std::get<cmd::report>(old->op).figures.stays == 0);
  CHECK(std::get<cmd::report>(old->op).text == "Text");

  answering_room plenary(table_config{std::string(room::plenary_id), "", "", 0, true}, first_epoch,
                         100);
  CHECK_FALSE(plenary.answer(plenary.report(t.config(), "Text", t0 + 4 * minute, f)));
  auto const ev = plenary.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/type") == "report");
  CHECK(ev[0].num("/participants") == 2);
  CHECK(ev[0].num("/spoke") == 1);
  CHECK(ev[0].num("/messages") == 1);
  CHECK(ev[0].num("/stays/count") == 2);
  CHECK(ev[0].num("/stays/person_minutes") == 6);
  CHECK(ev[0].num("/stays/median_minutes") == 3);
  CHECK(ev[0].num("/hops_in") == 1);
}
