// Unit tests of what a table keeps per person as connections come and go
// (domain/seating.hpp, wired in room_apply.cpp and room_state.cpp): people,
// the stakeholder mix, whether its moderator is seated and who may be moved
// must equal a count from scratch over the roster after every join and leave,
// whatever the order, with two tabs per person, tabs that say something else
// of themselves, people erased on request, moderators of this table and of
// another, and the chair; and a replica loaded from the room's state must
// count the same.
#include "domain/room.hpp"

#include "tests/unit/answering_room.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;
table_config const table{"t1", "Topic", "Grace", 0, true};

// The test's own account of the connections: each one's person, what it says
// of itself, and the step of its join while seated (joins apply in that order).
struct tab {
  member m;
  std::string stakeholder;
  std::optional<std::uint64_t> seated_at;
};

struct figures {
  std::size_t people = 0;
  std::map<std::string, std::int64_t> mix;
  bool moderated = false;
  std::vector<balance_person> movable;
  bool operator==(figures const&) const = default;
};

figures of(room const& r) {
  return {r.people(), r.mix(), r.moderator_seated(), r.movable()};
}

// From scratch: people, mix and moderator over the room's roster and profiles
// (a person with two tabs once); movable over the seated tabs, the latest join
// first, the name of the person's tab with the greatest connection key.
figures recount(room const& r, std::vector<tab> const& tabs) {
  figures f;
  std::set<std::string> ids;
  for (auto const& [key, p] : r.roster_view()) {
    f.moderated |= p.moderates_table(table.id);
    if (!ids.insert(p.id).second) continue;
    auto const said = r.profiles().find(p.id);
    if (said != r.profiles().end() && !said->second.stakeholder.empty())
      ++f.mix[said->second.stakeholder];
  }
  f.people = ids.size();
  std::map<std::string, std::uint64_t> latest;
  for (auto const& t : tabs) {
    if (!t.seated_at || t.m.who.who != role::participant) continue;
    latest[t.m.who.id] = std::max(latest[t.m.who.id], *t.seated_at);
  }
  std::vector<std::tuple<std::uint64_t, std::string>> order;
  for (auto const& [id, at] : latest) order.emplace_back(at, id);
  std::sort(order.begin(), order.end(), [](auto const& a, auto const& b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) > std::get<0>(b)
                                            : std::get<1>(a) < std::get<1>(b);
  });
  for (auto const& [at, id] : order) {
    std::string name, key;
    for (auto const& [k, p] : r.roster_view()) {
      if (p.id == id && p.who == role::participant && k >= key) key = k, name = p.name;
    }
    f.movable.push_back({id, name});
  }
  return f;
}

std::vector<tab> make_tabs() {
  std::vector<std::string> const groups{"researcher", "citizen", "industry", "policy", ""};
  std::vector<tab> tabs;
  std::uint64_t serial = 1;
  auto add = [&](participant p, std::string const& group, bool renamed = false) {
    tabs.push_back({member{serial++, 0, p}, group, {}});
    if (renamed) p.name += " (phone)";  // the balance names them after one tab
    tabs.push_back({member{serial++, 0, p}, group, {}});
  };
  for (int i = 0; i < 30; ++i) {
    auto const id = "p" + std::to_string(i);
    add(participant{id, "Name " + id, role::participant, {}}, groups[i % groups.size()],
        i % 3 == 0);
  }
  add(participant{"mod", "Grace", role::moderator, "t1"}, "policy");
  add(participant{"mod2", "Hedy", role::moderator, "t2"}, "");
  add(participant{"chair", "Chair", role::chair, {}}, "citizen");
  return tabs;
}

}  // namespace

TEST_CASE("a table's people, mix, moderator and movable follow every join and leave",
          "[room][seating]") {
  auto const seed = GENERATE(1u, 2u, 3u, 4u, 5u);
  std::mt19937 rng(seed);
  answering_room r(table, 1, 100);
  auto tabs = make_tabs();
  std::vector<std::string> const other_said{"researcher", "", "elsewhere"};
  std::set<std::string> erased;
  std::uint64_t step = 0;
  for (int i = 0; i < 1500; ++i) {
    auto& t = tabs[std::uniform_int_distribution<std::size_t>(0, tabs.size() - 1)(rng)];
    if (rng() % 200 == 0) {
      // Erased on request: what they said goes, seated or not; their tabs
      // still seated leave later, and they join no more.
      r.erase_author(t.m.who.id, t0);
      r.take_ready();
      erased.insert(t.m.who.id);
    } else if (t.seated_at) {
      REQUIRE_FALSE(r.answer(r.leave(t.m.conn, t0)));
      t.seated_at.reset();
    } else {
      // Now and then a tab says something else of its person than the other did.
      auto said = t.stakeholder;
      if (rng() % 8 == 0) said = other_said[rng() % other_said.size()];
      auto const refused = r.answer(r.join(t.m, t0, {said, ""}));
      REQUIRE(refused.has_value() == erased.count(t.m.who.id) > 0);
      if (!refused) t.seated_at = ++step;
    }
    r.take_outbox();
    INFO("seed " << seed << ", step " << i);
    REQUIRE(r.roster_view().size() ==
            static_cast<std::size_t>(
                std::count_if(tabs.begin(), tabs.end(), [](tab const& x) { return x.seated_at; })));
    REQUIRE(of(r) == recount(r, tabs));
    if (i % 100 == 0) {  // a replica counts the same from the state alone
      room copy(table, 1, 100);
      REQUIRE(copy.load_replica(r.replica_json()));
      REQUIRE(of(copy) == recount(r, tabs));
    }
  }
}
