// Networking rounds, applied in log order like every other command (see
// room_apply.cpp and room.hpp): plenary commands, because every node holds
// the plenary. A round goes gather -> form -> end: the gathering pools who
// every node reports connected, the first `round_due` past it forms random
// groups (each a new room, its members seated there by move orders and told
// in a `group` event), the next one ends the round and gathers the next.
// Everything a round decides comes from the log (the start's seed, the
// reports, the opt-outs), so every replica forms the same groups.
#include "server/room.hpp"
#include "server/room_emit.hpp"

namespace roundtable {

using protocol::json_writer;

room::ticket room::rounds_start(participant const& chair, cmd::rounds_start op,
                                std::int64_t now_ms) {
  return submit(chair, {}, now_ms, op);
}

room::ticket room::rounds_stop(participant const& chair, std::int64_t now_ms) {
  return submit(chair, {}, now_ms, cmd::rounds_stop{});
}

room::ticket room::opt_out(participant const& p, bool on, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::opt_out{on});
}

room::ticket room::round_present(cmd::round_present op, std::int64_t now_ms) {
  return submit({}, {}, now_ms, std::move(op));
}

void room::round_expired(std::int64_t due_at, std::int64_t now_ms) {
  if (rounds_.due_at == 0 || rounds_.due_at != due_at) return;
  submit({}, {}, now_ms, cmd::round_due{due_at});
}

outcome room::on(room_command const& c, cmd::rounds_start const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "rounds go through the plenary");
  if (!c.who.is_chair()) return make_error(error_code::forbidden, "only the chair starts rounds");
  if (rounds_.due_at != 0)
    return make_error(error_code::bad_request, "rounds are running: stop them first");
  if (rounds_.round + op.rounds > max_rounds_total) {
    return make_error(error_code::full, "a session holds at most " +
                                            std::to_string(max_rounds_total) + " rounds; " +
                                            std::to_string(rounds_.round) + " ran");
  }
  rounds_.size = op.size;
  rounds_.minutes = op.minutes;
  rounds_.left = op.rounds;
  rounds_.seed = op.seed;
  rounds_.by = participant{c.who.id, c.who.name, c.who.who, {}};
  gather_round(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::rounds_stop const&) {
  if (!is_plenary()) return make_error(error_code::bad_request, "rounds go through the plenary");
  if (!c.who.is_chair()) return make_error(error_code::forbidden, "only the chair stops rounds");
  if (rounds_.due_at == 0) return make_error(error_code::not_found, "no rounds are running");
  finish_rounds(c.ts);
  return {};
}

outcome room::on(room_command const& c, cmd::opt_out const& op) {
  if (!is_plenary()) return make_error(error_code::bad_request, "opt out in the plenary");
  auto& out = rounds_.opted_out;
  if (op.on && !out.count(c.who.id) && out.size() >= max_opted_out)
    return make_error(error_code::full, "too many people opted out");
  bool const changed = op.on ? out.insert(c.who.id).second : out.erase(c.who.id) != 0;
  if (changed) state_changed_ = true;
  return {};
}

outcome room::on(room_command const&, cmd::round_present const& op) {
  // A report for a gathering that is over (or another round's) is late: those
  // people wait for the next round.
  if (!rounds_.gathering || op.round != rounds_.round + 1) return {};
  for (std::size_t i = 0; i < op.ids.size() && rounds_.pool.size() < max_pooled; ++i) {
    rounds_.pool.emplace(op.ids[i], i < op.names.size() ? op.names[i] : std::string());
  }
  state_changed_ = true;
  return {};
}

outcome room::on(room_command const& c, cmd::round_due const& op) {
  // Every replica's countdown submits one: the first acts, the others are stale.
  if (rounds_.due_at == 0 || rounds_.due_at != op.due_at) return {};
  if (rounds_.gathering) {
    form_round(c.ts);
  } else {
    end_round(c.ts);
  }
  return {};
}

void room::gather_round(std::int64_t ts) {
  rounds_.gathering = true;
  rounds_.pool.clear();
  rounds_.due_at = ts + gather_ms;
  gathering_ = rounds_.round + 1;
  state_changed_ = true;
  timer_changed_ = true;
  emit_rounds(ts);
}

void room::form_round(std::int64_t ts) {
  std::vector<std::string> people;
  for (auto const& [id, name] : rounds_.pool) {
    if (!rounds_.opted_out.count(id) && !erased_.count(id)) people.push_back(id);
  }
  // One seed per round from the start's: a new draw each round.
  auto const seed =
      static_cast<std::uint64_t>(rounds_.seed) + static_cast<std::uint64_t>(rounds_.round);
  auto const groups = rounds::form_groups(std::move(people), static_cast<std::size_t>(rounds_.size),
                                          seed, rounds_.met, max_group_rooms);
  if (groups.empty()) {
    finish_rounds(ts);
    return;
  }
  ++rounds_.round;
  --rounds_.left;
  rounds_.gathering = false;
  rounds_.due_at = ts + rounds_.minutes * 60 * 1000;
  auto const round = std::to_string(rounds_.round);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto id = "round-" + round + "-" + std::to_string(g + 1);
    table_config cfg{id, "Networking round " + round + ", group " + std::to_string(g + 1), "", 0,
                     true};
    created_.push_back(std::move(cfg));
    for (auto const& who : groups[g]) moves_.push_back({cmd::move{who, {}, id}, rounds_.by});
    emit_group(groups[g], id, ts);
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      for (std::size_t j = i + 1; j < groups[g].size(); ++j)
        rounds_.met.add(groups[g][i], groups[g][j]);
    }
    rounds_.rooms.push_back(std::move(id));
  }
  rounds_.pool.clear();
  timer_changed_ = true;
  emit_rounds(ts);
}

void room::end_round(std::int64_t ts) {
  rounds_closed_.insert(rounds_closed_.end(), rounds_.rooms.begin(), rounds_.rooms.end());
  rounds_.rooms.clear();
  if (rounds_.left > 0) {
    gather_round(ts);
  } else {
    finish_rounds(ts);
  }
}

void room::finish_rounds(std::int64_t ts) {
  rounds_closed_.insert(rounds_closed_.end(), rounds_.rooms.begin(), rounds_.rooms.end());
  rounds_.rooms.clear();
  rounds_.pool.clear();
  rounds_.left = 0;
  rounds_.due_at = 0;
  rounds_.gathering = false;
  state_changed_ = true;
  timer_changed_ = true;
  emit_rounds(ts);
}

void room::emit_rounds(std::int64_t ts) {
  emit("rounds", ts, [&](json_writer& w) {
    w.field("running", rounds_.due_at != 0)
        .field("gathering", rounds_.gathering)
        .field("round", rounds_.round)
        .field("left", rounds_.left)
        .field("size", rounds_.size)
        .field("minutes", rounds_.minutes)
        .field("groups", static_cast<std::int64_t>(rounds_.rooms.size()))
        .field("ends_at", rounds_.gathering ? std::int64_t{0} : rounds_.due_at);
  });
}

void room::emit_group(std::vector<std::string> const& members, std::string const& room_id,
                      std::int64_t ts) {
  json_writer w;
  w.begin_object()
      .field("type", "group")
      .field("room", room_id)
      .field("round", rounds_.round)
      .field("ends_at", rounds_.due_at)
      .field("ts", ts)
      .key("members")
      .begin_array();
  for (auto const& id : members) {
    w.begin_object().field("id", id).field("name", rounds_.pool.at(id)).end_object();
  }
  w.end_array().end_object();
  // One serialization, one direct event per member: only they receive it.
  auto const json = std::make_shared<std::string const>(w.release());
  for (auto const& id : members) direct_.push_back({id, json, audience::author});
}

}  // namespace roundtable
