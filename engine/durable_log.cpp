// Room events and state to SQLite, and back at start.
#include "engine/durable_log.hpp"

#include "server/config.hpp"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

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

void durable_log::on_event(std::string const& room, std::uint64_t epoch, history_entry const& e) {
  store_->append_event(
      store::event_row{room, epoch, e.seq, e.type, e.item, e.author, *e.json, e.ts});
}

void durable_log::on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) {
  store_->replace_payload(room, epoch, e.seq, *e.json);
}

void durable_log::on_state(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                           std::string const& state_json) {
  store_->put_room(store::room_row{room, epoch, seq, state_json});
}

std::optional<durable_log::saved_room> durable_log::load(std::string const& room,
                                                         std::size_t window) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  saved_room s;
  s.epoch = it->second.epoch;
  s.seq = it->second.seq;
  s.state = it->second.state;
  for (auto& row : store_->last_events(room, s.epoch, window)) {
    history_entry e;
    e.seq = row.seq;
    e.type = std::move(row.type);
    e.item = std::move(row.item);
    e.author = std::move(row.author);
    e.ts = row.ts;
    // Deletion rewrote the payload as the tombstone of this very entry.
    e.deleted = (e.type == "message" || e.type == "insight") &&
                row.payload == roundtable::room::tombstone_json(room, s.epoch, e);
    e.json = std::make_shared<std::string const>(std::move(row.payload));
    s.history.push_back(std::move(e));
  }
  auto all_of = [&](std::string_view type) {
    std::vector<buffer> out;
    for (auto& row : store_->events_of_type(room, s.epoch, type))
      out.push_back(std::make_shared<std::string const>(std::move(row.payload)));
    return out;
  };
  if (room == room::plenary_id) {
    s.reports = all_of("report");
    s.broadcasts = all_of("broadcast");
  }
  // Messages change no state, so the room row's seq can lag the events.
  if (!s.history.empty()) s.seq = std::max(s.seq, s.history.back().seq);
  return s;
}

std::size_t durable_log::erase_author(std::string const& author) {
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
  return n;
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
