// The memory engine: rooms' logs in process, with the SQLite store as their
// log and snapshots when there is a data dir.
#include "engine/memory_engine.hpp"

#include "engine/durable_log.hpp"

#include <stdexcept>

namespace roundtable {

memory_engine::memory_engine(engine_host& host, engine_settings const& s)
    : host_(host), history_(s.history), data_dir_(s.data_dir) {
  if (s.data_dir.empty()) return;
  try {
    store_ = std::make_unique<durable_log>(s.data_dir, &new_epoch);
  } catch (std::exception const& e) {
    throw bad_data_dir(e);
  }
}

std::invalid_argument memory_engine::bad_data_dir(std::exception const& e) const {
  return std::invalid_argument("--data-dir " + data_dir_ + ": " + e.what());
}

// Here, where durable_log is complete.
memory_engine::~memory_engine() = default;

void memory_engine::submit(room& r, room_command c) {
  host_.deliver(r, r.epoch(), r.log_position() + 1, c);
}

engine::made_room memory_engine::make_room(table_config const& cfg,
                                           std::function<void(room&)> const& setup) {
  auto const saved = store_ ? store_->epoch_of(cfg.id) : std::nullopt;
  auto r = std::make_unique<room>(cfg, saved.value_or(new_epoch()), history_, store_.get(), this);
  setup(*r);
  // What the room said and decided before the restart wins over the config.
  bool restored = false;
  try {
    restored = store_ && store_->restore(*r, setup, history_);
  } catch (std::exception const& e) {
    throw bad_data_dir(e);  // a start error like a bad flag's: the file is damaged
  }
  // Each start begins with a snapshot: the connections seated in the log
  // before it are gone, and the next load replays only what follows.
  r->save_snapshot();
  return {std::move(r), restored};
}

void memory_engine::table_created(table_config const& t, std::size_t order) {
  if (store_) store_->table_created(t, order);
}

std::vector<table_config> memory_engine::created_tables() {
  return store_ ? store_->created_tables() : std::vector<table_config>{};
}

void memory_engine::flush() {
  if (store_) store_->db().flush();
}

std::vector<std::string> memory_engine::archive(std::string const& room, std::uint64_t epoch) {
  std::vector<std::string> out;
  if (!store_) return out;
  auto& db = store_->db();
  db.flush();
  for (auto& row : db.events(room, epoch, 0, SIZE_MAX)) {
    bool const gone = row.payload.find("\"deleted\":true") != std::string::npos &&
                      (row.type == "message" || row.type == "insight");
    if (!gone) out.push_back(std::move(row.payload));
  }
  return out;
}

std::set<std::string> memory_engine::erasure_names(std::string const& author) {
  return store_ ? store_->erasure_names(author) : std::set<std::string>{};
}

std::size_t memory_engine::erase_author(std::string const& author,
                                        std::set<std::string> const& names) {
  if (!store_) return 0;
  auto const n = store_->erase_author(author, names);
  store_->db().checkpoint();
  return n;
}

std::vector<engine_gauge> memory_engine::gauges() const {
  if (!store_) return {};
  auto const s = store_->db().statistics();
  return {{"store_commits_total", "Transactions the durable store committed.", s.commits, true},
          {"store_rows_total", "Rows the durable store wrote.", s.rows, true},
          {"store_bytes_written_total",
           "Bytes of text and keys the durable store wrote (commands, events, snapshots).", s.bytes,
           true}};
}

std::string memory_engine::demo_secret(std::string candidate) {
  // Kept with the data, so that the printed tokens stay valid across a restart.
  if (!store_) return candidate;
  if (auto saved = store_->db().meta("demo_secret")) return *saved;
  store_->db().put_meta("demo_secret", candidate);
  return candidate;
}

}  // namespace roundtable
