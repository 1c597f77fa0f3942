// Tests for the memory engine's durable log (engine/durable_log.hpp) over real
// SQLite files: a room reloaded from its snapshot and the commands after it
// equals one that applied the same commands in memory (random sessions,
// stopped cleanly or left as kill -9 leaves the files); a long session's
// stored commands stay bounded; the bytes written per vote stay flat; a
// schema-1 store loads and goes on; an erasure blanks the stored commands
// (the person's own, and others' that name them) and its erase commands read
// nothing from the store; a changed --history takes over only after the replay.
#include "engine/durable_log.hpp"

#include "tests/support/process.hpp"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::size_t window = 50;

std::uint64_t next_epoch() {
  static std::uint64_t e = 1'000;
  return ++e;
}

// The reference: no store, but the lists left out of the state as the store's
// rooms leave them, so that the two states compare byte for byte.
struct event_keeper final : room_observer {
  bool on_command(std::string const&, std::uint64_t, std::uint64_t, std::uint64_t,
                  room_command const&) override {
    return false;
  }
  void on_event(std::string const&, std::uint64_t, history_entry const&) override {}
  void on_rewrite(std::string const&, std::uint64_t, history_entry const&) override {}
  void on_snapshot(std::string const&, std::uint64_t, std::uint64_t, std::uint64_t, std::size_t,
                   std::string const&) override {}
  bool keeps_events() const noexcept override { return true; }
};

table_config table_cfg() {
  return table_config{"t1", "Topic", "Mod", 4, true};
}
table_config plenary_cfg() {
  return table_config{std::string(room::plenary_id), "Plenary", "", 0, true};
}

participant person(int i) {
  if (i == 0) return participant{"chair", "Chair", role::chair, {}};
  if (i == 1) return participant{"mod", "Mod", role::moderator, "t1"};
  return participant{"p" + std::to_string(i), "P" + std::to_string(i), role::participant, {}};
}

// One random command of a session: mostly the ops of a table or the plenary,
// with ids that exist as often as not (a refused command is logged too).
room_command random_command(std::mt19937& rng, room const& r, std::int64_t ts) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int const who = pick(7);
  auto const seq = std::max<std::uint64_t>(r.seq(), 1);
  auto const msg = "m" + std::to_string(1 + rng() % seq);
  auto const ins = "i" + std::to_string(1 + pick(6));
  auto const text = "text " + std::to_string(rng() % 1000) + " \"quoted\"";
  command_op op;
  switch (pick(r.is_plenary() ? 8 : 16)) {
    case 0:
      op = cmd::say{{}, text, {}};
      break;
    case 1:
      op = cmd::poll{{}, "Q?", {"a", "b", "c"}, pick(2) == 0, pick(2) == 0};
      break;
    case 2:
      op = cmd::poll_vote{"q" + std::to_string(1 + pick(3)), {pick(3)}};
      break;
    case 3:
      op = cmd::poll_close{"q" + std::to_string(1 + pick(3))};
      break;
    case 4:
      op = cmd::react{msg, "👍"};
      break;
    case 5:
      op = r.is_plenary() ? command_op(cmd::broadcast{text}) : cmd::join{{}, "lobby"};
      break;
    case 6:
      op = r.is_plenary() ? command_op(cmd::phase{"phase " + text}) : cmd::leave{};
      break;
    case 7:
      op = cmd::del{msg};
      break;
    case 8:
      op = cmd::hand{pick(3) != 0};
      break;
    case 9:
      op = cmd::insight{{}, text, {}};
      break;
    case 10:
      op = cmd::vote{ins, pick(4) != 0};
      break;
    case 11:
      op = cmd::del_insight{ins};
      break;
    case 12:
      op = cmd::timer{pick(120)};
      break;
    case 13:
      op = cmd::summary{text, pick(3) == 0};
      break;
    case 14:
      op = cmd::hide{msg, pick(2) == 0};
      break;
    default:
      op = cmd::join{{"stakeholder", "expertise"}, "plenary"};
      break;
  }
  return room_command{{}, 0, "local:" + std::to_string(who), person(who), ts, std::move(op)};
}

// `"epoch":from` as a key moved to `to`, the store's rule after an unclean stop.
std::string moved(std::string s, std::uint64_t from, std::uint64_t to) {
  for (char const end : {',', '}'}) {
    auto const a = "\"epoch\":" + std::to_string(from) + end;
    auto const b = "\"epoch\":" + std::to_string(to) + end;
    for (auto at = s.find(a); at != std::string::npos; at = s.find(a, at + b.size()))
      s.replace(at, a.size(), b);
  }
  return s;
}

std::string joiner_snapshot(room const& r) {
  protocol::json_writer w;
  r.write_snapshot(w);
  return w.release();
}

// What a restart leaves of `ref`: its durable state and window, nobody seated.
std::unique_ptr<room> restarted(room const& ref, room_observer* keeps) {
  auto back = std::make_unique<room>(ref.config(), ref.epoch(), window, keeps);
  back->restore(ref.seq(), ref.state_json(),
                std::vector<history_entry>(ref.history().begin(), ref.history().end()),
                ref.log_position());
  back->restore_lists(ref.reports(), ref.broadcasts());
  return back;
}

void copy_files(std::string const& from, std::string const& to) {
  std::filesystem::create_directories(to);
  for (auto const* name : {"/roundtable.db", "/roundtable.db-wal"}) {
    if (std::filesystem::exists(from + name)) std::filesystem::copy_file(from + name, to + name);
  }
}

std::int64_t stored_commands(std::string const& dir) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir + "/roundtable.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM commands", -1, &st, nullptr);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  auto const n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

void check_same(room const& loaded, room const& ref, std::uint64_t epoch) {
  auto const from = ref.epoch();
  CHECK(loaded.epoch() == epoch);
  CHECK(loaded.seq() == ref.seq());
  CHECK(loaded.log_position() == ref.log_position());
  CHECK(loaded.state_json() == ref.state_json());
  CHECK(joiner_snapshot(loaded) == moved(joiner_snapshot(ref), from, epoch));
  REQUIRE(loaded.history().size() == ref.history().size());
  for (std::size_t i = 0; i < ref.history().size(); ++i) {
    auto const& a = loaded.history()[i];
    auto const& b = ref.history()[i];
    CHECK(a.seq == b.seq);
    CHECK(a.type == b.type);
    CHECK(a.item == b.item);
    CHECK(a.deleted == b.deleted);
    CHECK(*a.json == moved(*b.json, from, epoch));
  }
  REQUIRE(loaded.reports().size() == ref.reports().size());
  REQUIRE(loaded.broadcasts().size() == ref.broadcasts().size());
}

}  // namespace

TEST_CASE("a room reloaded from its snapshot and log equals one that applied the same commands",
          "[durable][log]") {
  event_keeper keeps;
  for (unsigned session = 0; session < 24; ++session) {
    CAPTURE(session);
    std::mt19937 rng(session);
    test::temp_dir dir;
    bool const killed = session % 2 == 1;
    auto const cfg = session % 4 == 2 ? plenary_cfg() : table_cfg();
    auto const epoch = next_epoch();
    room ref(cfg, epoch, window, &keeps);
    auto const commands = 40 + rng() % 900;
    {
      auto log = std::make_unique<durable_log>(dir.path(), &next_epoch);
      room live(cfg, epoch, window, log.get());
      live.save_snapshot();  // as the memory engine does at each start
      for (std::size_t i = 0; i < commands; ++i) {
        auto const c = random_command(rng, ref, t0 + static_cast<std::int64_t>(i) * 1000);
        auto const lsn = ref.log_position() + 1;
        live.apply(lsn, epoch, c);
        ref.apply(lsn, epoch, c);
      }
      REQUIRE(live.state_json() == ref.state_json());
      log->db().flush();  // what the node waits for before it delivers
      if (killed) {
        // The files as kill -9 leaves them: what was committed, no clean marker.
        copy_files(dir.path(), dir.path() + "/killed");
      }
    }
    auto const from = killed ? dir.path() + "/killed" : dir.path();
    durable_log back(from, &next_epoch);
    CHECK(back.clean_start() == !killed);
    auto const stored = back.epoch_of(cfg.id);
    REQUIRE(stored);
    CHECK((*stored == epoch) == !killed);
    room loaded(cfg, *stored, window, &back);
    REQUIRE(back.restore(
        loaded, [](room&) {}, window));
    auto const expected = restarted(ref, &keeps);
    check_same(loaded, *expected, *stored);
  }
}

TEST_CASE("a long session's stored commands stay bounded, and it reloads as it was",
          "[durable][log]") {
  event_keeper keeps;
  test::temp_dir dir;
  std::mt19937 rng(5000);
  auto const epoch = next_epoch();
  room ref(table_cfg(), epoch, window, &keeps);
  std::int64_t most = 0;
  {
    durable_log log(dir.path(), &next_epoch);
    room live(table_cfg(), epoch, window, &log);
    live.save_snapshot();
    for (std::int64_t i = 1; i <= 5000; ++i) {
      auto const c = random_command(rng, ref, t0 + i * 1000);
      live.apply(ref.log_position() + 1, epoch, c);
      ref.apply(ref.log_position() + 1, epoch, c);
      if (i % 100 == 0) {
        log.db().flush();
        most = std::max(most, stored_commands(dir.path()));
      }
    }
  }
  std::cout << "commands stored after 5,000: at most " << most << " rows\n";
  // Pruned at each snapshot: at most the commands since the last one, a
  // sixteenth of the log (313 at 5,000) or the first 256.
  CHECK(most <= 5000 / 16 + 1);
  durable_log back(dir.path(), &next_epoch);
  room loaded(table_cfg(), epoch, window, &back);
  REQUIRE(back.restore(
      loaded, [](room&) {}, window));
  check_same(loaded, *restarted(ref, &keeps), epoch);
}

TEST_CASE("bytes written per vote stay flat as the votes grow", "[durable][log][bytes]") {
  test::temp_dir dir;
  durable_log log(dir.path(), &next_epoch);
  auto const epoch = next_epoch();
  auto cfg = table_cfg();
  cfg.capacity = 0;
  room r(cfg, epoch, 1000, &log);
  r.save_snapshot();
  std::int64_t ts = t0;
  auto apply = [&](participant const& who, command_op op) {
    r.apply(r.log_position() + 1, epoch,
            room_command{{}, 0, "local:" + who.id, who, ++ts, std::move(op)});
    log.db().flush();  // one commit per op, as the node makes
    return log.db().statistics().bytes;
  };
  constexpr int voters = 1000;
  for (int i = 2; i < voters + 2; ++i) apply(person(i), cmd::join{{}, "lobby"});
  apply(person(2), cmd::insight{{}, "the key insight", {}});
  std::vector<std::uint64_t> per_vote;
  auto before = log.db().statistics().bytes;
  for (int i = 2; i < voters + 2; ++i) {
    auto const after = apply(person(i), cmd::vote{"i1", true});
    per_vote.push_back(after - before);
    before = after;
  }
  auto average_of = [](auto from, auto to) {
    std::uint64_t total = 0;
    for (auto it = from; it != to; ++it) total += *it;
    return total / static_cast<std::uint64_t>(to - from);
  };
  auto median = [](std::vector<std::uint64_t> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto const first = median({per_vote.begin(), per_vote.begin() + 10});
  auto const last = median({per_vote.end() - 10, per_vote.end()});
  auto const half = per_vote.begin() + voters / 2;
  auto const early = average_of(per_vote.begin(), half);
  auto const late = average_of(half, per_vote.end());
  std::cout << "bytes written per vote: vote 10 " << per_vote[9] << ", vote 1000 "
            << per_vote.back() << "; median of votes 1-10 " << first << ", of 991-1000 " << last
            << "; average (snapshots included) of votes 1-500 " << early << ", of 501-1000 " << late
            << "\n";
  // The hot path writes the command and its event, not the state.
  CHECK(last <= 2 * first);
  CHECK(last < 1024);
  // The snapshots, amortized, stay flat and a bounded share.
  CHECK(late <= 2 * early);
  CHECK(late < 4096);
}

TEST_CASE("a schema-1 store loads its rooms as they were and goes on as a log",
          "[durable][log][schema]") {
  test::temp_dir dir;
  auto const epoch = next_epoch();
  event_keeper keeps;
  room ref(table_cfg(), epoch, window, &keeps);
  std::mt19937 rng(7);
  for (int i = 0; i < 60; ++i)
    ref.apply(ref.log_position() + 1, epoch, random_command(rng, ref, t0 + i));
  {
    // Today's files before this change: rooms rows with whole states, no commands.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() + "/roundtable.db").c_str(), &db) == SQLITE_OK);
    std::string sql = R"sql(
      CREATE TABLE events(room TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL,
        type TEXT NOT NULL, item TEXT NOT NULL, author TEXT NOT NULL, payload TEXT NOT NULL,
        ts INTEGER NOT NULL, PRIMARY KEY(room, epoch, seq)) WITHOUT ROWID;
      CREATE TABLE rooms(room TEXT PRIMARY KEY NOT NULL, epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
      PRAGMA user_version=1;)sql";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO rooms VALUES('t1', ?1, ?2, ?3)", -1, &st, nullptr);
    auto const state = ref.state_json();
    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(epoch));
    sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(ref.seq()));
    sqlite3_bind_text(st, 3, state.c_str(), static_cast<int>(state.size()), SQLITE_STATIC);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::ofstream(dir.path() + "/clean-stop") << "clean\n";
  }
  // A schema-1 store kept no history window for this room (no events above).
  auto expected = std::make_unique<room>(table_cfg(), epoch, window, &keeps);
  expected->restore(ref.seq(), ref.state_json(), {});
  for (int run = 0; run < 2; ++run) {
    CAPTURE(run);
    if (run > 0) expected = restarted(*expected, &keeps);  // nobody stays seated
    durable_log log(dir.path(), &next_epoch);
    REQUIRE(log.epoch_of("t1") == epoch);
    room loaded(table_cfg(), epoch, window, &log);
    REQUIRE(log.restore(
        loaded, [](room&) {}, window));
    loaded.save_snapshot();
    CHECK(loaded.state_json() == expected->state_json());
    CHECK(loaded.seq() == expected->seq());
    CHECK(loaded.log_position() == expected->log_position());
    // The log goes on after the upgrade: the next run replays these.
    std::mt19937 more(11 + static_cast<unsigned>(run));
    for (int i = 0; i < 30; ++i) {
      auto const c = random_command(more, *expected, t0 + 1000 + i);
      auto const lsn = loaded.log_position() + 1;
      loaded.apply(lsn, epoch, c);
      expected->apply(lsn, epoch, c);
    }
    CHECK(loaded.state_json() == expected->state_json());
  }
}

TEST_CASE("an erasure blanks the erased person's commands and snapshots the room",
          "[durable][log][erase]") {
  test::temp_dir dir;
  auto const epoch = next_epoch();
  std::string const secret = "my very secret words";
  participant const ann{"ann", "Ann Secretname", role::participant, {}};
  std::uint64_t erase_lsn = 0;
  {
    durable_log log(dir.path(), &next_epoch);
    room r(table_cfg(), epoch, window, &log);
    r.save_snapshot();
    auto apply = [&](participant const& who, command_op op) {
      r.apply(r.log_position() + 1, epoch, room_command{{}, 0, "local:" + who.id, who, t0, op});
    };
    apply(ann, cmd::join{{"ngo", "privacy"}, "lobby"});
    apply(ann, cmd::say{{}, secret, {}});
    apply(ann, cmd::insight{{}, secret, {}});
    apply(person(1), cmd::join{{}, "lobby"});
    apply(person(1), cmd::say{{}, "kept", {}});
    auto const names = log.erasure_names("ann");
    apply(person(0), cmd::erase{"ann"});
    erase_lsn = r.log_position();
    log.erase_author("ann", names);
    apply(ann, cmd::leave{});  // their connection closes after the erasure
    log.db().flush();
    auto const rooms = log.db().rooms();
    REQUIRE(rooms.size() == 1);
    CHECK(rooms[0].lsn == erase_lsn);  // nothing before the erasure is replayed
    CHECK(rooms[0].state.find("Secretname") == std::string::npos);
    for (auto const& c : log.db().commands("t1", epoch, 0)) {
      CAPTURE(c.command);
      CHECK(c.command.find("secret") == std::string::npos);
      CHECK(c.command.find("Secretname") == std::string::npos);
      CHECK(c.command.find("privacy") == std::string::npos);
    }
    // The snapshot at the erasure stands in for every command before it.
    auto const left = log.db().commands("t1", epoch, 0);
    REQUIRE(left.size() == 1);
    CHECK(left[0].lsn == erase_lsn + 1);
  }
  durable_log back(dir.path(), &next_epoch);
  room loaded(table_cfg(), epoch, window, &back);
  REQUIRE(back.restore(
      loaded, [](room&) {}, window));
  CHECK(loaded.log_position() == erase_lsn + 1);
  CHECK(loaded.erased("ann"));
  CHECK(joiner_snapshot(loaded).find("secret") == std::string::npos);
}

TEST_CASE("an erasure blanks the person's name in others' commands that name them",
          "[durable][log][erase]") {
  event_keeper keeps;
  test::temp_dir dir;
  auto const epoch = next_epoch();
  participant const ann{"ann", "Ann Secretname", role::participant, {}};
  auto const chair = person(0);
  room ref(plenary_cfg(), epoch, window, &keeps);
  ref.set_known_tables({"t1"});
  {
    durable_log log(dir.path(), &next_epoch);
    room table(table_cfg(), epoch, window, &log);
    room plenary(plenary_cfg(), epoch, window, &log);
    plenary.set_known_tables({"t1"});
    table.save_snapshot();
    plenary.save_snapshot();
    std::int64_t ts = t0;
    auto on_table = [&](participant const& who, command_op op) {
      table.apply(table.log_position() + 1, epoch,
                  room_command{{}, 0, "local:" + who.id, who, ++ts, std::move(op)});
    };
    auto in_plenary = [&](participant const& who, command_op op) {
      room_command const c{{}, 0, "local:" + who.id, who, ++ts, std::move(op)};
      plenary.apply(plenary.log_position() + 1, epoch, c);
      ref.apply(ref.log_position() + 1, epoch, c);
    };
    on_table(ann, cmd::join{{}, "lobby"});  // her name in a presence event
    in_plenary(chair, cmd::rounds_start{2, 5, 1, 42});
    cmd::move const by_name{{}, ann.name, "t1", {}};
    cmd::round_present const present{1, {"ann", "p2"}, {ann.name, "P2"}};
    in_plenary(chair, by_name);
    in_plenary(participant{}, present);
    // Before any room erases her: the table's erase blanks her presence.
    auto const names = log.erasure_names("ann");
    in_plenary(chair, cmd::erase{"ann"});
    // The erasure goes from room to room; meanwhile the plenary logs more
    // that names her: the chair's move by name, another node's report.
    in_plenary(chair, by_name);
    in_plenary(participant{}, present);
    on_table(chair, cmd::erase{"ann"});
    log.erase_author("ann", names);
    in_plenary(participant{}, present);  // a report later still: logged without her name
    log.db().flush();
    REQUIRE(log.db().commands("plenary", epoch, 0).size() == 3);  // those after its erasure
    for (auto const& r : log.db().rooms()) {
      CAPTURE(r.room);
      CHECK(r.state.find("Secretname") == std::string::npos);
      for (auto const& c : log.db().commands(r.room, r.epoch, 0)) {
        CAPTURE(c.command);
        CHECK(c.command.find("Secretname") == std::string::npos);
      }
    }
  }
  durable_log back(dir.path(), &next_epoch);
  room loaded(plenary_cfg(), epoch, window, &back);
  REQUIRE(back.restore(
      loaded, [](room&) {}, window));
  check_same(loaded, *restarted(ref, &keeps), epoch);
}

TEST_CASE("an erase command reads nothing from the store: the rooms' threads never wait for it",
          "[durable][log][erase]") {
  test::temp_dir dir;
  auto const epoch = next_epoch();
  participant const ann{"ann", "Ann Secretname", role::participant, {}};
  durable_log log(dir.path(), &next_epoch);
  room r(table_cfg(), epoch, window, &log);
  r.save_snapshot();
  for (command_op op : {command_op(cmd::join{{}, "lobby"}), command_op(cmd::say{{}, "words", {}})})
    r.apply(r.log_position() + 1, epoch, room_command{{}, 0, "local:ann", ann, t0, op});
  // The erasure's own thread reads her names, once.
  auto const before = log.db().statistics().reads;
  auto const names = log.erasure_names("ann");
  CHECK(names == std::set<std::string>{"Ann Secretname"});
  CHECK(log.db().statistics().reads == before + 1);
  // The room's erase command, on the room's thread: not one read.
  r.apply(r.log_position() + 1, epoch,
          room_command{{}, 0, "local:chair", person(0), t0, cmd::erase{"ann"}});
  CHECK(log.db().statistics().reads == before + 1);
  CHECK(r.erased("ann"));
}

TEST_CASE("a room stored with --history 5 and reopened with 50 replays with 5, then uses 50",
          "[durable][log][window]") {
  event_keeper keeps;
  test::temp_dir dir;
  auto const epoch = next_epoch();
  constexpr std::size_t before = 5, after = 50;
  auto const mod = person(1);
  room ref(table_cfg(), epoch, before, &keeps);
  {
    durable_log log(dir.path(), &next_epoch);
    room live(table_cfg(), epoch, before, &log);
    live.save_snapshot();
    std::int64_t ts = t0;
    auto apply = [&](command_op op) {
      room_command const c{{}, 0, "local:mod", mod, ++ts, std::move(op)};
      auto const lsn = ref.log_position() + 1;
      live.apply(lsn, epoch, c);
      return ref.apply(lsn, epoch, c);
    };
    apply(cmd::join{{}, "lobby"});                                                       // seq 1
    for (int i = 0; i < 10; ++i) apply(cmd::say{{}, "point " + std::to_string(i), {}});  // m2-m11
    // Out of the window of 5 (seq 7 to 11), within 50: refused then.
    CHECK(apply(cmd::del{"m3"})->code == error_code::not_found);
    CHECK(apply(cmd::hide{"m4", true})->code == error_code::not_found);
    apply(cmd::say{{}, "last", {}});
  }
  durable_log back(dir.path(), &next_epoch);
  room loaded(table_cfg(), epoch, after, &back);
  REQUIRE(back.restore(
      loaded, [](room&) {}, after));
  CHECK(loaded.state_json() == ref.state_json());
  CHECK(loaded.seq() == ref.seq());
  CHECK(loaded.log_position() == ref.log_position());
  // From now on the window is 50: m3 is in it, and a delete finds it.
  auto const m3 = std::find_if(loaded.history().begin(), loaded.history().end(),
                               [](history_entry const& e) { return e.item == "m3"; });
  REQUIRE(m3 != loaded.history().end());
  CHECK_FALSE(m3->deleted);
  CHECK_FALSE(loaded.apply(loaded.log_position() + 1, epoch,
                           room_command{{}, 0, "local:mod", mod, t0 + 100, cmd::del{"m3"}}));
  loaded.save_snapshot();
  back.db().flush();
  CHECK(back.db().rooms().at(0).window == after);
}

TEST_CASE("snapshots come after 256 commands, then after a sixteenth of the log",
          "[durable][log]") {
  CHECK_FALSE(durable_log::snapshot_due(255, 0));
  CHECK(durable_log::snapshot_due(256, 0));
  CHECK(durable_log::snapshot_due(600, 344));
  CHECK_FALSE(durable_log::snapshot_due(16'000, 15'001));
  CHECK(durable_log::snapshot_due(16'000, 15'000));
  // The interval grows with the log: the snapshots' bytes per command stay flat.
  std::uint64_t snapshots = 0, last = 0;
  for (std::uint64_t lsn = 1; lsn <= 1'000'000; ++lsn) {
    if (durable_log::snapshot_due(lsn, last)) {
      ++snapshots;
      last = lsn;
    }
  }
  CHECK(snapshots < 200);
}

TEST_CASE("a command whose last event did not reach the store: the room goes on gapless",
          "[durable][log]") {
  test::temp_dir dir;
  auto const epoch = next_epoch();
  participant const ann{"ann", "Ann", role::participant, {}};
  {
    durable_log log(dir.path(), &next_epoch);
    room r(table_cfg(), epoch, window, &log);
    r.save_snapshot();
    auto apply = [&](command_op op) {
      r.apply(r.log_position() + 1, epoch, room_command{{}, 0, "local:1", ann, t0, op});
    };
    apply(cmd::join{{}, "lobby"});
    for (int i = 0; i < 5; ++i) apply(cmd::say{{}, "point " + std::to_string(i), {}});
    log.db().flush();
    copy_files(dir.path(), dir.path() + "/killed");
  }
  {
    // As if the kill came after the last say's command was committed, before its event.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() + "/killed/roundtable.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  durable_log back(dir.path() + "/killed", &next_epoch);
  auto const stored = back.epoch_of("t1");
  REQUIRE(stored);
  CHECK(*stored != epoch);  // unclean: a new epoch
  room loaded(table_cfg(), *stored, window, &back);
  REQUIRE(back.restore(
      loaded, [](room&) {}, window));
  REQUIRE_FALSE(loaded.history().empty());
  CHECK(loaded.seq() == loaded.history().back().seq);
  std::vector<buffer> replayed;
  REQUIRE(loaded.replay(*stored, loaded.seq() - 2, replayed));
  CHECK(replayed.size() == 2);
}
