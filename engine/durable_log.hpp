// The memory engine's durability: each room's log goes to the SQLite store
// (engine/store), batched by the store's writer thread: every command applied,
// in the log's text form, and the events it yielded (the history window for
// resume, the archive, the report); the room's whole state only as a snapshot
// now and then (snapshot_due), at each start and after an erasure. A room
// comes back as its latest snapshot with the commands after it replayed in a
// scratch room (rooms are deterministic), its history window read from the
// events: the same state, seq, epoch and window as before the stop. A
// snapshot deletes the commands it stands in for (the store does, in its
// transaction), so the log on disk is at most the commands since the last one.
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

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
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

  bool on_command(std::string const& room, std::uint64_t epoch, std::uint64_t lsn,
                  std::uint64_t snapshot_lsn, room_command const& c) override;
  void on_event(std::string const& room, std::uint64_t epoch, history_entry const& e) override;
  void on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) override;
  void on_snapshot(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                   std::uint64_t lsn, std::size_t window, std::string const& snapshot) override;
  bool keeps_events() const noexcept override { return true; }

  // A snapshot after the command at `lsn`, the last one being at
  // `snapshot_lsn`: after first_snapshot_after commands, then once the
  // commands since it are a sixteenth of the log. A snapshot grows with the
  // log at most, so its bytes per command stay flat, and so does the share of
  // the log a load replays.
  static constexpr std::uint64_t first_snapshot_after = 256;
  static bool snapshot_due(std::uint64_t lsn, std::uint64_t snapshot_lsn) noexcept;

  // The epoch the store holds for `room`; nullopt for a new room.
  std::optional<std::uint64_t> epoch_of(std::string const& room) const;
  // Loads `r`, made with epoch_of's epoch and `setup` run on it: the latest
  // snapshot and the commands after it replayed in a scratch room made the
  // same way with the window stored with the snapshot (`window` for a store
  // that has none), so that a delete or hide is decided as it was; then the
  // history window (`window` events, from now on) from the stored events,
  // the plenary's reports and broadcasts whole. False for a new room. Throws
  // std::runtime_error naming the room for an unreadable snapshot or command,
  // or a position missing from the log.
  bool restore(room& r, std::function<void(room&)> const& setup, std::size_t window);
  // Tables opened at run time, in creation order.
  std::vector<table_config> created_tables();
  void table_created(table_config const& t, std::size_t order);

  // The display names `author` went by in the stored events (their latest
  // included: it flushes first). An erasure reads them before the rooms'
  // erase commands, which blank them in the events the rooms rewrite.
  // Blocking (disk), off the rooms' threads.
  std::set<std::string> erasure_names(std::string const& author);
  // Rewrites every stored message and insight event of `author` as a
  // tombstone, beyond the windows in memory, blanks their commands
  // (blank_sender) and their `names` (from erasure_names) in others'
  // (blank_named); returns how many events. Blocking (disk).
  std::size_t erase_author(std::string const& author, std::set<std::string> const& names);

  store::sqlite_store& db() noexcept { return *store_; }

 private:
  // What the replay of `row`'s log gives: state (the durable form), seq and
  // lsn; nullopt for a schema-1 row, a whole state with no log after it.
  struct replayed {
    std::string state;
    std::uint64_t seq = 0, lsn = 0;
  };
  std::optional<replayed> replay(store::room_row const& row, room const& like,
                                 std::function<void(room&)> const& setup, std::size_t window);
  std::vector<history_entry> history(std::string const& room, std::uint64_t epoch,
                                     std::size_t window);
  // The plenary's events of `type` (reports, broadcasts) up to `max_seq`.
  std::vector<buffer> list_of(std::string const& room, std::uint64_t epoch, std::string_view type,
                              std::uint64_t max_seq);

  void blank_commands(std::string const& author, std::set<std::string> const& names);

  std::string clean_marker_;
  bool clean_start_ = false;
  std::unique_ptr<store::sqlite_store> store_;
  std::map<std::string, store::room_row> rooms_;  // as loaded at start
};

}  // namespace roundtable
