// Unit tests of networking rounds' grouping (domain/rounds.hpp): group sizes
// (nobody alone, within size ± 1, the cap), nobody meeting anyone twice when
// it can be avoided, the same groups from the same seed, and the bounded
// memory of who met.
#include "domain/rounds.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <vector>

using namespace roundtable::rounds;

namespace {

std::vector<std::string> people(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("p" + std::to_string(i));
  return out;
}

void remember(met_pairs& met, std::vector<std::vector<std::string>> const& groups) {
  for (auto const& g : groups) {
    for (std::size_t i = 0; i < g.size(); ++i) {
      for (std::size_t j = i + 1; j < g.size(); ++j) met.add(g[i], g[j]);
    }
  }
}

// Everyone of `all` is in exactly one group.
void check_partition(std::vector<std::vector<std::string>> const& groups,
                     std::vector<std::string> const& all) {
  std::vector<std::string> seen;
  for (auto const& g : groups) seen.insert(seen.end(), g.begin(), g.end());
  std::sort(seen.begin(), seen.end());
  auto sorted = all;
  std::sort(sorted.begin(), sorted.end());
  CHECK(seen == sorted);
}

}  // namespace

TEST_CASE("group sizes: nobody alone, within size plus or minus one", "[rounds]") {
  CHECK(group_sizes(0, 3, 100).empty());
  CHECK(group_sizes(1, 2, 100).empty());
  CHECK(group_sizes(2, 4, 100) == std::vector<std::size_t>{2});
  CHECK(group_sizes(3, 2, 100) == std::vector<std::size_t>{3});
  CHECK(group_sizes(5, 2, 100) == std::vector<std::size_t>{2, 3});
  CHECK(group_sizes(6, 4, 100) == std::vector<std::size_t>{3, 3});
  CHECK(group_sizes(7, 4, 100) == std::vector<std::size_t>{3, 4});
  CHECK(group_sizes(10, 4, 100) == std::vector<std::size_t>{3, 3, 4});
  for (std::size_t size = 2; size <= 4; ++size) {
    for (std::size_t n = 2; n <= 60; ++n) {
      auto const sizes = group_sizes(n, size, 100);
      CHECK(std::accumulate(sizes.begin(), sizes.end(), std::size_t{0}) == n);
      for (auto const s : sizes) {
        CHECK(s >= 2);
        if (n >= size) CHECK(s + 1 >= size);
        CHECK(s <= size + 1);
      }
    }
  }
}

TEST_CASE("group sizes: past the cap of groups, the rest wait", "[rounds]") {
  CHECK(group_sizes(30, 2, 10) == std::vector<std::size_t>(10, 2));
  auto const groups = form_groups(people(30), 2, 7, met_pairs(100), 10);
  CHECK(groups.size() == 10);
}

TEST_CASE("form_groups: the same seed forms the same groups, another seed others", "[rounds]") {
  met_pairs met(1000);
  auto all = people(12);
  auto const a = form_groups(all, 3, 42, met, 100);
  std::reverse(all.begin(), all.end());  // the order given does not matter
  CHECK(form_groups(all, 3, 42, met, 100) == a);
  check_partition(a, all);
  bool differs = false;
  for (std::uint64_t seed = 43; seed < 53 && !differs; ++seed)
    differs = form_groups(all, 3, seed, met, 100) != a;
  CHECK(differs);
}

TEST_CASE("form_groups: duplicates count once", "[rounds]") {
  auto const groups = form_groups({"a", "b", "a", "c", "b"}, 2, 1, met_pairs(10), 100);
  check_partition(groups, {"a", "b", "c"});
}

TEST_CASE("form_groups: nobody meets anyone twice while it can be avoided", "[rounds]") {
  // 4 people in pairs: 3 rounds without a repeat exist; 9 in threes: 4 rounds
  // (a Kirkman-like schedule) exist, the greedy draw must find at least 2.
  struct plan {
    std::size_t n, size, rounds;
  };
  for (auto const p : {plan{4, 2, 3}, plan{8, 2, 3}, plan{9, 3, 2}, plan{12, 3, 2}, plan{16, 4, 2},
                       plan{20, 2, 5}}) {
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
      INFO("n " << p.n << " size " << p.size << " seed " << seed);
      met_pairs met(10000);
      for (std::size_t r = 0; r < p.rounds; ++r) {
        auto const groups = form_groups(people(p.n), p.size, seed * 100 + r, met, 100);
        check_partition(groups, people(p.n));
        CHECK(repeated_pairs(groups, met) == 0);
        remember(met, groups);
      }
    }
  }
  // 12 in fours, a second round: each new group of four holds two people of
  // one of the first round's three groups; one such pair per group, no more.
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    INFO("seed " << seed);
    met_pairs met(100);
    remember(met, form_groups(people(12), 4, seed, met, 100));
    auto const second = form_groups(people(12), 4, seed + 1000, met, 100);
    check_partition(second, people(12));
    CHECK(repeated_pairs(second, met) == 3);
  }
  // 4 in pairs, a fourth round: a repeat cannot be avoided, and everyone is grouped.
  met_pairs met(100);
  for (std::uint64_t r = 0; r < 3; ++r) remember(met, form_groups(people(4), 2, r, met, 100));
  auto const fourth = form_groups(people(4), 2, 3, met, 100);
  check_partition(fourth, people(4));
  CHECK(repeated_pairs(fourth, met) == 2);
}

TEST_CASE("met_pairs: bounded, the oldest pair forgotten first", "[rounds]") {
  met_pairs met(2);
  met.add("b", "a");
  CHECK(met.met("a", "b"));
  CHECK(met.met("b", "a"));
  met.add("a", "b");  // known: no second entry
  met.add("a", "c");
  CHECK(met.pairs().size() == 2);
  met.add("c", "d");
  CHECK(met.pairs().size() == 2);
  CHECK_FALSE(met.met("a", "b"));
  CHECK(met.met("a", "c"));
  CHECK(met.met("d", "c"));
}
