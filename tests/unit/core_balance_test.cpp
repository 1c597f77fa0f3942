// Unit tests of the chair's `balance`: the plan (domain/balance_plan.cpp:
// counts within one, the most recently seated first, capacities, moderators
// never moved, nobody twice, the same answer for the same input), what a
// table tells the planner (room::people, room::movable, kept by the durable
// state), and the plenary's apply (the chair's alone, the orders it hands out).
#include "domain/balance_plan.hpp"
#include "domain/room.hpp"

#include "tests/unit/outcome_of.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

participant person(std::string id, role who = role::participant, std::string table = {}) {
  return participant{id, "Name " + id, who, std::move(table)};
}

// A table of `n` people, `fixed` of them moderators (not movable).
balance_table table(std::string id, int n, int fixed = 0, std::int64_t capacity = 0) {
  balance_table t{id, capacity, n, {}};
  for (int i = n - 1; i >= fixed; --i) t.movable.push_back({id + "-p" + std::to_string(i), "P"});
  return t;
}

// The counts after the moves.
std::map<std::string, std::int64_t> after(std::vector<balance_table> const& tables,
                                          std::vector<balance_move> const& moves) {
  std::map<std::string, std::int64_t> n;
  for (auto const& t : tables) n[t.id] = t.people;
  for (auto const& m : moves) {
    --n[m.from];
    ++n[m.table];
  }
  return n;
}

std::int64_t spread(std::map<std::string, std::int64_t> const& n) {
  auto const [lo, hi] = std::minmax_element(
      n.begin(), n.end(), [](auto const& a, auto const& b) { return a.second < b.second; });
  return hi->second - lo->second;
}

}  // namespace

TEST_CASE("balance plan: the counts end within one, the latest seated moving first", "[balance]") {
  std::vector<balance_table> const tables{table("a", 9), table("b", 1), table("c", 2)};
  auto const moves = plan_balance(tables);
  auto const n = after(tables, moves);
  CHECK(spread(n) <= 1);
  CHECK(n.at("a") == 4);
  CHECK(moves.size() == 5);
  // From a, the most recently seated first (the front of its list).
  REQUIRE_FALSE(moves.empty());
  CHECK(moves[0].who.id == "a-p8");
  CHECK(moves[0].from == "a");
  CHECK(moves[0].table == "b");  // the emptiest
  CHECK(moves[1].who.id == "a-p7");
  // The same input, the same plan.
  auto const again = plan_balance(tables);
  REQUIRE(again.size() == moves.size());
  for (std::size_t i = 0; i < moves.size(); ++i) {
    CHECK(again[i].who == moves[i].who);
    CHECK(again[i].table == moves[i].table);
  }
  // Balanced already, or a single table: nothing to do.
  CHECK(plan_balance({table("a", 3), table("b", 2), table("c", 3)}).empty());
  CHECK(plan_balance({table("a", 7)}).empty());
  CHECK(plan_balance({}).empty());
}

TEST_CASE("balance plan: capacities, moderators and nobody twice", "[balance]") {
  // b is full at 2: the others share the rest.
  std::vector<balance_table> const capped{table("a", 10), table("b", 1, 0, 2), table("c", 0)};
  auto const moves = plan_balance(capped);
  auto const n = after(capped, moves);
  CHECK(n.at("b") == 2);
  CHECK(n.at("a") - n.at("c") <= 1);
  CHECK(n.at("a") + n.at("b") + n.at("c") == 11);
  // Moderators stay: a table of five with four moderators gives one person.
  std::vector<balance_table> const fixed{table("a", 5, 4), table("b", 0)};
  auto const few = plan_balance(fixed);
  REQUIRE(few.size() == 1);
  CHECK(few[0].who.id == "a-p4");
  // Every move takes a different person.
  std::vector<std::string> who;
  for (auto const& m : plan_balance({table("a", 30), table("b", 0), table("c", 0)}))
    who.push_back(m.who.id);
  std::sort(who.begin(), who.end());
  CHECK(std::adjacent_find(who.begin(), who.end()) == who.end());
  CHECK(who.size() == 20);
}

TEST_CASE("balance plan: any input ends within one where nothing forbids it", "[balance]") {
  // A deterministic sweep of small cases without capacities or moderators.
  for (int a = 0; a < 8; ++a) {
    for (int b = 0; b < 8; ++b) {
      for (int c = 0; c < 8; ++c) {
        std::vector<balance_table> const tables{table("a", a), table("b", b), table("c", c)};
        INFO(a << " " << b << " " << c);
        CHECK(spread(after(tables, plan_balance(tables))) <= 1);
      }
    }
  }
}

TEST_CASE("a table tells the planner who sits there, the latest first", "[balance][room]") {
  room r({"t1", "Topic", "Grace", 0, true}, 1, 100);
  member const ann{1, 0, person("ann")};
  member const bob{2, 0, person("bob")};
  member const bob_tab{3, 0, person("bob")};
  member const mod{4, 0, person("mod", role::moderator, "t1")};
  member const cy{5, 0, person("cy")};
  for (auto const* m : {&ann, &bob, &mod, &cy, &bob_tab})
    REQUIRE_FALSE(outcome_of(r, r.join(*m, t0)));
  CHECK(r.people() == 4);  // bob once, the moderator counted
  auto names = [](std::vector<balance_person> const& v) {
    std::vector<std::string> out;
    for (auto const& p : v) out.push_back(p.id);
    return out;
  };
  // bob's second tab sat last; the moderator is not movable.
  CHECK(names(r.movable()) == std::vector<std::string>{"bob", "cy", "ann"});
  REQUIRE(r.movable()[0].name == "Name bob");
  REQUIRE_FALSE(outcome_of(r, r.leave(bob_tab.conn, t0)));
  CHECK(names(r.movable()) == std::vector<std::string>{"cy", "bob", "ann"});
  // A replica restored from the state knows the same order.
  room back({"t1", "Topic", "Grace", 0, true}, 1, 100);
  REQUIRE(back.load_replica(r.replica_json()));
  CHECK(names(back.movable()) == names(r.movable()));
  CHECK(back.people() == 4);  // bob still sits here on his first tab
}

TEST_CASE("balance in the plenary: the chair's alone, one order per move", "[balance][room]") {
  room plenary({std::string(room::plenary_id), "", "", 0, true}, 1, 100);
  plenary.set_known_tables({"t1", "t2"});
  cmd::balance const plan{{{"ann", {}, "t2", "t1"}, {"bob", {}, "t2", "t1"}}};
  auto const moderator = person("mod", role::moderator, "t1");
  CHECK(outcome_of(plenary, plenary.balance(moderator, plan, t0))->code == error_code::forbidden);
  CHECK(outcome_of(plenary, plenary.balance(person("ann"), plan, t0))->code ==
        error_code::forbidden);
  cmd::balance const nowhere{{{"ann", {}, "t9", "t1"}}};
  CHECK(outcome_of(plenary, plenary.balance(person("c", role::chair), nowhere, t0))->code ==
        error_code::not_found);
  CHECK(plenary.take_moves().empty());
  REQUIRE_FALSE(outcome_of(plenary, plenary.balance(person("c", role::chair), plan, t0)));
  auto const orders = plenary.take_moves();
  REQUIRE(orders.size() == 2);
  CHECK(orders[0].what.participant == "ann");
  CHECK(orders[0].what.from == "t1");
  CHECK(orders[0].what.table == "t2");
  CHECK(orders[1].what.participant == "bob");
  CHECK(orders[0].by.id == "c");
  // A table refuses it: balance goes through the plenary.
  room t({"t1", "Topic", "Grace", 0, true}, 1, 100);
  CHECK(outcome_of(t, t.balance(person("c", role::chair), plan, t0))->code ==
        error_code::bad_request);
}
