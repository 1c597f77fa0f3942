// Unit tests of networking rounds in the plenary's domain (domain/room.hpp,
// room_apply_rounds.cpp): who may start and stop them, the gathering and the
// forming at the deadline, opt-outs, each person in exactly one group and
// told so (a `group` event to the group only), the rooms closed at the end,
// no repeated pair over rounds, replicas forming the same groups, the
// bounds (40 rounds reuse the same group rooms), the durable state, the
// reload view in the plenary's snapshot, and a group room's side (only the
// group sits there; a new round starts it empty).
#include "domain/room.hpp"

#include "tests/unit/answering_room.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

participant person(std::string id, role who = role::participant) {
  return participant{id, "Name " + id, who, {}};
}

class plenary : public answering_room {
 public:
  plenary() : answering_room(table_config{"plenary", "", "", 0, true}, 1, 100) {}
  participant chair = person("chair", role::chair);

  outcome start(std::int64_t size, std::int64_t minutes, std::int64_t rounds, std::int64_t seed = 7,
                participant const* who = nullptr) {
    return answer(
        rounds_start(who ? *who : chair, cmd::rounds_start{size, minutes, rounds, seed}, t0));
  }
  // A node's report of the people connected to it, for the round gathering.
  void report(std::vector<std::string> const& ids, std::int64_t ts = t0) {
    cmd::round_present r{round_number() + 1, ids, {}};
    for (auto const& id : ids) r.names.push_back("Name " + id);
    REQUIRE_FALSE(answer(round_present(std::move(r), ts)));
  }
  // The deadline passes: the first countdown's command acts.
  void due() {
    auto const at = round_due_at();
    REQUIRE(at != 0);
    round_expired(at, at);
  }
  // The groups the last forming told: room -> member ids, checking that each
  // member got the event once and nobody else did.
  std::map<std::string, std::vector<std::string>> groups() {
    std::map<std::string, std::vector<std::string>> out;
    std::map<std::string, int> told;
    for (auto const& d : take_direct()) {
      doc e(*d.json);
      REQUIRE(e.str("/type") == "group");
      CHECK_FALSE(e.has("/seq"));
      CHECK(room::receives(person(d.author), "plenary", d));
      CHECK_FALSE(room::receives(person("outsider"), "plenary", d));
      CHECK_FALSE(room::receives(chair, "plenary", d));
      ++told[d.author];
      std::vector<std::string> members;
      for (std::size_t i = 0; i < e.size("/members"); ++i) {
        auto const id = e.str("/members/" + std::to_string(i) + "/id");
        CHECK(e.str("/members/" + std::to_string(i) + "/name") == "Name " + id);
        members.push_back(id);
      }
      CHECK(std::count(members.begin(), members.end(), d.author) == 1);
      auto const [it, fresh] = out.emplace(e.str("/room"), members);
      CHECK(it->second == members);  // every member told the same group
    }
    for (auto const& [id, n] : told) CHECK(n == 1);
    return out;
  }
};

// The group orders that end a round (no members), checked to be the round's.
std::size_t ended(plenary& r) {
  std::size_t n = 0;
  for (auto const& o : r.take_group_orders()) {
    CHECK(o.what.members.empty());
    CHECK(o.what.round == r.round_number());
    CHECK(room::is_group_room(o.room));
    ++n;
  }
  return n;
}

// The JSON text of the part of `json` at `ptr`.
std::string part(std::string const& json, char const* ptr) {
  simdjson::dom::parser p;
  simdjson::dom::element e;
  REQUIRE(p.parse(json).at_pointer(ptr).get(e) == simdjson::SUCCESS);
  return simdjson::to_string(e);
}

std::vector<std::string> ids(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("p" + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("rounds: only the chair starts and stops them, in the plenary", "[room][rounds]") {
  plenary r;
  auto const ann = person("ann");
  auto const mod = person("mod", role::moderator);
  for (auto const* who : {&ann, &mod}) {
    auto const o = r.start(2, 5, 1, 7, who);
    REQUIRE(o);
    CHECK(o->code == error_code::forbidden);
    auto const s = r.answer(r.rounds_stop(*who, t0));
    REQUIRE(s);
    CHECK(s->code == error_code::forbidden);
  }
  CHECK(r.events().empty());
  CHECK(r.round_due_at() == 0);
  auto const none = r.answer(r.rounds_stop(r.chair, t0));
  REQUIRE(none);
  CHECK(none->code == error_code::not_found);

  answering_room table(table_config{"t1", "Topic", "", 0, true}, 1, 100);
  auto const o = table.answer(table.rounds_start(r.chair, cmd::rounds_start{2, 5, 1, 7}, t0));
  REQUIRE(o);
  CHECK(o->code == error_code::bad_request);
  CHECK(table.events().empty());

  REQUIRE_FALSE(r.start(3, 5, 2));
  auto const again = r.start(2, 5, 1);
  REQUIRE(again);
  CHECK(again->code == error_code::bad_request);
  REQUIRE_FALSE(r.answer(r.rounds_stop(r.chair, t0)));
}

TEST_CASE("rounds: a gathering, then groups of everyone reported and not opted out",
          "[room][rounds]") {
  plenary r;
  REQUIRE_FALSE(r.answer(r.opt_out(person("p3"), true, t0)));
  REQUIRE_FALSE(r.answer(r.opt_out(person("p5"), true, t0)));
  REQUIRE_FALSE(r.answer(r.opt_out(person("p5"), false, t0)));  // back in
  REQUIRE_FALSE(r.start(3, 5, 2));
  auto ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/type") == "rounds");
  CHECK(ev[0].boolean("/running"));
  CHECK(ev[0].boolean("/gathering"));
  CHECK(ev[0].num("/left") == 2);
  CHECK(r.take_gathering() == 1);
  CHECK(r.round_due_at() == t0 + room::gather_ms);

  // Two nodes report, overlapping (a person on both); a late report of
  // another round changes nothing.
  r.report({"p0", "p1", "p2", "p3", "p4"});
  r.report({"p4", "p5", "p6", "p7", "p8", "p9"});
  REQUIRE_FALSE(r.answer(r.round_present(cmd::round_present{5, {"late"}, {"Late"}}, t0)));
  r.round_expired(t0 + 1, t0 + 1);  // a stale deadline: nothing
  CHECK(r.take_created().empty());
  r.due();

  auto const groups = r.groups();
  std::multiset<std::string> grouped;
  for (auto const& [room_id, members] : groups) {
    CHECK(room::is_group_room(room_id));
    CHECK(members.size() >= 2);
    CHECK(members.size() <= 4);
    grouped.insert(members.begin(), members.end());
  }
  CHECK(grouped ==
        std::multiset<std::string>{"p0", "p1", "p2", "p4", "p5", "p6", "p7", "p8", "p9"});
  auto const created = r.take_created();
  CHECK(created.size() == groups.size());
  auto const begun = r.take_group_orders();
  REQUIRE(begun.size() == groups.size());
  for (auto const& o : begun) {
    CHECK(o.what.round == 1);
    auto const& members = groups.at(o.room);
    CHECK(std::set<std::string>(o.what.members.begin(), o.what.members.end()) ==
          std::set<std::string>(members.begin(), members.end()));
  }
  auto const moves = r.take_moves();
  CHECK(moves.size() == 9);
  for (auto const& m : moves) {
    auto const& members = groups.at(m.what.table);
    CHECK(std::count(members.begin(), members.end(), m.what.participant) == 1);
    CHECK(m.by.id == "chair");
  }
  ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].num("/round") == 1);
  CHECK(ev[0].num("/groups") == static_cast<std::int64_t>(groups.size()));
  CHECK(ev[0].num("/ends_at") == t0 + room::gather_ms + 5 * 60 * 1000);
  CHECK_FALSE(ev[0].boolean("/gathering"));

  // The round ends: its rooms close, the second round gathers and forms with
  // nobody meeting anyone again (9 in threes: possible).
  r.due();
  CHECK(ended(r) == groups.size());
  CHECK(r.take_gathering() == 2);
  r.report({"p0", "p1", "p2", "p4", "p5", "p6", "p7", "p8", "p9"});
  r.due();
  auto const second = r.groups();
  CHECK(r.take_group_orders().size() == second.size());  // the second round begins
  for (auto const& [room_id, members] : second) {
    CHECK(room::is_group_room(room_id));
    for (auto const& [first_room, first] : groups) {
      std::size_t shared = 0;
      for (auto const& m : members) shared += std::count(first.begin(), first.end(), m);
      CHECK(shared <= 1);
    }
  }
  r.events();
  r.due();  // the last round ends: no more gathering
  CHECK(ended(r) == second.size());
  CHECK(r.take_gathering() == 0);
  CHECK(r.round_due_at() == 0);
  ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK_FALSE(ev[0].boolean("/running"));
}

TEST_CASE("rounds: stop closes the running round's rooms; fewer than two end the rounds",
          "[room][rounds]") {
  plenary r;
  REQUIRE_FALSE(r.start(2, 1, 3));
  r.report({"a", "b", "c", "d"});
  r.due();
  auto const groups = r.groups();
  REQUIRE(groups.size() == 2);
  r.take_group_orders();
  REQUIRE_FALSE(r.answer(r.rounds_stop(r.chair, t0)));
  CHECK(ended(r) == 2);
  CHECK(r.round_due_at() == 0);

  plenary alone;
  REQUIRE_FALSE(alone.start(2, 1, 3));
  alone.report({"a"});
  alone.due();
  CHECK(alone.groups().empty());
  CHECK(alone.take_created().empty());
  CHECK(alone.round_due_at() == 0);
}

TEST_CASE("rounds: two replicas fed the same log form the same groups", "[room][rounds]") {
  plenary a, b;
  for (auto* r : {&a, &b}) {
    REQUIRE_FALSE(r->answer(r->opt_out(person("p4"), true, t0)));
    REQUIRE_FALSE(r->start(3, 2, 2, 123456789));
    r->report(ids(20));
    r->due();
  }
  auto const ga = a.groups();
  CHECK(ga == b.groups());
  CHECK(a.events().back().text() == b.events().back().text());
  CHECK(a.state_json() == b.state_json());

  // The state restores into a new replica: it forms the next round the same way.
  plenary c;
  c.restore(0, a.state_json(), {});
  CHECK(c.state_json() == a.state_json());
  CHECK(c.opted_out("p4"));
  for (auto* r : {&a, &c}) {
    r->due();
    r->report(ids(20));
    r->due();
  }
  CHECK(a.groups() == c.groups());
}

TEST_CASE("rounds: 40 rounds reuse the same group rooms; the state stays bounded",
          "[room][rounds]") {
  plenary r;
  std::set<std::string> rooms;
  std::size_t first_state = 0;
  for (int start = 0; start < 4; ++start) {
    REQUIRE_FALSE(r.start(2, 1, 10));
    for (int i = 0; i < 10; ++i) {
      r.report(ids(6));
      r.due();  // forms
      for (auto const& t : r.take_created()) rooms.insert(t.id);
      CHECK(r.take_group_orders().size() == 3);
      CHECK(r.groups().size() == 3);
      r.due();  // ends
      CHECK(ended(r) == 3);
    }
    CHECK(r.round_due_at() == 0);
    if (start == 0) first_state = r.state_json().size();
  }
  CHECK(r.round_number() == 40);
  CHECK(rooms == std::set<std::string>{"group-1", "group-2", "group-3"});
  // The same people: the met pairs are all 15 of them already after round 5.
  CHECK(r.state_json().size() <= first_state + 16);
  CHECK(r.met_pairs().pairs().size() == 15);
}

TEST_CASE("rounds: a reload gets its group back from the plenary's snapshot", "[room][rounds]") {
  plenary r;
  REQUIRE_FALSE(r.answer(r.opt_out(person("p5"), true, t0)));
  REQUIRE_FALSE(r.start(2, 3, 2));
  auto const view = [&](std::string const& id) {
    protocol::json_writer w;
    auto const p = person(id);
    r.write_snapshot(w, &p);
    return doc(w.release());
  };
  CHECK(view("p0").boolean("/rounds/gathering"));
  CHECK(view("p0").is_null("/rounds/group"));
  r.report(ids(6));
  r.due();
  auto const groups = r.groups();
  for (auto const& [room_id, members] : groups) {
    for (auto const& id : members) {
      auto const v = view(id);
      CHECK(v.boolean("/rounds/running"));
      CHECK_FALSE(v.boolean("/rounds/opted_out"));
      CHECK(v.str("/rounds/group/room") == room_id);
      CHECK(v.num("/rounds/group/round") == 1);
      CHECK(v.num("/rounds/group/ends_at") == r.round_due_at());
      CHECK(v.num("/rounds/ends_at") == r.round_due_at());
      CHECK(v.size("/rounds/group/members") == members.size());
    }
  }
  CHECK(view("p5").boolean("/rounds/opted_out"));
  CHECK(view("p5").is_null("/rounds/group"));
  // The state restores with the groups: a restarted node tells the same.
  plenary c;
  c.restore(0, r.state_json(), {});
  auto const p0 = person("p0");
  protocol::json_writer a, b;
  r.write_snapshot(a, &p0);
  c.write_snapshot(b, &p0);
  doc const was(a.release()), now(b.release());
  CHECK(now.str("/rounds/group/room") == was.str("/rounds/group/room"));
  CHECK(now.size("/rounds/group/members") == was.size("/rounds/group/members"));
  CHECK(now.num("/rounds/ends_at") == was.num("/rounds/ends_at"));
  REQUIRE_FALSE(r.answer(r.rounds_stop(r.chair, t0)));
  CHECK_FALSE(view("p0").boolean("/rounds/running"));
  CHECK(view("p0").is_null("/rounds/group"));
}

TEST_CASE("rounds: a group room seats its group only, and a new round starts it empty",
          "[room][rounds]") {
  answering_room g(table_config{"group-1", "Networking group 1", "", 0, true}, 1, 100);
  auto const seat_of = [](std::uint64_t conn, std::string id) {
    return member{conn, 0, person(std::move(id))};
  };
  auto const refused = g.answer(g.join(seat_of(1, "ann"), t0));
  REQUIRE(refused);
  CHECK(refused->code == error_code::forbidden);
  REQUIRE_FALSE(g.answer(g.group_round(cmd::group_round{1, {"ann", "bob"}}, t0)));
  REQUIRE_FALSE(g.answer(g.join(seat_of(1, "ann"), t0)));
  REQUIRE_FALSE(g.answer(g.say(seat_of(1, "ann"), "round one", t0)));
  auto const outsider = g.answer(g.join(seat_of(3, "cem"), t0));
  REQUIRE(outsider);
  CHECK(outsider->code == error_code::forbidden);
  REQUIRE_FALSE(g.answer(g.leave(1, t0)));
  // The end: nobody joins; a second node's copy of it, or of the start, is stale.
  REQUIRE_FALSE(g.answer(g.group_round(cmd::group_round{1, {}}, t0)));
  REQUIRE_FALSE(g.answer(g.group_round(cmd::group_round{1, {"ann", "bob"}}, t0)));
  CHECK(g.answer(g.join(seat_of(1, "ann"), t0)));
  auto const saved = g.state_json();
  auto const history = std::vector<history_entry>(g.history().begin(), g.history().end());
  // Round 2: the room is cleared; round 1's late orders change nothing.
  REQUIRE_FALSE(g.answer(g.group_round(cmd::group_round{2, {"cem", "dia"}}, t0)));
  REQUIRE_FALSE(g.answer(g.group_round(cmd::group_round{1, {"ann", "bob"}}, t0)));
  CHECK(g.history().empty());
  REQUIRE_FALSE(g.answer(g.join(seat_of(3, "cem"), t0)));
  CHECK(g.snapshot().text().find("round one") == std::string::npos);
  CHECK(g.answer(g.join(seat_of(4, "ann"), t0)));
  // A store that still holds round 1's history: the restored room drops it.
  answering_room back(table_config{"group-1", "Networking group 1", "", 0, true}, 1, 100);
  back.restore(g.seq(), g.state_json(), history);
  CHECK(back.history().empty());
  CHECK(back.snapshot().text().find("round one") == std::string::npos);
  answering_room before(table_config{"group-1", "Networking group 1", "", 0, true}, 1, 100);
  before.restore(history.back().seq, saved, history);
  CHECK(before.history().size() == history.size());  // the floor drops only what it must

  answering_room table(table_config{"t1", "Topic", "", 0, true}, 1, 100);
  auto const o = table.answer(table.group_round(cmd::group_round{1, {"ann"}}, t0));
  REQUIRE(o);
  CHECK(o->code == error_code::bad_request);
}

TEST_CASE("rounds: opt-outs kept up to max_opted_out", "[room][rounds]") {
  plenary r;
  for (std::size_t i = 0; i < room::max_opted_out; ++i)
    REQUIRE_FALSE(r.answer(r.opt_out(person("p" + std::to_string(i)), true, t0)));
  REQUIRE_FALSE(r.answer(r.opt_out(person("p0"), true, t0)));  // already out: ok
  auto const o = r.answer(r.opt_out(person("newcomer"), true, t0));
  REQUIRE(o);
  CHECK(o->code == error_code::full);
  CHECK_FALSE(r.opted_out("newcomer"));
  REQUIRE_FALSE(r.answer(r.opt_out(person("p0"), false, t0)));
  REQUIRE_FALSE(r.answer(r.opt_out(person("newcomer"), true, t0)));
  CHECK(r.opted_out("newcomer"));
}

TEST_CASE("rounds: an erased person leaves the groups, the opt-outs and the met pairs",
          "[room][rounds]") {
  plenary r;
  REQUIRE_FALSE(r.answer(r.opt_out(person("p5"), true, t0)));
  REQUIRE_FALSE(r.start(2, 3, 2));
  r.report(ids(6));
  r.due();
  auto const groups = r.groups();
  // The state keeps the erased ids (`erased`); the rounds' part must not.
  REQUIRE(part(r.state_json(), "/rounds").find("\"p0\"") != std::string::npos);
  REQUIRE(part(r.state_json(), "/rounds").find("\"p5\"") != std::string::npos);
  r.erase_author("p0", t0);
  r.erase_author("p5", t0);
  CHECK(part(r.state_json(), "/rounds").find("\"p0\"") == std::string::npos);
  CHECK(part(r.state_json(), "/rounds").find("\"p5\"") == std::string::npos);
  CHECK(r.state_json().find("Name p0") == std::string::npos);
  CHECK_FALSE(r.opted_out("p5"));
  for (auto const& [a, b] : r.met_pairs().pairs()) {
    CHECK(a != "p0");
    CHECK(b != "p0");
  }
  // The others' reload view no longer lists p0 in their group.
  for (auto const& [room_id, members] : groups) {
    for (auto const& id : members) {
      if (id == "p0") continue;
      protocol::json_writer w;
      auto const p = person(id);
      r.write_snapshot(w, &p);
      auto const view = w.release();
      CHECK(view.find("\"p0\"") == std::string::npos);
      CHECK(view.find("Name p0") == std::string::npos);
    }
  }
  // A group room forgets its member too.
  answering_room g(table_config{"group-1", "Networking group 1", "", 0, true}, 1, 100);
  REQUIRE_FALSE(g.answer(g.group_round(cmd::group_round{1, {"ann", "bob"}}, t0)));
  REQUIRE(part(g.state_json(), "/group_members") == R"(["ann","bob"])");
  g.erase_author("ann", t0);
  CHECK(part(g.state_json(), "/group_members") == R"(["bob"])");
}
