// The memory engine: one process holds every room, and a room's log is the
// room itself: a command takes the next position at once, on the room's home
// thread, and is applied there. With a data dir, its durable store
// (engine/durable_log.hpp, SQLite) is the log and the snapshots: every command
// and event is written, the state now and then, an op's events go out only
// once written (the node's flush before each delivery), and at start each room
// comes back with its epoch, history window and state. Without a data dir it
// keeps nothing.
#pragma once

#include "engine/engine.hpp"

#include <memory>
#include <set>
#include <stdexcept>
#include <string>

namespace roundtable {

class durable_log;

class memory_engine final : public engine {
 public:
  // Opens the store under s.data_dir when given; throws std::invalid_argument
  // when it cannot (make_room too, for a room whose stored log is damaged).
  memory_engine(engine_host& host, engine_settings const& s);
  ~memory_engine() override;

  // sequencer: the next position of the room's log, applied at once; item ids
  // are the log's ("m<seq>"), given at apply.
  void submit(room& r, room_command c) override;
  std::string const& node_id() const noexcept override { return node_id_; }
  bool stamps_ids() const noexcept override { return false; }

  made_room make_room(table_config const& cfg, std::function<void(room&)> const& setup) override;
  void table_created(table_config const& t, std::size_t order) override;
  std::vector<table_config> created_tables() override;
  void flush() override;
  bool stores_archive() const noexcept override { return store_ != nullptr; }
  std::vector<std::string> archive(std::string const& room, std::uint64_t epoch) override;
  std::set<std::string> erasure_names(std::string const& author) override;
  std::size_t erase_author(std::string const& author, std::set<std::string> const& names) override;
  std::string demo_secret(std::string candidate) override;
  // With a data dir: the store's commits, rows and bytes written.
  std::vector<engine_gauge> gauges() const override;

 private:
  // What the store threw, as a start error that names the option.
  std::invalid_argument bad_data_dir(std::exception const& e) const;

  engine_host& host_;
  std::size_t history_;
  std::string data_dir_;
  std::string node_id_ = "local";
  std::unique_ptr<durable_log> store_;  // with a data dir
};

}  // namespace roundtable
