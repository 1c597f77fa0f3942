// The durable store: an embedded SQLite database (WAL mode) that the in-memory
// engine writes each room's log to (the commands, the events they yielded) and,
// now and then, a room's snapshot; it reads them back at start. Writes are
// queued by any thread without touching the disk; one writer thread owns the
// write connection and commits the queue in batches, one transaction per
// batch. Reads go through a second connection, so they never wait for the
// writer's transaction.
//
// Durability: a change is on disk once the batch holding it commits, which
// happens at most `flush_interval` after it was queued (sooner when
// `flush_batch` changes are waiting). If the process dies (kill -9, a crash),
// the changes queued in the last `flush_interval` or so are lost; everything
// committed before survives. The database runs with synchronous=NORMAL: a
// power loss or OS crash may in addition lose the transactions committed since
// the last WAL checkpoint, but never corrupts the file. `flush()` closes the
// window on demand; the destructor commits everything queued.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roundtable::store {

// One room event as clients saw it.
struct event_row {
  std::string room;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::string type;     // "message", "insight", ...
  std::string item;     // the message or insight id it concerns, may be empty
  std::string author;   // participant id, may be empty; indexed for erasure
  std::string payload;  // the serialized JSON event
  std::int64_t ts = 0;  // ms since the Unix epoch
};

// A room's snapshot: its state after the command at `lsn`.
struct room_row {
  std::string room;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::string state;      // JSON written and read by the domain
  std::uint64_t lsn = 0;  // 0 in a schema-1 store, whose rows are no snapshots of a log
  // The room's history window (--history) when the snapshot was taken: the
  // commands after it are replayed with it. 0: not known (schema 1 and 2).
  std::uint64_t window = 0;
};

// One command of a room's log, in the log's text form (domain/room_command.hpp).
struct command_row {
  std::string room;
  std::uint64_t epoch = 0;
  std::uint64_t lsn = 0;
  std::string author;   // the participant who sent it, may be empty; for erasure
  std::string command;  // the log's text form
};

// Sequence numbers and epochs are stored as SQLite integers (signed 64-bit):
// values above INT64_MAX would sort wrongly, which no real room reaches.
class sqlite_store {
 public:
  struct options {
    std::string path;  // the database file; its folder is created if missing
    // Commit at least this often: the loss window on a crash.
    std::chrono::milliseconds flush_interval{20};
    // Or as soon as this many changes wait. A batch is everything queued when
    // the writer takes it, so when the writer falls behind one transaction may
    // hold up to max_queue changes: that is how it catches up.
    std::size_t flush_batch = 1000;
    // Producers wait when the writer is this far behind: never drop what a
    // user said, but never let memory grow without bound either.
    std::size_t max_queue = 100000;
    // How long a statement waits for a lock held by another connection (an
    // outside tool, a checkpoint) before the commit counts as failed and the
    // batch is retried.
    std::chrono::milliseconds busy_timeout{5000};
  };

  struct stats {
    std::uint64_t commits = 0;     // transactions committed
    std::uint64_t rows = 0;        // statements committed (coalesced room puts count once)
    std::uint64_t queued_max = 0;  // the longest the queue has been
    std::uint64_t failures = 0;    // commits that failed and were retried
    std::uint64_t bytes = 0;       // text and keys bound into committed statements
    std::uint64_t reads = 0;       // queries on the read connection (any thread)
  };

  // Creates the folder, the file and the schema; WAL mode, synchronous=NORMAL.
  // A schema-1 file (rooms as whole states, no commands) or a schema-2 file
  // (no window sizes) is upgraded in place.
  // Throws std::runtime_error with the file system's or SQLite's message (for
  // instance a file where the folder should be, or a file that is not a
  // database, or a schema newer than this code).
  explicit sqlite_store(options o);
  // Commits everything queued and stops the writer. If the disk refuses the
  // final commit for about five seconds it logs how many changes were lost and
  // returns rather than hang the shutdown.
  ~sqlite_store();
  sqlite_store(sqlite_store const&) = delete;
  sqlite_store& operator=(sqlite_store const&) = delete;

  // Writes: thread-safe; they only queue the change, and block only while
  // `max_queue` changes are already waiting. Changes commit in the order they
  // were queued. A failed commit (disk full, a lock) is logged once per
  // distinct error and retried with the same changes; nothing is dropped.
  void append_event(event_row e);
  // Replaces the payload of one event (deletion, erasure); no-op if absent.
  void replace_payload(std::string room, std::uint64_t epoch, std::uint64_t seq,
                       std::string payload);
  // Upsert. Several puts of one room in a batch are written as the last one.
  // In the same transaction, the room's commands that the snapshot stands in
  // for go: those of its epoch up to its lsn, and those of any other epoch.
  void put_room(room_row r);
  void append_command(command_row c);
  // Replaces the text of one command (erasure); no-op if absent.
  void replace_command(std::string room, std::uint64_t epoch, std::uint64_t lsn,
                       std::string command);
  // Moves every event of `room` in epoch `from` (payloads included), its
  // commands and its room row to epoch `to`: after an unclean stop, the
  // history that survived goes on under an epoch no client holds.
  void move_epoch(std::string room, std::uint64_t from, std::uint64_t to);
  void put_meta(std::string key, std::string value);
  void erase_meta(std::string key);
  // Blocks until everything queued before the call is committed (while the
  // disk keeps failing, that is until it recovers).
  void flush();
  // Flushes, then copies the WAL into the database file and truncates it, so
  // rewritten text (erasure) survives in no old page image.
  void checkpoint();

  // Reads: thread-safe; they see what has been committed, not what is queued.
  std::vector<room_row> rooms();  // ordered by room id
  // Events of one room and epoch with seq > after_seq, in seq order, at most `limit`.
  std::vector<event_row> events(std::string_view room, std::uint64_t epoch, std::uint64_t after_seq,
                                std::size_t limit);
  // The newest `n` events of one room and epoch, returned in seq order.
  std::vector<event_row> last_events(std::string_view room, std::uint64_t epoch, std::size_t n);
  // Every event of one type in one room and epoch, in seq order.
  std::vector<event_row> events_of_type(std::string_view room, std::uint64_t epoch,
                                        std::string_view type);
  // Every event by one author, ordered by room, epoch, seq.
  std::vector<event_row> events_by_author(std::string_view author);
  // Commands of one room and epoch with lsn > after_lsn, in log order.
  std::vector<command_row> commands(std::string_view room, std::uint64_t epoch,
                                    std::uint64_t after_lsn);
  // Every command by one author, ordered by room, epoch, lsn.
  std::vector<command_row> commands_by_author(std::string_view author);
  std::optional<std::string> meta(std::string_view key);
  // Every (key, value) whose key starts with `prefix`, ordered by key.
  std::vector<std::pair<std::string, std::string>> meta_prefix(std::string_view prefix);

  stats statistics() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace roundtable::store
