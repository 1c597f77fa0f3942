// The chair's `balance`, applied in log order like every other command (see
// room_apply.cpp): a plenary command carrying the moves the chair's node
// planned (domain/balance_plan.hpp), each handed to the nodes as the chair's
// `move` is, so that each moved person's client hops and gets `moved`. What a
// table tells the planner (who is seated, the most recently seated first)
// comes from its seating (domain/seating.hpp).
#include "domain/room.hpp"

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

}  // namespace roundtable
