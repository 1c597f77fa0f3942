// The chair's `balance`, applied in log order like every other command (see
// room_apply.cpp): a plenary command carrying the moves the chair's node
// planned (domain/balance_plan.hpp), each handed to the nodes as the chair's
// `move` is, so that each moved person's client hops and gets `moved`. Also
// what a table tells the planner: who is seated, the most recently seated
// first.
#include "domain/room.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace roundtable {

room::ticket room::balance(participant const& chair, cmd::balance op, std::int64_t now_ms) {
  return submit(chair, {}, now_ms, std::move(op));
}

outcome room::on(room_command const& c, cmd::balance const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "balance goes through the plenary");
  if (!c.who.is_chair()) return make_error(error_code::forbidden, "only the chair balances tables");
  for (auto const& m : op.moves) {
    auto const& unknown = tables_.count(m.table) ? m.from : m.table;
    if (!tables_.count(unknown))
      return make_error(error_code::not_found, "no table '" + unknown + "'");
  }
  participant const by{c.who.id, c.who.name, c.who.who, {}};
  for (auto const& m : op.moves) moves_.push_back({m, by});
  return {};
}

std::size_t room::people() const {
  std::set<std::string_view> ids;
  for (auto const& [key, p] : roster_) ids.insert(p.id);
  return ids.size();
}

std::vector<balance_person> room::movable() const {
  // Each participant's latest seating, over their connections here.
  std::map<std::string, std::pair<std::uint64_t, std::string>> latest;  // id: at, name
  for (auto const& [key, p] : roster_) {
    if (p.who != role::participant) continue;
    auto const at = seated_at_.find(key);
    auto& l = latest[p.id];
    l.first = std::max(l.first, at == seated_at_.end() ? 0 : at->second);
    l.second = p.name;
  }
  std::vector<std::pair<std::uint64_t, balance_person>> order;
  for (auto& [id, l] : latest) order.push_back({l.first, {id, l.second}});
  // The most recently seated first; equals (restored without times) by id.
  std::sort(order.begin(), order.end(), [](auto const& a, auto const& b) {
    return a.first != b.first ? a.first > b.first : a.second.id < b.second.id;
  });
  std::vector<balance_person> out;
  out.reserve(order.size());
  for (auto& o : order) out.push_back(std::move(o.second));
  return out;
}

}  // namespace roundtable
