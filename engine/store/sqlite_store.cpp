// The durable store's implementation: the write queue, the writer thread that
// commits it in batches through prepared statements, and the read connection.
// Everything SQLite-specific stays in this file.
#include "engine/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <variant>

namespace roundtable::store {

namespace {

// 1: events, rooms (whole states), meta. 2: adds the commands and each
// room's snapshot lsn. 3: adds each room's history window (window_size).
constexpr int schema_version = 3;

constexpr char const* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS events(
  room TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL,
  type TEXT NOT NULL, item TEXT NOT NULL, author TEXT NOT NULL,
  payload TEXT NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY(room, epoch, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_author ON events(author);
CREATE TABLE IF NOT EXISTS rooms(
  room TEXT PRIMARY KEY NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL,
  state TEXT NOT NULL, lsn INTEGER NOT NULL DEFAULT 0,
  window_size INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands(
  room TEXT NOT NULL, epoch INTEGER NOT NULL, lsn INTEGER NOT NULL,
  author TEXT NOT NULL, command TEXT NOT NULL,
  PRIMARY KEY(room, epoch, lsn)) WITHOUT ROWID;
)sql";

// Schema 1's rooms table has no lsn, schema 2's no window_size; the CREATE
// above leaves an existing table as it is.
constexpr char const* upgrade_from_1_sql =
    "ALTER TABLE rooms ADD COLUMN lsn INTEGER NOT NULL DEFAULT 0;";
constexpr char const* upgrade_from_2_sql =
    "ALTER TABLE rooms ADD COLUMN window_size INTEGER NOT NULL DEFAULT 0;";

// When the shutdown commit keeps failing, give up after this many attempts
// (about five seconds with the backoff below) instead of hanging the exit.
constexpr int shutdown_attempts = 10;
constexpr std::chrono::milliseconds max_backoff{1000};

struct db_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

struct stmt_finalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

std::runtime_error sqlite_error(sqlite3* db, std::string_view what) {
  return std::runtime_error("roundtable store: " + std::string(what) + ": " +
                            (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, char const* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw sqlite_error(db, sql);
}

db_ptr open_db(std::string const& path, int flags, std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  int const rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_ptr db(raw);
  if (rc != SQLITE_OK) throw sqlite_error(db.get(), "cannot open '" + path + "'");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_timeout.count()));
  return db;
}

// A prepared statement that is reset (and its bindings released) after each use.
class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, nullptr) != SQLITE_OK)
      throw sqlite_error(db, "prepare " + std::string(sql));
    stmt_.reset(raw);
  }

  // Binds by position, starting at 1. Text is bound without a copy: the caller
  // keeps it alive until `done()`.
  void bind(int i, std::string_view s) {
    check(sqlite3_bind_text(stmt_.get(), i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC));
  }
  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_.get(), i, v)); }
  void bind(int i, std::uint64_t v) { bind(i, static_cast<std::int64_t>(v)); }

  // Steps once; true while a row is available.
  bool step() {
    int const rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw sqlite_error(db_, "step");
  }
  void run() {
    while (step()) {
    }
  }
  // Binds `args` from position 1 on, runs once, and resets however it ends.
  template <class... A>
  void run_with(A const&... args) {
    struct reset {
      statement& s;
      ~reset() { s.done(); }
    } const r{*this};
    int i = 0;
    (bind(++i, args), ...);
    run();
  }
  void done() noexcept {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
  }

  std::string text(int col) const {
    auto const* p = reinterpret_cast<char const*>(sqlite3_column_text(stmt_.get(), col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col)))
             : std::string();
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  std::uint64_t uint64(int col) const { return static_cast<std::uint64_t>(int64(col)); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw sqlite_error(db_, "bind");
  }
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, stmt_finalizer> stmt_;
};

// Resets the statement however the scope is left, so a failed read or write
// never leaves it holding a read transaction open.
struct reset_on_exit {
  statement& s;
  ~reset_on_exit() { s.done(); }
};

struct replace_change {
  std::string room;
  std::uint64_t epoch;
  std::uint64_t seq;
  std::string payload;
};
struct meta_change {
  std::string key;
  std::optional<std::string> value;  // nullopt erases
};
struct epoch_change {
  std::string room;
  std::uint64_t from;
  std::uint64_t to;
};
struct command_text_change {
  std::string room;
  std::uint64_t epoch;
  std::uint64_t lsn;
  std::string command;
};
using change = std::variant<event_row, replace_change, room_row, meta_change, epoch_change,
                            command_row, command_text_change>;

constexpr char const* event_columns = "room, epoch, seq, type, item, author, payload, ts";

event_row read_event(statement const& s) {
  event_row e;
  e.room = s.text(0);
  e.epoch = s.uint64(1);
  e.seq = s.uint64(2);
  e.type = s.text(3);
  e.item = s.text(4);
  e.author = s.text(5);
  e.payload = s.text(6);
  e.ts = s.int64(7);
  return e;
}

command_row read_command(statement const& s) {
  return command_row{s.text(0), s.uint64(1), s.uint64(2), s.text(3), s.text(4)};
}

std::int64_t clamp_limit(std::size_t n) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(n, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

struct sqlite_store::impl {
  options opts;

  // --- the queue, shared by producers and the writer (guarded by mu) ---
  std::mutex mu;
  std::condition_variable writer_cv;  // work for the writer
  std::condition_variable space_cv;   // room in the queue for producers
  std::condition_variable done_cv;    // a commit finished (for flush)
  std::vector<change> queue;
  std::chrono::steady_clock::time_point first_queued;  // when `queue` became non-empty
  std::uint64_t queued_total = 0;                      // changes ever queued
  std::uint64_t committed_total = 0;  // of those, committed (or abandoned at shutdown)
  std::uint64_t flush_target = 0;     // a flush() waits for committed_total >= this
  bool stopping = false;
  bool writer_gone = false;

  // --- statistics, read from any thread ---
  std::atomic<std::uint64_t> commits{0}, rows{0}, queued_max{0}, failures{0}, bytes{0}, reads{0};
  std::uint64_t batch_bytes = 0;  // of the batch being written (writer thread)

  // --- the write connection and its statements (writer thread only after start) ---
  db_ptr write_db;
  statement insert_event, update_payload, upsert_room, upsert_meta, delete_meta;
  statement move_events, move_room, move_commands, insert_command, update_command, prune_commands;
  std::unordered_map<std::string_view, std::size_t> last_put;  // reused per batch
  std::set<std::string> logged_errors;

  // --- the read connection (guarded by read_mu) ---
  std::mutex read_mu;
  // Holds the read connection for one query, counted.
  std::unique_lock<std::mutex> reading() {
    reads.fetch_add(1, std::memory_order_relaxed);
    return std::unique_lock(read_mu);
  }
  db_ptr read_db;
  statement select_rooms, select_events, select_last, select_type, select_author, select_meta,
      select_meta_from, select_commands, select_commands_author;

  std::thread writer;

  explicit impl(options o) : opts(std::move(o)) {
    assert(opts.flush_batch > 0 && opts.max_queue > 0);
    open_writer();
    open_reader();
    writer = std::thread([this] { run_writer(); });
  }

  void open_writer() {
    auto const folder = std::filesystem::path(opts.path).parent_path();
    if (!folder.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(folder, ec);
      if (ec)
        throw std::runtime_error("roundtable store: cannot create folder '" + folder.string() +
                                 "': " + ec.message());
    }
    write_db = open_db(opts.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, opts.busy_timeout);
    sqlite3* db = write_db.get();

    // The first statement that reads the file: a non-database fails here.
    statement version(db, "PRAGMA user_version");
    int found = 0;
    {
      reset_on_exit r{version};
      if (version.step()) found = static_cast<int>(version.int64(0));
    }
    if (found > schema_version)
      throw std::runtime_error("roundtable store: '" + opts.path + "' has schema version " +
                               std::to_string(found) + ", newer than this server's " +
                               std::to_string(schema_version));

    statement wal(db, "PRAGMA journal_mode=WAL");
    {
      reset_on_exit r{wal};
      if (!wal.step() || wal.text(0) != "wal")
        throw std::runtime_error("roundtable store: '" + opts.path + "' cannot use WAL mode");
    }
    exec(db, "PRAGMA synchronous=NORMAL");
    // Erasure must not leave old text in freed pages.
    exec(db, "PRAGMA secure_delete=ON");
    exec(db, "BEGIN IMMEDIATE");
    try {
      if (found == 1) exec(db, upgrade_from_1_sql);
      if (found == 1 || found == 2) exec(db, upgrade_from_2_sql);
      exec(db, schema_sql);
      exec(db, ("PRAGMA user_version=" + std::to_string(schema_version)).c_str());
      exec(db, "COMMIT");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }

    insert_event = statement(
        db,
        "INSERT OR REPLACE INTO events(room, epoch, seq, type, item, author, payload, ts) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    update_payload =
        statement(db, "UPDATE events SET payload = ?4 WHERE room = ?1 AND epoch = ?2 AND seq = ?3");
    upsert_room =
        statement(db,
                  "INSERT OR REPLACE INTO rooms(room, epoch, seq, state, lsn, window_size) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    insert_command = statement(db,
                               "INSERT OR REPLACE INTO commands(room, epoch, lsn, author, command) "
                               "VALUES(?1, ?2, ?3, ?4, ?5)");
    update_command = statement(
        db, "UPDATE commands SET command = ?4 WHERE room = ?1 AND epoch = ?2 AND lsn = ?3");
    move_commands = statement(db, "UPDATE commands SET epoch = ?3 WHERE room = ?1 AND epoch = ?2");
    // A room is loaded from its latest snapshot and the commands of its epoch
    // after it: nothing reads the others again.
    prune_commands =
        statement(db, "DELETE FROM commands WHERE room = ?1 AND (epoch <> ?2 OR lsn <= ?3)");
    upsert_meta = statement(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    delete_meta = statement(db, "DELETE FROM meta WHERE key = ?1");
    // The payloads are JSON written by one writer: `"epoch":N` followed by
    // `,` or `}` appears only as the key (a quote inside a text is escaped).
    move_events = statement(
        db,
        "UPDATE events SET epoch = ?3, payload = replace(replace(payload, "
        "'\"epoch\":' || ?2 || ',', '\"epoch\":' || ?3 || ','), "
        "'\"epoch\":' || ?2 || '}', '\"epoch\":' || ?3 || '}') WHERE room = ?1 AND epoch = ?2");
    move_room = statement(db, "UPDATE rooms SET epoch = ?3 WHERE room = ?1 AND epoch = ?2");
  }

  void open_reader() {
    read_db = open_db(opts.path, SQLITE_OPEN_READONLY, opts.busy_timeout);
    sqlite3* db = read_db.get();
    std::string const cols = event_columns;
    select_rooms =
        statement(db, "SELECT room, epoch, seq, state, lsn, window_size FROM rooms ORDER BY room");
    select_commands = statement(db,
                                "SELECT room, epoch, lsn, author, command FROM commands "
                                "WHERE room = ?1 AND epoch = ?2 AND lsn > ?3 ORDER BY lsn");
    // No index on the author: every commit would write one more page, for
    // an erasure that is rare, off the event loop, and may scan the log.
    select_commands_author = statement(db,
                                       "SELECT room, epoch, lsn, author, command FROM commands "
                                       "WHERE author = ?1 ORDER BY room, epoch, lsn");
    select_events = statement(db, "SELECT " + cols +
                                      " FROM events WHERE room = ?1 AND epoch = ?2 AND seq > ?3 "
                                      "ORDER BY seq LIMIT ?4");
    select_last = statement(db, "SELECT " + cols +
                                    " FROM events WHERE room = ?1 AND epoch = ?2 "
                                    "ORDER BY seq DESC LIMIT ?3");
    select_type = statement(db, "SELECT " + cols +
                                    " FROM events WHERE room = ?1 AND epoch = ?2 AND type = ?3 "
                                    "ORDER BY seq");
    select_author = statement(
        db, "SELECT " + cols + " FROM events WHERE author = ?1 ORDER BY room, epoch, seq");
    select_meta = statement(db, "SELECT value FROM meta WHERE key = ?1");
    select_meta_from = statement(db, "SELECT key, value FROM meta WHERE key >= ?1 ORDER BY key");
  }

  void push(change c) {
    std::unique_lock lock(mu);
    space_cv.wait(lock, [&] { return queue.size() < opts.max_queue; });
    queue.push_back(std::move(c));
    ++queued_total;
    auto const n = queue.size();
    if (n > queued_max.load(std::memory_order_relaxed))
      queued_max.store(n, std::memory_order_relaxed);
    // Wake the writer only when it has something new to decide: a timer to
    // start, or a full batch.
    if (n == 1) {
      first_queued = std::chrono::steady_clock::now();
      writer_cv.notify_one();
    } else if (n == opts.flush_batch) {
      writer_cv.notify_one();
    }
  }

  void flush() {
    std::unique_lock lock(mu);
    auto const target = queued_total;
    if (committed_total >= target) return;
    flush_target = std::max(flush_target, target);
    writer_cv.notify_one();
    done_cv.wait(lock, [&] { return committed_total >= target || writer_gone; });
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    writer_cv.notify_one();
    writer.join();
  }

  // The writer: wait until a batch is due, take the whole queue, commit it.
  // A batch that fails to commit is kept and retried (with whatever was queued
  // meanwhile appended, so order is preserved) after a growing backoff.
  void run_writer() {
    std::vector<change> batch;
    auto backoff = opts.flush_interval;
    std::chrono::steady_clock::time_point retry_at;
    int failed_in_a_row = 0;

    std::unique_lock lock(mu);
    for (;;) {
      bool const retrying = !batch.empty();
      auto const due = [&] {
        if (retrying) return false;  // only the backoff timer ends a retry wait
        if (stopping || flush_target > committed_total) return true;
        return queue.size() >= opts.flush_batch;
      };
      while (!due()) {
        if (!retrying && queue.empty()) {
          writer_cv.wait(lock);
          continue;
        }
        auto const deadline = retrying ? retry_at : first_queued + opts.flush_interval;
        if (std::chrono::steady_clock::now() >= deadline) break;
        writer_cv.wait_until(lock, deadline);
      }
      if (stopping && queue.empty() && batch.empty()) break;

      if (batch.empty()) {
        batch.swap(queue);  // the old batch's capacity becomes the new queue's
      } else {
        std::move(queue.begin(), queue.end(), std::back_inserter(batch));
        queue.clear();
      }
      auto const taken = queued_total;
      space_cv.notify_all();
      lock.unlock();

      bool const ok = commit(batch);

      lock.lock();
      if (ok) {
        if (failed_in_a_row > 0)
          std::cerr << "roundtable store: commit succeeded again after failures: "
                    << failed_in_a_row << "\n";
        batch.clear();
        committed_total = taken;
        failed_in_a_row = 0;
        backoff = opts.flush_interval;
        done_cv.notify_all();
        continue;
      }
      ++failed_in_a_row;
      if (stopping && failed_in_a_row >= shutdown_attempts) {
        std::cerr << "roundtable store: giving up at shutdown; " << batch.size() + queue.size()
                  << " changes were not saved\n";
        break;
      }
      retry_at = std::chrono::steady_clock::now() + backoff;
      backoff = std::min(backoff * 2, max_backoff);
    }
    writer_gone = true;
    done_cv.notify_all();
  }

  // One transaction for the whole batch. Returns false (after rolling back
  // and logging) if SQLite refused it.
  bool commit(std::vector<change> const& batch) {
    sqlite3* db = write_db.get();
    try {
      // Only the last put of a room in the batch reaches the disk.
      last_put.clear();
      for (std::size_t i = 0; i < batch.size(); ++i)
        if (auto const* r = std::get_if<room_row>(&batch[i])) last_put[r->room] = i;

      exec(db, "BEGIN IMMEDIATE");
      std::uint64_t written = 0;
      batch_bytes = 0;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (auto const* r = std::get_if<room_row>(&batch[i]); r && last_put[r->room] != i) continue;
        std::visit([&](auto const& c) { write(c); }, batch[i]);
        ++written;
      }
      exec(db, "COMMIT");
      commits.fetch_add(1, std::memory_order_relaxed);
      rows.fetch_add(written, std::memory_order_relaxed);
      bytes.fetch_add(batch_bytes, std::memory_order_relaxed);
      return true;
    } catch (std::exception const& e) {
      if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      failures.fetch_add(1, std::memory_order_relaxed);
      if (logged_errors.insert(e.what()).second)
        std::cerr << e.what() << " (the batch of " << batch.size()
                  << " changes is kept and retried)\n";
      return false;
    }
  }

  void write(event_row const& e) {
    batch_bytes += e.room.size() + e.type.size() + e.item.size() + e.author.size() +
                   e.payload.size() + 3 * sizeof(std::int64_t);
    insert_event.run_with(e.room, e.epoch, e.seq, e.type, e.item, e.author, e.payload, e.ts);
  }
  void write(replace_change const& c) {
    batch_bytes += c.room.size() + c.payload.size() + 2 * sizeof(std::int64_t);
    update_payload.run_with(c.room, c.epoch, c.seq, c.payload);
  }
  void write(room_row const& c) {
    batch_bytes += c.room.size() + c.state.size() + 4 * sizeof(std::int64_t);
    upsert_room.run_with(c.room, c.epoch, c.seq, c.state, c.lsn, c.window);
    prune_commands.run_with(c.room, c.epoch, c.lsn);
  }
  void write(command_row const& c) {
    batch_bytes += c.room.size() + c.author.size() + c.command.size() + 2 * sizeof(std::int64_t);
    insert_command.run_with(c.room, c.epoch, c.lsn, c.author, c.command);
  }
  void write(command_text_change const& c) {
    batch_bytes += c.room.size() + c.command.size() + 2 * sizeof(std::int64_t);
    update_command.run_with(c.room, c.epoch, c.lsn, c.command);
  }
  void write(epoch_change const& c) {
    for (auto* s : {&move_events, &move_room, &move_commands}) s->run_with(c.room, c.from, c.to);
  }
  void write(meta_change const& c) {
    auto& s = c.value ? upsert_meta : delete_meta;
    reset_on_exit r{s};
    s.bind(1, c.key);
    if (c.value) s.bind(2, *c.value);
    s.run();
  }
};

sqlite_store::sqlite_store(options o) : impl_(std::make_unique<impl>(std::move(o))) {}

sqlite_store::~sqlite_store() {
  impl_->stop();
}

void sqlite_store::append_event(event_row e) {
  impl_->push(std::move(e));
}

void sqlite_store::replace_payload(std::string room, std::uint64_t epoch, std::uint64_t seq,
                                   std::string payload) {
  impl_->push(replace_change{std::move(room), epoch, seq, std::move(payload)});
}

void sqlite_store::put_room(room_row r) {
  impl_->push(std::move(r));
}

void sqlite_store::append_command(command_row c) {
  impl_->push(std::move(c));
}

void sqlite_store::replace_command(std::string room, std::uint64_t epoch, std::uint64_t lsn,
                                   std::string command) {
  impl_->push(command_text_change{std::move(room), epoch, lsn, std::move(command)});
}

void sqlite_store::move_epoch(std::string room, std::uint64_t from, std::uint64_t to) {
  impl_->push(epoch_change{std::move(room), from, to});
}

void sqlite_store::put_meta(std::string key, std::string value) {
  impl_->push(meta_change{std::move(key), std::move(value)});
}

void sqlite_store::erase_meta(std::string key) {
  impl_->push(meta_change{std::move(key), std::nullopt});
}

void sqlite_store::flush() {
  impl_->flush();
}

void sqlite_store::checkpoint() {
  impl_->flush();
  // A connection of its own: the writer's belongs to the writer thread.
  auto db = open_db(impl_->opts.path, SQLITE_OPEN_READWRITE, impl_->opts.busy_timeout);
  exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
}

std::vector<room_row> sqlite_store::rooms() {
  auto const lock = impl_->reading();
  auto& s = impl_->select_rooms;
  reset_on_exit r{s};
  std::vector<room_row> out;
  while (s.step())
    out.push_back(
        room_row{s.text(0), s.uint64(1), s.uint64(2), s.text(3), s.uint64(4), s.uint64(5)});
  return out;
}

std::vector<event_row> sqlite_store::events(std::string_view room, std::uint64_t epoch,
                                            std::uint64_t after_seq, std::size_t limit) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_events;
  reset_on_exit r{s};
  s.bind(1, room);
  s.bind(2, epoch);
  s.bind(3, after_seq);
  s.bind(4, clamp_limit(limit));
  std::vector<event_row> out;
  while (s.step()) out.push_back(read_event(s));
  return out;
}

std::vector<event_row> sqlite_store::events_of_type(std::string_view room, std::uint64_t epoch,
                                                    std::string_view type) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_type;
  reset_on_exit r{s};
  s.bind(1, room);
  s.bind(2, epoch);
  s.bind(3, type);
  std::vector<event_row> out;
  while (s.step()) out.push_back(read_event(s));
  return out;
}

std::vector<event_row> sqlite_store::last_events(std::string_view room, std::uint64_t epoch,
                                                 std::size_t n) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_last;
  reset_on_exit r{s};
  s.bind(1, room);
  s.bind(2, epoch);
  s.bind(3, clamp_limit(n));
  std::vector<event_row> out;
  while (s.step()) out.push_back(read_event(s));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<event_row> sqlite_store::events_by_author(std::string_view author) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_author;
  reset_on_exit r{s};
  s.bind(1, author);
  std::vector<event_row> out;
  while (s.step()) out.push_back(read_event(s));
  return out;
}

std::vector<command_row> sqlite_store::commands(std::string_view room, std::uint64_t epoch,
                                                std::uint64_t after_lsn) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_commands;
  reset_on_exit r{s};
  s.bind(1, room);
  s.bind(2, epoch);
  s.bind(3, after_lsn);
  std::vector<command_row> out;
  while (s.step()) out.push_back(read_command(s));
  return out;
}

std::vector<command_row> sqlite_store::commands_by_author(std::string_view author) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_commands_author;
  reset_on_exit r{s};
  s.bind(1, author);
  std::vector<command_row> out;
  while (s.step()) out.push_back(read_command(s));
  return out;
}

std::optional<std::string> sqlite_store::meta(std::string_view key) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_meta;
  reset_on_exit r{s};
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::vector<std::pair<std::string, std::string>> sqlite_store::meta_prefix(
    std::string_view prefix) {
  auto const lock = impl_->reading();
  auto& s = impl_->select_meta_from;
  reset_on_exit r{s};
  s.bind(1, prefix);
  // Keys compare bytewise, so the matches are the run starting at `prefix`.
  std::vector<std::pair<std::string, std::string>> out;
  while (s.step()) {
    auto key = s.text(0);
    if (!key.starts_with(prefix)) break;
    out.emplace_back(std::move(key), s.text(1));
  }
  return out;
}

sqlite_store::stats sqlite_store::statistics() const {
  return {impl_->commits.load(std::memory_order_relaxed),
          impl_->rows.load(std::memory_order_relaxed),
          impl_->queued_max.load(std::memory_order_relaxed),
          impl_->failures.load(std::memory_order_relaxed),
          impl_->bytes.load(std::memory_order_relaxed),
          impl_->reads.load(std::memory_order_relaxed)};
}

}  // namespace roundtable::store
