// Room logs (commands, events, snapshots) to SQLite, and rooms back from them at start.
#include "engine/durable_log.hpp"

#include "server/config.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace roundtable {

namespace {
store::sqlite_store::options store_options(std::string const& dir) {
  store::sqlite_store::options o;
  o.path = dir + "/roundtable.db";
  return o;
}
}  // namespace

durable_log::durable_log(std::string const& dir, std::uint64_t (*new_epoch)())
    : clean_marker_(dir + "/clean-stop"),
      store_(std::make_unique<store::sqlite_store>(store_options(dir))) {
  std::error_code ec;
  clean_start_ = std::filesystem::remove(clean_marker_, ec);
  if (ec) {
    throw std::runtime_error("cannot remove '" + clean_marker_ + "': " + ec.message());
  }
  auto rooms = store_->rooms();
  if (!clean_start_ && !rooms.empty()) {
    for (auto& r : rooms) {
      auto const to = new_epoch();
      store_->move_epoch(r.room, r.epoch, to);
      r.epoch = to;
    }
    store_->flush();
  }
  for (auto& r : rooms) rooms_.emplace(r.room, std::move(r));
}

durable_log::~durable_log() {
  store_.reset();  // commits everything queued
  std::ofstream(clean_marker_) << "the store was closed cleanly\n";
}

bool durable_log::on_command(std::string const& room, std::uint64_t epoch, std::uint64_t lsn,
                             std::uint64_t snapshot_lsn, room_command const& c) {
  store_->append_command(store::command_row{room, epoch, lsn, c.who.id, command_json(c)});
  return snapshot_due(lsn, snapshot_lsn);
}

void durable_log::on_event(std::string const& room, std::uint64_t epoch, history_entry const& e) {
  store_->append_event(
      store::event_row{room, epoch, e.seq, e.type, e.item, e.author, *e.json, e.ts});
}

void durable_log::on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) {
  store_->replace_payload(room, epoch, e.seq, *e.json);
}

void durable_log::on_snapshot(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                              std::uint64_t lsn, std::size_t window, std::string const& snapshot) {
  store_->put_room(store::room_row{room, epoch, seq, snapshot, lsn, window});
}

bool durable_log::snapshot_due(std::uint64_t lsn, std::uint64_t snapshot_lsn) noexcept {
  auto const since = lsn > snapshot_lsn ? lsn - snapshot_lsn : 0;
  return since >= std::max(first_snapshot_after, lsn / 16);
}

std::optional<std::uint64_t> durable_log::epoch_of(std::string const& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  return it->second.epoch;
}

bool durable_log::restore(room& r, std::function<void(room&)> const& setup, std::size_t window) {
  auto it = rooms_.find(r.id());
  if (it == rooms_.end()) return false;
  auto const& row = it->second;
  auto back = replay(row, r, setup, window);
  auto h = history(row.room, row.epoch, window);
  if (!back) {
    back = replayed{row.state, row.seq, 0};  // schema 1: the state is whole
    // Its row's seq may lag the events: messages wrote no state.
    if (!h.empty()) back->seq = std::max(back->seq, h.back().seq);
  } else if (!h.empty()) {
    // A kill between a command and its last events in the store: the replay
    // issued seqs that nobody saw and the window lacks. The room goes on from
    // the window's end, gapless (and under a new epoch: the stop was unclean).
    back->seq = h.back().seq;
  }
  r.restore(back->seq, back->state, std::move(h), back->lsn);
  if (r.is_plenary()) {
    r.restore_lists(list_of(row.room, row.epoch, "report", UINT64_MAX),
                    list_of(row.room, row.epoch, "broadcast", UINT64_MAX));
  }
  return true;
}

std::optional<durable_log::replayed> durable_log::replay(store::room_row const& row,
                                                         room const& like,
                                                         std::function<void(room&)> const& setup,
                                                         std::size_t window) {
  // No observer, no sequencer: nothing it does is stored or delivered. The
  // commands were applied with the stored window; `window` (a new --history)
  // takes over only after them.
  room scratch(like.config(), row.epoch, row.window ? row.window : window);
  setup(scratch);
  auto const damaged = [&](std::string const& what) {
    return std::runtime_error("room '" + row.room + "': " + what);
  };
  if (!scratch.load_replica(row.state)) {
    // A schema-1 row: a whole state (a JSON object) and no log position.
    simdjson::dom::parser parser;
    simdjson::dom::object whole;
    if (row.lsn != 0 || parser.parse(row.state).get(whole))
      throw damaged("unreadable snapshot at log position " + std::to_string(row.lsn));
    return std::nullopt;
  }
  if (scratch.is_plenary()) {
    scratch.restore_lists(list_of(row.room, row.epoch, "report", scratch.seq()),
                          list_of(row.room, row.epoch, "broadcast", scratch.seq()));
  }
  for (auto const& c : store_->commands(row.room, row.epoch, row.lsn)) {
    auto const command = command_from_json(c.command);
    if (!command) throw damaged("unreadable command at log position " + std::to_string(c.lsn));
    if (c.lsn != scratch.log_position() + 1) {
      throw damaged("the command at log position " + std::to_string(scratch.log_position() + 1) +
                    " is missing (the next stored one is at " + std::to_string(c.lsn) + ")");
    }
    // The snapshot's epoch: moved after an unclean stop, the commands with it.
    scratch.apply(c.lsn, scratch.epoch(), *command);
  }
  return replayed{scratch.state_json(), scratch.seq(), scratch.log_position()};
}

std::vector<history_entry> durable_log::history(std::string const& room, std::uint64_t epoch,
                                                std::size_t window) {
  std::vector<history_entry> out;
  for (auto& row : store_->last_events(room, epoch, window)) {
    history_entry e;
    e.seq = row.seq;
    e.type = std::move(row.type);
    e.item = std::move(row.item);
    e.author = std::move(row.author);
    e.ts = row.ts;
    // Deletion rewrote the payload as the tombstone of this very entry.
    e.deleted = (e.type == "message" || e.type == "insight") &&
                row.payload == roundtable::room::tombstone_json(room, epoch, e);
    e.json = std::make_shared<std::string const>(std::move(row.payload));
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<buffer> durable_log::list_of(std::string const& room, std::uint64_t epoch,
                                         std::string_view type, std::uint64_t max_seq) {
  std::vector<buffer> out;
  for (auto& row : store_->events_of_type(room, epoch, type)) {
    if (row.seq <= max_seq)
      out.push_back(std::make_shared<std::string const>(std::move(row.payload)));
  }
  return out;
}

namespace {
// Every display name `id` goes by in `e`: each object whose "id" is `id` and
// that has a "name" (a `from`, a presence's `joined`, a hand queue's entry).
void names_of(simdjson::dom::element e, std::string_view id, std::set<std::string>& out) {
  if (simdjson::dom::object o; !e.get(o)) {
    std::string_view found, name;
    if (!o["id"].get(found) && found == id && !o["name"].get(name) && !name.empty())
      out.emplace(name);
    for (auto field : o) names_of(field.value, id, out);
  } else if (simdjson::dom::array a; !e.get(a)) {
    for (auto v : a) names_of(v, id, out);
  }
}
}  // namespace

std::set<std::string> durable_log::erasure_names(std::string const& author) {
  store_->flush();  // their latest events too
  std::set<std::string> names;
  simdjson::dom::parser parser;
  for (auto const& row : store_->events_by_author(author)) {
    simdjson::dom::element doc;
    if (!parser.parse(row.payload).get(doc)) names_of(doc, author, names);
  }
  return names;
}

std::size_t durable_log::erase_author(std::string const& author,
                                      std::set<std::string> const& names) {
  store_->flush();
  std::size_t n = 0;
  // Their name in the events of others: every hand queue they were in (the
  // rooms' windows are rewritten by the rooms; this reaches the older pages).
  for (auto const& r : store_->rooms()) {
    for (auto& row : store_->events(r.room, r.epoch, 0, SIZE_MAX)) {
      if (row.type == "hands" && protocol::blank_participant_name(row.payload, author))
        store_->replace_payload(row.room, row.epoch, row.seq, std::move(row.payload));
    }
  }
  for (auto& row : store_->events_by_author(author)) {
    if (row.type != "message" && row.type != "insight") {
      // Their presence: the id stays (it pairs `joined` with `left`), the name goes.
      if (protocol::blank_participant_name(row.payload, author))
        store_->replace_payload(row.room, row.epoch, row.seq, std::move(row.payload));
      continue;
    }
    history_entry e;
    e.seq = row.seq;
    e.type = row.type;
    e.item = row.item;
    store_->replace_payload(row.room, row.epoch, row.seq,
                            room::tombstone_json(row.room, row.epoch, e));
    ++n;
  }
  blank_commands(author, names);
  return n;
}

void durable_log::blank_commands(std::string const& author, std::set<std::string> const& names) {
  // Their commands: a replay must not bring their texts back, nor may the file
  // keep them. The rooms took a snapshot at the erasure, so none is replayed.
  for (auto& row : store_->commands_by_author(author)) {
    auto c = command_from_json(row.command);
    if (!c) continue;
    blank_sender(*c);
    store_->replace_command(std::move(row.room), row.epoch, row.lsn, command_json(*c));
  }
  store_->flush();  // the pass below reads these commands again
  // Their name in others' commands (a chair's move by name, a round_present).
  // The snapshots at the erasure deleted the commands before it; these came
  // while the erasure went from room to room.
  auto const theirs = [&](std::string const& id, std::string const& name) {
    return id == author || names.count(name) != 0;
  };
  for (auto const& r : store_->rooms()) {
    for (auto& row : store_->commands(r.room, r.epoch, 0)) {
      auto c = command_from_json(row.command);
      if (c && blank_named(*c, theirs))
        store_->replace_command(std::move(row.room), row.epoch, row.lsn, command_json(*c));
    }
  }
}

std::vector<table_config> durable_log::created_tables() {
  std::vector<std::pair<std::uint64_t, table_config>> found;
  simdjson::dom::parser parser;
  for (auto const& [key, value] : store_->meta_prefix("table:")) {
    auto t = table_from_json(value);
    if (!t) continue;
    simdjson::dom::element e;
    std::uint64_t order = 0;
    if (parser.parse(value).get(e) || e["order"].get(order)) order = 0;
    found.emplace_back(order, std::move(*t));
  }
  std::sort(found.begin(), found.end(),
            [](auto const& a, auto const& b) { return a.first < b.first; });
  std::vector<table_config> out;
  for (auto& [o, t] : found) out.push_back(std::move(t));
  return out;
}

void durable_log::table_created(table_config const& t, std::size_t order) {
  store_->put_meta("table:" + t.id, table_json(t, ",\"order\":" + std::to_string(order)));
}

}  // namespace roundtable
