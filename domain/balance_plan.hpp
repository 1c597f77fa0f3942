// The chair's `balance`: which participants to move so that the tables' counts
// differ by at most one. A pure function of what it is given (the seating of
// each table, as this node's replicas hold it), so that its answer is the
// same for the same input; the moves it returns go through the plenary's log
// like the chair's `move`, and every node applies the same list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace roundtable {

struct balance_person {
  std::string id;
  std::string name;
  bool operator==(balance_person const&) const = default;
};

struct balance_table {
  std::string id;
  std::int64_t capacity = 0;  // 0: no limit
  std::int64_t people = 0;    // seated here, moderators and the chair included
  // The participants balance may move (not moderators, not the chair), the
  // most recently seated first.
  std::vector<balance_person> movable;
};

struct balance_move {
  balance_person who;
  std::string from;
  std::string table;
};

// Moves people, the most recently seated first, from the fullest table to the
// emptiest one with room, until no two tables differ by more than one or no
// move is possible (capacities, or nobody movable at the fuller tables). Ties
// go to the table given first. Nobody is moved twice.
std::vector<balance_move> plan_balance(std::vector<balance_table> tables);

}  // namespace roundtable
