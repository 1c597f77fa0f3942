// Networking rounds' grouping: who meets whom. Plain functions of their inputs
// (the people, the group size, a seed and the pairs that met before), so that
// every replica applying a round's command forms the same groups, and unit
// tests check the rules without a room.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace roundtable::rounds {

// The pairs of participant ids that shared a group, oldest dropped first past
// `limit` (a long session must not grow the plenary's state without end; a
// forgotten pair may meet again, which is the lesser harm).
class met_pairs {
 public:
  explicit met_pairs(std::size_t limit) : limit_(limit) {}
  bool met(std::string const& a, std::string const& b) const;
  void add(std::string const& a, std::string const& b);
  // Oldest first: the durable state's order.
  std::deque<std::pair<std::string, std::string>> const& pairs() const noexcept { return order_; }
  void clear();
  // Drops every pair with `id` (erasure on request).
  void forget(std::string const& id);

 private:
  std::size_t limit_;
  std::deque<std::pair<std::string, std::string>> order_;
  std::set<std::pair<std::string, std::string>> known_;
};

// The sizes of the groups `n` people form for groups of `size`: as many groups
// as n / size rounds to, sizes as even as possible (so within size ± 1, the
// larger ones last), nobody alone; at most `max_groups` groups of `size`
// (the rest are not grouped). Empty when n < 2.
std::vector<std::size_t> group_sizes(std::size_t n, std::size_t size, std::size_t max_groups);

// Random groups of `people` (in any order: they are sorted first), drawn from
// `seed`, each new member the one who met the fewest of the group so far;
// of a few draws, the one with the fewest repeated pairs.
std::vector<std::vector<std::string>> form_groups(std::vector<std::string> people, std::size_t size,
                                                  std::uint64_t seed, met_pairs const& met,
                                                  std::size_t max_groups);

// How many pairs within `groups` met before: 0 when nobody meets anyone twice.
std::size_t repeated_pairs(std::vector<std::vector<std::string>> const& groups,
                           met_pairs const& met);

}  // namespace roundtable::rounds
