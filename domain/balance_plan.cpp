// See balance_plan.hpp.
#include "domain/balance_plan.hpp"

#include <cstddef>

namespace roundtable {

namespace {

bool has_room(balance_table const& t) {
  return t.capacity <= 0 || t.people < t.capacity;
}

// The emptiest table with room, the first of equals; null when none.
balance_table* emptiest(std::vector<balance_table>& tables) {
  balance_table* best = nullptr;
  for (auto& t : tables) {
    if (has_room(t) && (!best || t.people < best->people)) best = &t;
  }
  return best;
}

// The fullest table with someone movable and at least two more people than
// `target`, the first of equals; null when none.
balance_table* fullest(std::vector<balance_table>& tables, balance_table const& target) {
  balance_table* best = nullptr;
  for (auto& t : tables) {
    if (&t == &target || t.movable.empty() || t.people < target.people + 2) continue;
    if (!best || t.people > best->people) best = &t;
  }
  return best;
}

}  // namespace

std::vector<balance_move> plan_balance(std::vector<balance_table> tables) {
  std::vector<balance_move> moves;
  // Each move narrows the gap between two tables by two, so the sum of the
  // squared counts falls every time: the loop ends.
  for (;;) {
    auto* to = emptiest(tables);
    if (!to) break;
    auto* from = fullest(tables, *to);
    if (!from) break;
    moves.push_back({from->movable.front(), from->id, to->id});
    from->movable.erase(from->movable.begin());
    --from->people;
    ++to->people;
  }
  return moves;
}

}  // namespace roundtable
