// Networking rounds, applied in log order like every other command (see
// room_apply.cpp and room.hpp): plenary commands, because every node holds
// the plenary. A round goes gather -> form -> end: the gathering pools who
// every node reports connected, the first `round_due` past it forms random
// groups (each in one of the reused group rooms, its members seated there by
// move orders and told in a `group` event), the next one ends the round and
// gathers the next. A group room applies its side (`group_round`): a new
// round clears it and admits only the group.
// Everything a round decides comes from the log (the start's seed, the
// reports, the opt-outs), so every replica forms the same groups.
#include "domain/room.hpp"
#include "domain/room_emit.hpp"

#include <algorithm>

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
  if (op.on) {
    out.insert(c.who.id);
  } else {
    out.erase(c.who.id);
  }
  return {};
}

outcome room::on(room_command const&, cmd::round_present const& op) {
  // A report for a gathering that is over (or another round's) is late: those
  // people wait for the next round.
  if (!rounds_.gathering || op.round != rounds_.round + 1) return {};
  for (std::size_t i = 0; i < op.ids.size() && rounds_.pool.size() < max_pooled; ++i) {
    // Reported before their erasure reached that node: the state keeps no name of theirs.
    if (erased_.count(op.ids[i])) continue;
    rounds_.pool.emplace(op.ids[i], i < op.names.size() ? op.names[i] : std::string());
  }
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
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto id = std::string(group_prefix) + std::to_string(g + 1);
    // A node that has no such room yet creates it; the others reuse theirs.
    created_.push_back(table_config{id, "Networking group " + std::to_string(g + 1), "", 0, true});
    group_orders_.push_back({id, cmd::group_round{rounds_.round, groups[g]}});
    auto& named = rounds_.groups.emplace_back();
    for (auto const& who : groups[g]) {
      named.emplace(who, rounds_.pool.at(who));
      moves_.push_back({cmd::move{who, {}, id, {}}, rounds_.by});
    }
    json_writer w;
    write_group(w, g);
    // One serialization, one direct event per member: only they receive it.
    auto const json = std::make_shared<std::string const>(w.release());
    for (auto const& who : groups[g]) direct_.push_back({who, json, audience::author});
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      for (std::size_t j = i + 1; j < groups[g].size(); ++j)
        rounds_.met.add(groups[g][i], groups[g][j]);
    }
  }
  rounds_.pool.clear();
  timer_changed_ = true;
  emit_rounds(ts);
}

void room::end_round(std::int64_t ts) {
  close_groups();
  if (rounds_.left > 0) {
    gather_round(ts);
  } else {
    finish_rounds(ts);
  }
}

void room::close_groups() {
  for (std::size_t g = 0; g < rounds_.groups.size(); ++g) {
    group_orders_.push_back(
        {std::string(group_prefix) + std::to_string(g + 1), cmd::group_round{rounds_.round, {}}});
  }
  rounds_.groups.clear();
}

void room::finish_rounds(std::int64_t ts) {
  close_groups();
  rounds_.pool.clear();
  rounds_.left = 0;
  rounds_.due_at = 0;
  rounds_.gathering = false;
  timer_changed_ = true;
  emit_rounds(ts);
}

void room::write_rounds_fields(json_writer& w) const {
  w.field("running", rounds_.due_at != 0)
      .field("gathering", rounds_.gathering)
      .field("round", rounds_.round)
      .field("left", rounds_.left)
      .field("size", rounds_.size)
      .field("minutes", rounds_.minutes)
      .field("groups", static_cast<std::int64_t>(rounds_.groups.size()))
      .field("ends_at", rounds_.gathering ? std::int64_t{0} : rounds_.due_at);
}

void room::emit_rounds(std::int64_t ts) {
  emit("rounds", ts, [&](json_writer& w) { write_rounds_fields(w); });
}

void room::write_group(json_writer& w, std::size_t g) const {
  w.begin_object()
      .field("type", "group")
      .field("room", std::string(group_prefix) + std::to_string(g + 1))
      .field("round", rounds_.round)
      .field("ends_at", rounds_.due_at)
      .field("ts", rounds_.due_at - rounds_.minutes * 60 * 1000)
      .key("members")
      .begin_array();
  for (auto const& [id, name] : rounds_.groups[g])
    w.begin_object().field("id", id).field("name", name).end_object();
  w.end_array().end_object();
}

void room::write_rounds_view(json_writer& w, participant const& viewer) const {
  w.key("rounds").begin_object();
  write_rounds_fields(w);
  w.field("opted_out", opted_out(viewer.id)).key("group");
  auto const mine = std::find_if(rounds_.groups.begin(), rounds_.groups.end(),
                                 [&](auto const& g) { return g.count(viewer.id) != 0; });
  if (mine == rounds_.groups.end()) {
    w.null();
  } else {
    write_group(w, static_cast<std::size_t>(mine - rounds_.groups.begin()));
  }
  w.end_object();
}

room::ticket room::group_round(cmd::group_round op, std::int64_t now_ms) {
  return submit({}, {}, now_ms, std::move(op));
}

outcome room::on(room_command const& c, cmd::group_round const& op) {
  if (!is_group_room(cfg_.id)) return make_error(error_code::bad_request, "not a group room");
  // Every node submits each order: the first acts. An older round's order,
  // or a second begin of this one, is stale.
  if (op.round < group_round_ || (op.round == group_round_ && !op.members.empty())) return {};
  if (op.round > group_round_ && !op.members.empty()) clear_for_group();
  group_round_ = op.round;
  group_members_ = std::set<std::string>(op.members.begin(), op.members.end());
  return {};
}

void room::clear_for_group() {
  // A pristine table's state, then no history: the seq goes on (a client's
  // resume from before finds a gap and takes the snapshot).
  room const fresh(table_config{cfg_.id, cfg_.topic, "", 0, true}, epoch_, 1);
  read_state(fresh.state_json(), false);
  history_.clear();
  history_floor_ = seq_;
}

}  // namespace roundtable
