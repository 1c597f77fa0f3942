// Tests for the durable store against real SQLite files in a temp folder:
// ordering and read-back, reopening, coalescing, the read queries' boundaries,
// a process killed without shutdown, backpressure, a writer that hits a lock,
// a snapshot pruning the commands it stands in for, and constructor errors. The [.bench] test
// prints the commit throughput.
#include "engine/store/sqlite_store.hpp"

#include "tests/support/process.hpp"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

using roundtable::store::command_row;
using roundtable::store::event_row;
using roundtable::store::room_row;
using roundtable::store::sqlite_store;
using namespace std::chrono_literals;

namespace {

sqlite_store::options options_in(roundtable::test::temp_dir const& dir,
                                 std::chrono::milliseconds interval = 20ms) {
  sqlite_store::options o;
  o.path = dir.path() + "/data/roundtable.db";  // the folder does not exist yet
  o.flush_interval = interval;
  return o;
}

event_row make_event(std::string room, std::uint64_t epoch, std::uint64_t seq,
                     std::string author = "p1") {
  event_row e;
  e.room = std::move(room);
  e.epoch = epoch;
  e.seq = seq;
  e.type = "message";
  e.item = "m" + std::to_string(seq);
  e.author = std::move(author);
  e.payload = R"({"type":"message","seq":)" + std::to_string(seq) + "}";
  e.ts = 1700000000000 + static_cast<std::int64_t>(seq);
  return e;
}

std::vector<std::uint64_t> seqs(std::vector<event_row> const& rows) {
  std::vector<std::uint64_t> out;
  for (auto const& r : rows) out.push_back(r.seq);
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (auto i = first; i <= last; ++i) out.push_back(i);
  return out;
}

}  // namespace

TEST_CASE("events written then flushed read back in seq order with every field", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store store(options_in(dir));
  // Queued out of order: reads must order by seq, not by insertion.
  for (std::uint64_t seq : {3, 1, 2}) store.append_event(make_event("r1", 1, seq));
  store.flush();

  auto const rows = store.events("r1", 1, 0, 100);
  REQUIRE(seqs(rows) == std::vector<std::uint64_t>{1, 2, 3});
  auto const expected = make_event("r1", 1, 2);
  CHECK(rows[1].room == expected.room);
  CHECK(rows[1].epoch == 1);
  CHECK(rows[1].type == expected.type);
  CHECK(rows[1].item == expected.item);
  CHECK(rows[1].author == expected.author);
  CHECK(rows[1].payload == expected.payload);
  CHECK(rows[1].ts == expected.ts);
  auto const s = store.statistics();
  CHECK(s.rows == 3);
  CHECK(s.commits >= 1);
  CHECK(s.failures == 0);
}

TEST_CASE("a store reopened on the same file sees everything the first one queued", "[store]") {
  roundtable::test::temp_dir dir;
  // A long interval: only the destructor's final commit can have saved these.
  auto const o = options_in(dir, 60s);
  {
    sqlite_store store(o);
    for (std::uint64_t seq = 1; seq <= 50; ++seq) store.append_event(make_event("r1", 2, seq));
    store.put_room(room_row{"r1", 2, 50, R"({"title":"hello"})"});
    store.put_meta("config:version", "7");
    store.replace_payload("r1", 2, 10, R"({"deleted":true})");
  }
  sqlite_store again(o);
  CHECK(seqs(again.events("r1", 2, 0, 1000)) == range(1, 50));
  auto const rooms = again.rooms();
  REQUIRE(rooms.size() == 1);
  CHECK(rooms[0].room == "r1");
  CHECK(rooms[0].epoch == 2);
  CHECK(rooms[0].seq == 50);
  CHECK(rooms[0].state == R"({"title":"hello"})");
  CHECK(again.meta("config:version") == "7");
  CHECK(again.events("r1", 2, 9, 1)[0].payload == R"({"deleted":true})");
}

TEST_CASE("replace_payload rewrites one event and leaves the others", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store store(options_in(dir));
  for (std::uint64_t seq = 1; seq <= 3; ++seq) store.append_event(make_event("r1", 1, seq));
  store.flush();
  store.replace_payload("r1", 1, 2, R"({"type":"message","deleted":true})");
  store.replace_payload("r1", 1, 99, "ignored");  // no such event: no effect, no error
  store.flush();

  auto const rows = store.events("r1", 1, 0, 10);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].payload == make_event("r1", 1, 1).payload);
  CHECK(rows[1].payload == R"({"type":"message","deleted":true})");
  CHECK(rows[1].author == "p1");
  CHECK(rows[2].payload == make_event("r1", 1, 3).payload);
  CHECK(store.statistics().failures == 0);

  // Appended and replaced in the same batch: the order of the queue holds.
  store.append_event(make_event("r1", 1, 4));
  store.replace_payload("r1", 1, 4, "{}");
  store.flush();
  CHECK(store.events("r1", 1, 3, 1).at(0).payload == "{}");
}

TEST_CASE("several puts of one room in a batch keep the last", "[store]") {
  roundtable::test::temp_dir dir;
  // Nothing commits on its own within the test, so all puts share one batch.
  sqlite_store store(options_in(dir, 60s));
  store.put_room(room_row{"a", 1, 1, "first"});
  store.put_room(room_row{"b", 1, 5, "only"});
  store.put_room(room_row{"a", 1, 2, "second"});
  store.put_room(room_row{"a", 2, 0, "last"});
  store.flush();

  auto const rooms = store.rooms();
  REQUIRE(rooms.size() == 2);
  CHECK(rooms[0].room == "a");
  CHECK(rooms[0].epoch == 2);
  CHECK(rooms[0].seq == 0);
  CHECK(rooms[0].state == "last");
  CHECK(rooms[1].room == "b");
  CHECK(rooms[1].state == "only");
  CHECK(store.statistics().rows == 2);  // coalesced: a's earlier puts never reached the disk

  // A later batch overwrites the committed row.
  store.put_room(room_row{"a", 3, 9, "later"});
  store.flush();
  CHECK(store.rooms().at(0).state == "later");
}

TEST_CASE("events after_seq and limit, and last_events, at their boundaries", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store store(options_in(dir));
  for (std::uint64_t seq = 1; seq <= 10; ++seq) store.append_event(make_event("a", 1, seq));
  // Neighbours that must never leak into room a, epoch 1.
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    store.append_event(make_event("a", 2, seq));
    store.append_event(make_event("b", 1, seq));
    store.append_event(make_event("aa", 1, seq));
  }
  store.flush();

  CHECK(seqs(store.events("a", 1, 0, 100)) == range(1, 10));
  CHECK(seqs(store.events("a", 1, 3, 4)) == range(4, 7));
  CHECK(seqs(store.events("a", 1, 9, 5)) == std::vector<std::uint64_t>{10});
  CHECK(store.events("a", 1, 10, 5).empty());
  CHECK(store.events("a", 1, 0, 0).empty());
  CHECK(seqs(store.events("a", 1, 0, static_cast<std::size_t>(-1))) == range(1, 10));
  CHECK(seqs(store.events("a", 2, 0, 100)) == range(1, 3));
  CHECK(store.events("nope", 1, 0, 100).empty());

  CHECK(seqs(store.last_events("a", 1, 3)) == range(8, 10));
  CHECK(seqs(store.last_events("a", 1, 1)) == std::vector<std::uint64_t>{10});
  CHECK(seqs(store.last_events("a", 1, 10)) == range(1, 10));
  CHECK(seqs(store.last_events("a", 1, 100)) == range(1, 10));
  CHECK(store.last_events("a", 1, 0).empty());
  CHECK(seqs(store.last_events("b", 1, 2)) == range(2, 3));
  CHECK(store.last_events("a", 3, 5).empty());
}

TEST_CASE("events_by_author finds one participant's events across rooms", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store store(options_in(dir));
  store.append_event(make_event("r2", 1, 1, "alice"));
  store.append_event(make_event("r1", 1, 1, "bob"));
  store.append_event(make_event("r1", 1, 2, "alice"));
  store.append_event(make_event("r1", 1, 3, ""));
  store.append_event(make_event("r1", 0, 7, "alice"));
  store.flush();

  auto const mine = store.events_by_author("alice");
  REQUIRE(mine.size() == 3);
  CHECK((mine[0].room == "r1" && mine[0].epoch == 0 && mine[0].seq == 7));
  CHECK((mine[1].room == "r1" && mine[1].epoch == 1 && mine[1].seq == 2));
  CHECK((mine[2].room == "r2" && mine[2].seq == 1));
  CHECK(store.events_by_author("bob").size() == 1);
  CHECK(store.events_by_author("carol").empty());
}

TEST_CASE("meta values: put, overwrite, erase, prefix", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store store(options_in(dir));
  store.put_meta("token:b", "2");
  store.put_meta("token:a", "1");
  store.put_meta("tokenx", "no");
  store.put_meta("tok", "no");
  store.put_meta("user:1", "u");
  store.put_meta("token:c", "3");
  store.put_meta("token:a", "1bis");
  store.erase_meta("token:c");
  store.erase_meta("never-there");
  store.flush();

  CHECK(store.meta("token:a") == "1bis");
  CHECK(store.meta("token:c") == std::nullopt);
  CHECK(store.meta("missing") == std::nullopt);
  using kv = std::vector<std::pair<std::string, std::string>>;
  CHECK(store.meta_prefix("token:") == kv{{"token:a", "1bis"}, {"token:b", "2"}});
  CHECK(store.meta_prefix("user:") == kv{{"user:1", "u"}});
  CHECK(store.meta_prefix("zzz").empty());
  CHECK(store.meta_prefix("").size() == 5);
}

TEST_CASE("a process killed after the flush window loses nothing", "[store]") {
  roundtable::test::temp_dir dir;
  auto const o = options_in(dir);  // 20 ms interval
  pid_t const pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      auto* store = new sqlite_store(o);  // never destroyed: no shutdown commit
      for (std::uint64_t seq = 1; seq <= 1000; ++seq) store->append_event(make_event("r", 1, seq));
      std::this_thread::sleep_for(200ms);
      ::_exit(0);  // like kill -9: no destructors, no atexit
    } catch (...) {
      ::_exit(1);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  sqlite_store store(o);
  CHECK(seqs(store.events("r", 1, 0, 5000)) == range(1, 1000));
}

TEST_CASE("producers beyond max_queue wait and lose nothing", "[store]") {
  roundtable::test::temp_dir dir;
  auto o = options_in(dir);
  o.max_queue = 16;
  o.flush_batch = 8;
  sqlite_store store(o);

  constexpr int producers = 8;
  constexpr std::uint64_t per_producer = 2000;
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&store, p] {
      auto const room = "room" + std::to_string(p);
      for (std::uint64_t seq = 1; seq <= per_producer; ++seq)
        store.append_event(make_event(room, 1, seq));
    });
  for (auto& t : threads) t.join();
  store.flush();

  for (int p = 0; p < producers; ++p)
    CHECK(seqs(store.events("room" + std::to_string(p), 1, 0, 1'000'000)) ==
          range(1, per_producer));
  auto const s = store.statistics();
  CHECK(s.rows == producers * per_producer);
  CHECK(s.queued_max <= 16);
}

TEST_CASE("a commit refused by a lock is retried and nothing is lost", "[store]") {
  roundtable::test::temp_dir dir;
  auto o = options_in(dir);
  o.busy_timeout = 50ms;
  sqlite_store store(o);

  // Another connection holds the write lock, as an outside tool could.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(o.path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);

  for (std::uint64_t seq = 1; seq <= 10; ++seq) store.append_event(make_event("r", 1, seq));
  // Wait (not a timing assertion: the deadline is only a guard) for a failure.
  auto const deadline = std::chrono::steady_clock::now() + 20s;
  while (store.statistics().failures == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  REQUIRE(store.statistics().failures >= 1);
  CHECK(store.events("r", 1, 0, 100).empty());
  store.append_event(make_event("r", 1, 11));  // queued while the batch waits for its retry

  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  store.flush();
  CHECK(seqs(store.events("r", 1, 0, 100)) == range(1, 11));
}

TEST_CASE("a store that cannot open its file throws with the reason", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store::options o;

  SECTION("a file where the folder should be") {
    std::ofstream(dir.path() + "/plain-file") << "x";
    o.path = dir.path() + "/plain-file/roundtable.db";
    REQUIRE_THROWS_WITH(sqlite_store(o),
                        Catch::Contains("plain-file") && Catch::Contains("Not a directory"));
  }
  SECTION("a folder where the file should be") {
    o.path = dir.path();
    REQUIRE_THROWS_WITH(sqlite_store(o), Catch::Contains("unable to open database file"));
  }
  SECTION("a file that is not a database") {
    o.path = dir.path() + "/garbage.db";
    std::ofstream(o.path) << std::string(4096, 'g');
    REQUIRE_THROWS_WITH(sqlite_store(o), Catch::Contains("file is not a database"));
  }
  SECTION("a schema newer than this code") {
    o.path = dir.path() + "/future.db";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(o.path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    REQUIRE_THROWS_WITH(sqlite_store(o), Catch::Contains("schema version 99"));
  }
}

TEST_CASE("throughput of 200,000 appends", "[.bench]") {
  roundtable::test::temp_dir dir;
  sqlite_store store(options_in(dir));  // the defaults the server runs with
  constexpr std::uint64_t n = 200'000;
  std::string const payload(180, 'x');  // about the size of a short message event
  auto const start = std::chrono::steady_clock::now();
  for (std::uint64_t seq = 1; seq <= n; ++seq) {
    auto e = make_event("room" + std::to_string(seq % 50), 1, seq);
    e.payload = payload;
    store.append_event(std::move(e));
  }
  store.flush();
  auto const secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto const s = store.statistics();
  REQUIRE(s.rows == n);
  std::cout << "store bench: " << n << " appends committed in " << secs
            << " s = " << static_cast<std::uint64_t>(static_cast<double>(n) / secs) << " rows/s, "
            << s.commits << " commits, queued_max " << s.queued_max << "\n";
}

TEST_CASE("move_epoch moves one room's events, payloads and row to a new epoch", "[store]") {
  roundtable::test::temp_dir dir;
  sqlite_store s(options_in(dir));
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    auto e = make_event("a", 10, seq);
    // The epoch key, then a text that quotes one (escaped, as the writer does).
    e.payload = R"({"type":"message","seq":)" + std::to_string(seq) +
                R"(,"epoch":10,"text":"say \"epoch\":10,"})";
    s.append_event(e);
  }
  s.append_event(make_event("b", 10, 1));
  s.put_room(room_row{"a", 10, 3, "{}"});
  s.put_room(room_row{"b", 10, 1, "{}"});
  s.move_epoch("a", 10, 77);
  s.flush();
  CHECK(s.last_events("a", 10, 10).empty());
  auto const moved = s.last_events("a", 77, 10);
  CHECK(seqs(moved) == range(1, 3));
  for (auto const& e : moved) {
    CHECK(e.epoch == 77);
    CHECK(e.payload == R"({"type":"message","seq":)" + std::to_string(e.seq) +
                           R"(,"epoch":77,"text":"say \"epoch\":10,"})");
  }
  CHECK(seqs(s.last_events("b", 10, 10)) == range(1, 1));  // another room stays
  auto const rooms = s.rooms();
  REQUIRE(rooms.size() == 2);
  CHECK(rooms[0].epoch == 77);
  CHECK(rooms[1].epoch == 10);
}

TEST_CASE("commands: appended, read after an lsn, by author, replaced, moved with the epoch",
          "[store][commands]") {
  roundtable::test::temp_dir dir;
  sqlite_store s(options_in(dir));
  for (std::uint64_t lsn = 1; lsn <= 5; ++lsn)
    s.append_command(command_row{"a", 10, lsn, lsn % 2 ? "ann" : "bob", "c" + std::to_string(lsn)});
  s.append_command(command_row{"b", 10, 1, "ann", "other room"});
  s.put_room(room_row{"a", 10, 4, "snapshot", 3});
  s.replace_command("a", 10, 5, "blanked");
  s.flush();
  auto const after = s.commands("a", 10, 3);
  REQUIRE(after.size() == 2);
  CHECK(after[0].lsn == 4);
  CHECK(after[0].author == "bob");
  CHECK(after[1].command == "blanked");
  CHECK(s.commands("a", 10, 0).size() == 2);  // the snapshot at 3 stands in for 1 to 3
  auto const by_ann = s.commands_by_author("ann");
  REQUIRE(by_ann.size() == 2);  // a 5, b 1: by room, then lsn
  CHECK(by_ann[0].room == "a");
  CHECK(by_ann[1].room == "b");
  CHECK(s.rooms().at(0).lsn == 3);
  s.move_epoch("a", 10, 77);
  s.flush();
  CHECK(s.commands("a", 10, 0).empty());
  CHECK(s.commands("a", 77, 0).size() == 2);
  CHECK(s.commands("b", 10, 0).size() == 1);
  CHECK(s.rooms().at(0).lsn == 3);
}

TEST_CASE("a snapshot deletes its room's commands up to its lsn and of other epochs",
          "[store][commands]") {
  roundtable::test::temp_dir dir;
  sqlite_store s(options_in(dir));
  for (std::uint64_t lsn = 1; lsn <= 3; ++lsn)
    s.append_command(command_row{"a", 9, lsn, "", "old"});
  for (std::uint64_t lsn = 1; lsn <= 6; ++lsn) {
    s.append_command(command_row{"a", 10, lsn, "", "c" + std::to_string(lsn)});
    s.append_command(command_row{"b", 10, lsn, "", "b"});
  }
  // Written alone or coalesced with the first, the later put prunes up to its lsn.
  s.put_room(room_row{"a", 10, 2, "at 2", 2});
  s.put_room(room_row{"a", 10, 4, "at 4", 4});
  s.flush();
  auto const left = s.commands("a", 10, 0);
  REQUIRE(left.size() == 2);
  CHECK(left[0].lsn == 5);
  CHECK(left[1].command == "c6");
  CHECK(s.commands("a", 9, 0).empty());
  CHECK(s.commands("b", 10, 0).size() == 6);  // another room's log stays whole
  // A snapshot at the log's end leaves the room no command at all.
  s.put_room(room_row{"b", 10, 6, "at 6", 6});
  s.flush();
  CHECK(s.commands("b", 10, 0).empty());
  CHECK(s.commands("a", 10, 0).size() == 2);
}

TEST_CASE("a schema-1 or schema-2 file is upgraded: its rows keep their states, lsn and window 0",
          "[store][schema]") {
  // Each older version's rooms table as it was created, with one row.
  std::string const v1 =
      "CREATE TABLE rooms(room TEXT PRIMARY KEY NOT NULL, epoch INTEGER NOT NULL, seq INTEGER "
      "NOT NULL, state TEXT NOT NULL);"
      "INSERT INTO rooms VALUES('t1', 5, 9, '{\"topic\":\"old\"}');";
  std::string const v2 =
      "CREATE TABLE rooms(room TEXT PRIMARY KEY NOT NULL, epoch INTEGER NOT NULL, seq INTEGER "
      "NOT NULL, state TEXT NOT NULL, lsn INTEGER NOT NULL DEFAULT 0);"
      "INSERT INTO rooms VALUES('t1', 5, 9, '{\"topic\":\"old\"}', 0);";
  for (auto const& [version, sql] : {std::pair{1, v1}, std::pair{2, v2}}) {
    CAPTURE(version);
    roundtable::test::temp_dir dir;
    auto const o = options_in(dir);
    std::filesystem::create_directories(dir.path() + "/data");
    {
      sqlite3* db = nullptr;
      REQUIRE(sqlite3_open(o.path.c_str(), &db) == SQLITE_OK);
      auto const create = sql + "PRAGMA user_version=" + std::to_string(version) + ";";
      REQUIRE(sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
      sqlite3_close(db);
    }
    {
      sqlite_store s(o);
      auto const rooms = s.rooms();
      REQUIRE(rooms.size() == 1);
      CHECK(rooms[0].state == R"({"topic":"old"})");
      CHECK(rooms[0].seq == 9);
      CHECK(rooms[0].lsn == 0);
      CHECK(rooms[0].window == 0);
      s.append_command(command_row{"t1", 5, 1, "ann", "c1"});
      s.append_command(command_row{"t1", 5, 2, "ann", "c2"});
      s.put_room(room_row{"t1", 5, 10, "new", 1, 7});
    }
    sqlite_store again(o);  // schema 3 now: opens as it is
    CHECK(again.commands("t1", 5, 0).size() == 1);
    CHECK(again.rooms().at(0).lsn == 1);
    CHECK(again.rooms().at(0).window == 7);
    CHECK(again.rooms().at(0).state == "new");
  }
}

TEST_CASE("statistics count the bytes each commit wrote", "[store][commands]") {
  roundtable::test::temp_dir dir;
  sqlite_store s(options_in(dir));
  s.append_command(command_row{"a", 1, 1, "ann", std::string(1000, 'x')});
  s.flush();
  auto const one = s.statistics().bytes;
  CHECK(one >= 1000);
  CHECK(one < 1100);
  s.put_room(room_row{"a", 1, 1, std::string(5000, 'y'), 1});
  s.flush();
  CHECK(s.statistics().bytes - one >= 5000);
  CHECK(s.statistics().commits == 2);
}
