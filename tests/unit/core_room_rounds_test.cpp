// Unit tests of networking rounds in the plenary's domain (server/room.hpp,
// room_apply_rounds.cpp): who may start and stop them, the gathering and the
// forming at the deadline, opt-outs, each person in exactly one group and
// told so (a `group` event to the group only), the rooms closed at the end,
// no repeated pair over rounds, replicas forming the same groups, the
// bounds, and the durable state.
#include "server/room.hpp"

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
    CHECK(room_id.rfind("round-1-", 0) == 0);
    CHECK(members.size() >= 2);
    CHECK(members.size() <= 4);
    grouped.insert(members.begin(), members.end());
  }
  CHECK(grouped ==
        std::multiset<std::string>{"p0", "p1", "p2", "p4", "p5", "p6", "p7", "p8", "p9"});
  auto const created = r.take_created();
  CHECK(created.size() == groups.size());
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
  auto const closed = r.take_rounds_closed();
  CHECK(closed.size() == groups.size());
  CHECK(r.take_gathering() == 2);
  r.report({"p0", "p1", "p2", "p4", "p5", "p6", "p7", "p8", "p9"});
  r.due();
  auto const second = r.groups();
  for (auto const& [room_id, members] : second) {
    CHECK(room_id.rfind("round-2-", 0) == 0);
    for (auto const& [first_room, first] : groups) {
      std::size_t shared = 0;
      for (auto const& m : members) shared += std::count(first.begin(), first.end(), m);
      CHECK(shared <= 1);
    }
  }
  r.events();
  r.due();  // the last round ends: no more gathering
  CHECK(r.take_rounds_closed().size() == second.size());
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
  REQUIRE_FALSE(r.answer(r.rounds_stop(r.chair, t0)));
  CHECK(r.take_rounds_closed().size() == 2);
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

TEST_CASE("rounds: at most max_rounds_total a session", "[room][rounds]") {
  plenary r;
  std::int64_t formed = 0;
  while (formed + std::int64_t{10} <= room::max_rounds_total) {
    REQUIRE_FALSE(r.start(2, 1, std::int64_t{10}));
    for (std::int64_t i = 0; i < std::int64_t{10}; ++i) {
      r.report({"a", "b"});
      r.due();  // forms
      r.due();  // ends
    }
    formed += std::int64_t{10};
  }
  CHECK(r.round_number() == formed);
  auto const o = r.start(2, 1, std::int64_t{10});
  REQUIRE(o);
  CHECK(o->code == error_code::full);
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
