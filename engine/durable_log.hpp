// The memory engine's durability: every event and state change of every room
// goes to the SQLite store (server/store), batched by the
// store's writer thread; at start the rooms come back from it with their
// epochs, history windows and state, so clients that resume after a restart
// get `recovered: true` for what is still in the window.
//
// The node delivers an op's events only once the store has committed them
// (node::publish), so kill -9 loses nothing anyone saw; a power loss may still
// undo the last commits (synchronous=NORMAL) after clients saw them. Their seqs must not
// be issued again for other events in the same epoch, or a client holding
// one would resume with `recovered: true` and keep an event the server no
// longer has. So the log leaves a marker file when it closes cleanly and
// removes it when it opens; opened without the marker, it moves every room's
// surviving history to a new epoch: the seqs carry on, and clients that held
// the old epoch take a fresh snapshot.
#pragma once

#include "domain/room.hpp"
#include "engine/store/sqlite_store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace roundtable {

class durable_log final : public room_observer {
 public:
  // Opens (or creates) `dir`/roundtable.db; after an unclean stop, moves
  // every room to an epoch from `new_epoch`. Throws std::runtime_error.
  durable_log(std::string const& dir, std::uint64_t (*new_epoch)());
  // Commits what is queued, then marks the stop as clean.
  ~durable_log() override;
  durable_log(durable_log const&) = delete;
  durable_log& operator=(durable_log const&) = delete;

  // False when the previous run did not close the log (rooms got new epochs).
  bool clean_start() const noexcept { return clean_start_; }

  void on_event(std::string const& room, std::uint64_t epoch, history_entry const& e) override;
  void on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) override;
  void on_state(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                std::string const& state_json) override;
  bool keeps_events() const noexcept override { return true; }

  // What the store holds of a room, for restore; nullopt for a new room.
  struct saved_room {
    std::uint64_t epoch = 0, seq = 0;
    std::string state;
    std::vector<history_entry> history;
    std::vector<buffer> reports, broadcasts;  // the plenary's, whole
  };
  std::optional<saved_room> load(std::string const& room, std::size_t window);
  // Tables opened at run time, in creation order.
  std::vector<table_config> created_tables();
  void table_created(table_config const& t, std::size_t order);

  // Rewrites every stored message and insight event of `author` as a
  // tombstone, beyond the windows in memory; returns how many. Blocking (disk).
  std::size_t erase_author(std::string const& author);

  store::sqlite_store& db() noexcept { return *store_; }

 private:
  std::string clean_marker_;
  bool clean_start_ = false;
  std::unique_ptr<store::sqlite_store> store_;
  std::map<std::string, store::room_row> rooms_;  // as loaded at start
};

}  // namespace roundtable
