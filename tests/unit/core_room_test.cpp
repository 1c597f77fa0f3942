// Unit tests of the room domain (domain/room.hpp) without sockets or threads:
// seq and epoch on every event, the history window and replay, presence, hop
// at the domain level, capacity and closed tables, insights and votes,
// deletion, timers, hands, summaries, erasure, the durable state round trip,
// and a permission matrix of every table op against every role, where a
// refused op must leave the room exactly as it was.
#include "domain/room.hpp"

#include "tests/unit/json_doc.hpp"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t epoch = 7;
constexpr std::int64_t t0 = 1'700'000'000'000;

// A room on the memory engine, whose operations answer with their outcome:
// every command is applied during the operation, and the outcome is read the
// way the node reads it (after() then take_ready()).
class test_room : public room {
 public:
  using room::room;
  outcome outcome_of(ticket t) {
    outcome o;
    bool answered = false;
    after(t, [&](outcome x) {
      o = std::move(x);
      answered = true;
    });
    for (auto& fn : take_ready()) fn();
    REQUIRE(answered);
    return o;
  }
  outcome join(member const& m, std::int64_t now) { return outcome_of(room::join(m, now)); }
  bool leave(std::uint64_t conn, std::int64_t now) {
    bool const was = has_member(conn);
    outcome_of(room::leave(conn, now));
    return was;
  }
  outcome say(member const& m, std::string_view text, std::int64_t now) {
    return outcome_of(room::say(m, text, now));
  }
  outcome hand(member const& m, bool up, std::int64_t now) {
    return outcome_of(room::hand(m, up, now));
  }
  outcome next_speaker(participant const& p, bool clear, std::int64_t now) {
    return outcome_of(room::next_speaker(p, clear, now));
  }
  outcome add_insight(member const& m, std::string_view text, std::int64_t now) {
    return outcome_of(room::add_insight(m, text, now));
  }
  outcome vote(member const& m, std::string_view id, std::int64_t now, bool up = true) {
    return outcome_of(room::vote(m, id, now, up));
  }
  outcome delete_message(participant const& p, std::string_view id, std::int64_t now) {
    return outcome_of(room::delete_message(p, id, now));
  }
  outcome set_timer(participant const& p, std::int64_t seconds, std::int64_t now) {
    return outcome_of(room::set_timer(p, seconds, now));
  }
  outcome summary(participant const& p, std::string_view text, bool publish, std::int64_t now) {
    return outcome_of(room::summary(p, text, publish, now));
  }
  outcome set_open(participant const& p, bool open, std::int64_t now) {
    return outcome_of(room::set_open(p, open, now));
  }
  outcome delete_insight(participant const& p, std::string_view id, std::int64_t now) {
    return outcome_of(room::delete_insight(p, id, now));
  }
  outcome broadcast(participant const& p, std::string_view text, std::int64_t now) {
    return outcome_of(room::broadcast(p, text, now));
  }
  outcome pick_speaker(participant const& p, std::string_view who, std::int64_t now) {
    return outcome_of(room::pick_speaker(p, who, now));
  }
  outcome end_turn(participant const& p, std::int64_t now) {
    return outcome_of(room::end_turn(p, now));
  }
  outcome drop_hand(participant const& p, std::string_view who, std::int64_t now) {
    return outcome_of(room::drop_hand(p, who, now));
  }
  outcome pause_timer(participant const& p, bool pause, std::int64_t now) {
    return outcome_of(room::pause_timer(p, pause, now));
  }
  outcome extend_timer(participant const& p, std::int64_t seconds, std::int64_t now) {
    return outcome_of(room::extend_timer(p, seconds, now));
  }
};

std::vector<doc> events_of(room& r) {
  std::vector<doc> out;
  for (auto const& b : r.take_outbox()) out.emplace_back(*b);
  return out;
}

// What `viewer` (a participant id; empty: nobody) is shown on joining.
doc snapshot_of(room const& r, std::string_view viewer = {}) {
  protocol::json_writer w;
  participant const who{std::string(viewer), {}, role::participant, {}};
  r.write_snapshot(w, viewer.empty() ? nullptr : &who);
  return doc(w.release());
}

participant person(std::string id, role who = role::participant, std::string moderates = {}) {
  return participant{id, "Name " + id, who, std::move(moderates)};
}

member seat(std::uint64_t conn, participant p, std::uint32_t worker = 0) {
  return member{conn, worker, std::move(p)};
}

table_config table_cfg(std::string id = "t1", std::int64_t capacity = 0) {
  return table_config{std::move(id), "Topic of the table", "Grace", capacity, true};
}

table_config plenary_cfg() {
  return table_config{std::string(room::plenary_id), "", "", 0, true};
}

// Joins and drops the join's events, for tests about what follows.
void join_quietly(test_room& r, member const& m) {
  REQUIRE_FALSE(r.join(m, t0));
  r.take_outbox();
}

std::string last_message_id(room& r) {
  for (auto it = r.history().rbegin(); it != r.history().rend(); ++it) {
    if (it->type == "message") return it->item;
  }
  return {};
}

}  // namespace

TEST_CASE("every event gets the next seq, gapless, and the room's epoch", "[room]") {
  test_room r(table_cfg(), epoch, 1000);
  auto const mod = seat(1, person("mod", role::moderator, "t1"));
  auto const ann = seat(2, person("ann"));
  REQUIRE_FALSE(r.join(mod, t0));
  REQUIRE_FALSE(r.join(ann, t0));
  REQUIRE_FALSE(r.say(ann, "hello", t0));
  REQUIRE_FALSE(r.hand(ann, true, t0));
  REQUIRE_FALSE(r.next_speaker(mod.who, false, t0));
  REQUIRE_FALSE(r.add_insight(ann, "an insight", t0));
  REQUIRE_FALSE(r.vote(mod, "i1", t0));
  REQUIRE_FALSE(r.delete_message(mod.who, last_message_id(r), t0));
  REQUIRE_FALSE(r.set_timer(mod.who, 60, t0));
  r.timer_expired(r.timer_ends_at(), t0 + 60'000);
  REQUIRE_FALSE(r.summary(mod.who, "draft", false, t0));  // the drafters' alone: no seq
  REQUIRE_FALSE(r.summary(mod.who, "published", true, t0));
  REQUIRE_FALSE(r.set_open(mod.who, false, t0));
  REQUIRE(r.leave(ann.conn, t0));
  auto const events = events_of(r);
  // 13 room events plus the `hands` that clears Ann as the speaker when she leaves.
  REQUIRE(events.size() == 14);
  std::int64_t expected = 1;
  for (auto const& e : events) {
    INFO(e.text());
    CHECK(e.num("/seq") == expected++);
    CHECK(e.num("/epoch") == static_cast<std::int64_t>(epoch));
    CHECK(e.str("/room") == "t1");
  }
  CHECK(r.seq() == 14);

  test_room p(plenary_cfg(), epoch + 1, 1000);
  p.broadcast(person("chair", role::chair), "coffee", t0);
  p.phase("reports", t0);
  p.report(table_cfg(), "text", t0);
  p.table_created(table_cfg("t9"), t0);
  auto const plenary_events = events_of(p);
  REQUIRE(plenary_events.size() == 4);
  for (std::size_t i = 0; i < plenary_events.size(); ++i) {
    CHECK(plenary_events[i].num("/seq") == static_cast<std::int64_t>(i + 1));
    CHECK(plenary_events[i].num("/epoch") == static_cast<std::int64_t>(epoch + 1));
    CHECK(plenary_events[i].str("/room") == "plenary");
  }
}

TEST_CASE("the history window is trimmed and replay stops at its boundaries", "[room][replay]") {
  test_room r(table_cfg(), epoch, 5);
  auto const ann = seat(1, person("ann"));
  REQUIRE_FALSE(r.join(ann, t0));  // seq 1
  for (int i = 2; i <= 10; ++i) REQUIRE_FALSE(r.say(ann, "m" + std::to_string(i), t0));
  r.take_outbox();
  REQUIRE(r.seq() == 10);
  REQUIRE(r.history().size() == 5);
  CHECK(r.history().front().seq == 6);
  CHECK(r.history().back().seq == 10);

  auto seqs_of = [](std::vector<buffer> const& out) {
    std::vector<std::int64_t> s;
    for (auto const& b : out) s.push_back(doc(*b).num("/seq"));
    return s;
  };
  std::vector<buffer> out;
  SECTION("up to date: true and nothing to replay") {
    CHECK(r.replay(epoch, 10, out));
    CHECK(out.empty());
  }
  SECTION("the oldest point the window still covers") {
    CHECK(r.replay(epoch, 5, out));
    CHECK(seqs_of(out) == std::vector<std::int64_t>{6, 7, 8, 9, 10});
  }
  SECTION("within the window: only what follows") {
    CHECK(r.replay(epoch, 8, out));
    CHECK(seqs_of(out) == std::vector<std::int64_t>{9, 10});
  }
  SECTION("one event past the window: false") {
    CHECK_FALSE(r.replay(epoch, 4, out));
    CHECK(out.empty());
  }
  SECTION("from the very beginning: false once trimmed") {
    CHECK_FALSE(r.replay(epoch, 0, out));
  }
  SECTION("another epoch: false") {
    CHECK_FALSE(r.replay(epoch + 1, 9, out));
    CHECK_FALSE(r.replay(epoch - 1, 10, out));
    CHECK(out.empty());
  }
  SECTION("a seq ahead of the room: false") {
    CHECK_FALSE(r.replay(epoch, 11, out));
    CHECK(out.empty());
  }
}

TEST_CASE("replay from zero works while the window holds everything", "[room][replay]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  REQUIRE_FALSE(r.join(ann, t0));
  REQUIRE_FALSE(r.say(ann, "x", t0));
  std::vector<buffer> out;
  CHECK(r.replay(epoch, 0, out));
  CHECK(out.size() == 2);
}

TEST_CASE("presence on join and leave at a table, none in the plenary", "[room][presence]") {
  SECTION("table") {
    test_room r(table_cfg(), epoch, 100);
    auto const ann = seat(1, person("ann"));
    REQUIRE_FALSE(r.join(ann, t0));
    auto joined = events_of(r);
    REQUIRE(joined.size() == 1);
    CHECK(joined[0].str("/type") == "presence");
    CHECK(joined[0].str("/joined/id") == "ann");
    CHECK(joined[0].str("/joined/name") == "Name ann");
    CHECK(joined[0].str("/joined/role") == "participant");
    CHECK(r.count() == 1);
    // Joining again is a no-op.
    REQUIRE_FALSE(r.join(ann, t0));
    CHECK(events_of(r).empty());
    CHECK(r.count() == 1);

    CHECK(r.leave(ann.conn, t0));
    auto left = events_of(r);
    REQUIRE(left.size() == 1);
    CHECK(left[0].str("/type") == "presence");
    CHECK(left[0].str("/left") == "ann");
    CHECK(r.count() == 0);
    CHECK_FALSE(r.leave(ann.conn, t0));
    CHECK(events_of(r).empty());
  }
  SECTION("plenary") {
    test_room p(plenary_cfg(), epoch, 100);
    auto const ann = seat(1, person("ann"));
    REQUIRE_FALSE(p.join(ann, t0));
    CHECK(p.count() == 1);
    CHECK(p.leave(ann.conn, t0));
    CHECK(events_of(p).empty());
    CHECK(p.seq() == 0);
  }
}

TEST_CASE("the plenary counts this node's connections per worker", "[room][presence]") {
  test_room p(plenary_cfg(), epoch, 100);
  REQUIRE_FALSE(p.join(seat(1, person("a"), 2), t0));
  REQUIRE_FALSE(p.join(seat(2, person("b"), 0), t0));
  REQUIRE_FALSE(p.join(seat(3, person("c"), 2), t0));
  CHECK(p.count() == 3);
  CHECK(p.workers() == std::vector<std::uint32_t>{1, 0, 2});
  CHECK(p.leave(3, t0));
  CHECK(p.workers() == std::vector<std::uint32_t>{1, 0, 1});
  CHECK(p.leave(2, t0));
  CHECK(p.workers() == std::vector<std::uint32_t>{0, 0, 1});
  CHECK_FALSE(p.has_member(2));
  CHECK(p.has_member(1));
  CHECK(p.count() == 1);
  CHECK(events_of(p).empty());
}

TEST_CASE("a hop leaves the old table and joins the new one with a snapshot", "[room][hop]") {
  test_room a(table_cfg("a"), epoch, 100), b(table_cfg("b"), epoch, 100);
  auto const stay_a = seat(1, person("sa"));
  auto const stay_b = seat(2, person("sb"));
  auto const hopper = seat(3, person("hop"), 1);
  join_quietly(a, stay_a);
  join_quietly(b, stay_b);
  join_quietly(a, hopper);
  REQUIRE_FALSE(a.hand(hopper, true, t0));
  REQUIRE_FALSE(b.say(stay_b, "before the hop", t0));
  a.take_outbox();
  b.take_outbox();
  CHECK(a.workers() == std::vector<std::uint32_t>{1, 1});

  // The node runs these two steps for a hop: leave the old table, join the new.
  CHECK(a.leave(hopper.conn, t0));
  REQUIRE_FALSE(b.join(hopper, t0));
  auto const snap = snapshot_of(b);

  auto const old_events = events_of(a);
  REQUIRE(old_events.size() == 2);
  CHECK(old_events[0].str("/left") == "hop");
  // The raised hand goes with the hopper.
  CHECK(old_events[1].str("/type") == "hands");
  CHECK(old_events[1].size("/queue") == 0);
  CHECK_FALSE(a.has_member(hopper.conn));
  CHECK(a.workers() == std::vector<std::uint32_t>{1, 0});

  auto const new_events = events_of(b);
  REQUIRE(new_events.size() == 1);
  CHECK(new_events[0].str("/joined/id") == "hop");
  // The snapshot is taken at the seq of the join: it includes the hopper.
  CHECK(snap.num("/seq") == new_events[0].num("/seq"));
  CHECK(snap.str("/room") == "b");
  CHECK(snap.size("/participants") == 2);
  CHECK(snap.str("/participants/1/id") == "hop");
  CHECK(snap.str("/messages/0/text") == "before the hop");
  CHECK(b.has_member(hopper.conn));
}

TEST_CASE("capacity: full for participants, never for the moderator or the chair",
          "[room][capacity]") {
  test_room r(table_cfg("t1", 2), epoch, 100);
  join_quietly(r, seat(1, person("a")));
  join_quietly(r, seat(2, person("b")));
  auto const seq_before = r.seq();
  auto e = r.join(seat(3, person("c")), t0);
  REQUIRE(e);
  CHECK(e->code == error_code::full);
  e = r.join(seat(4, person("other-mod", role::moderator, "t2")), t0);
  REQUIRE(e);
  CHECK(e->code == error_code::full);
  CHECK(r.seq() == seq_before);
  CHECK(events_of(r).empty());
  CHECK(r.count() == 2);

  CHECK_FALSE(r.join(seat(5, person("mod", role::moderator, "t1")), t0));
  CHECK_FALSE(r.join(seat(6, person("chair", role::chair)), t0));
  CHECK(r.count() == 4);
  // A seat freed by a leave is free again, but not while privileged members fill it.
  CHECK(r.leave(1, t0));
  CHECK(r.join(seat(3, person("c")), t0)->code == error_code::full);
  CHECK(r.leave(5, t0));
  CHECK(r.leave(6, t0));
  CHECK_FALSE(r.join(seat(3, person("c")), t0));
}

TEST_CASE("a closed table refuses join and say, and its members are told", "[room][open]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const mod = seat(2, person("mod", role::moderator, "t1"));
  join_quietly(r, ann);
  join_quietly(r, mod);

  REQUIRE_FALSE(r.set_open(mod.who, false, t0));
  auto told = events_of(r);
  REQUIRE(told.size() == 1);
  CHECK(told[0].str("/type") == "table");
  CHECK(told[0].str("/table") == "t1");
  CHECK_FALSE(told[0].boolean("/open"));
  CHECK_FALSE(r.config().open);
  // Closing a closed table tells nobody again.
  REQUIRE_FALSE(r.set_open(mod.who, false, t0));
  CHECK(events_of(r).empty());

  auto const seq_before = r.seq();
  auto e = r.join(seat(3, person("bob")), t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  e = r.say(ann, "still here?", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  e = r.add_insight(ann, "an insight", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  CHECK(r.seq() == seq_before);
  CHECK(r.has_member(ann.conn));  // members stay seated
  // The moderator and the chair still get in and speak.
  CHECK_FALSE(r.say(mod, "closing words", t0));
  CHECK_FALSE(r.join(seat(4, person("chair", role::chair)), t0));
  CHECK(snapshot_of(r).boolean("/open") == false);

  REQUIRE_FALSE(r.set_open(mod.who, true, t0));
  auto reopened = events_of(r);
  REQUIRE_FALSE(reopened.empty());
  CHECK(reopened.back().str("/type") == "table");
  CHECK(reopened.back().boolean("/open"));
  CHECK_FALSE(r.join(seat(3, person("bob")), t0));
  CHECK_FALSE(r.say(ann, "back again", t0));
}

TEST_CASE("insights: ranked by votes, one vote each, unknown ones not found", "[room][insight]") {
  test_room r(table_cfg(), epoch, 100);
  std::vector<member> people;
  for (std::uint64_t i = 1; i <= 4; ++i) {
    people.push_back(seat(i, person("p" + std::to_string(i))));
    join_quietly(r, people.back());
  }
  REQUIRE_FALSE(r.add_insight(people[0], "first", t0));
  REQUIRE_FALSE(r.add_insight(people[1], "second", t0));
  REQUIRE_FALSE(r.add_insight(people[2], "third", t0));
  auto created = events_of(r);
  REQUIRE(created.size() == 3);
  CHECK(created[0].str("/type") == "insight");
  CHECK(created[0].str("/id") == "i1");
  CHECK(created[0].str("/text") == "first");
  CHECK(created[0].str("/by/id") == "p1");
  CHECK(created[0].num("/votes") == 0);

  // third: 2 votes, second: 1, first: 1 (ties keep creation order).
  REQUIRE_FALSE(r.vote(people[0], "i3", t0));
  REQUIRE_FALSE(r.vote(people[1], "i3", t0));
  REQUIRE_FALSE(r.vote(people[3], "i2", t0));
  REQUIRE_FALSE(r.vote(people[3], "i1", t0));
  auto votes = events_of(r);
  REQUIRE(votes.size() == 4);
  CHECK(votes[1].str("/id") == "i3");
  CHECK(votes[1].num("/votes") == 2);

  auto const ranked = r.ranked_insights();
  REQUIRE(ranked.size() == 3);
  CHECK(ranked[0]->id == "i3");
  CHECK(ranked[1]->id == "i1");
  CHECK(ranked[2]->id == "i2");
  auto const snap = snapshot_of(r);
  CHECK(snap.str("/insights/0/id") == "i3");
  CHECK(snap.num("/insights/0/votes") == 2);
  CHECK(snap.str("/insights/1/id") == "i1");
  CHECK(snap.str("/insights/2/id") == "i2");

  auto const seq_before = r.seq();
  auto e = r.vote(people[0], "i3", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  e = r.vote(people[0], "i99", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);
  CHECK(r.seq() == seq_before);
  CHECK(r.ranked_insights()[0]->voters.size() == 2);
  // The same participant on another connection still has one vote.
  e = r.vote(seat(9, person("p1")), "i3", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);  // not seated on that connection
}

TEST_CASE("delete removes a message from snapshots and replays it as deleted", "[room][delete]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const mod = seat(2, person("mod", role::moderator, "t1"));
  join_quietly(r, ann);
  join_quietly(r, mod);
  auto const before = r.seq();
  REQUIRE_FALSE(r.say(ann, "on topic", t0));
  REQUIRE_FALSE(r.say(ann, "off topic", t0));
  REQUIRE_FALSE(r.say(ann, "on topic again", t0));
  auto const said = events_of(r);
  auto const off_id = said[1].str("/id");
  auto const off_seq = said[1].num("/seq");
  REQUIRE_FALSE(off_id.empty());
  REQUIRE(snapshot_of(r).size("/messages") == 3);

  REQUIRE_FALSE(r.delete_message(mod.who, off_id, t0));
  auto const deleted = events_of(r);
  REQUIRE(deleted.size() == 1);
  CHECK(deleted[0].str("/type") == "deleted");
  CHECK(deleted[0].str("/message") == off_id);

  auto const snap = snapshot_of(r);
  REQUIRE(snap.size("/messages") == 2);
  CHECK(snap.str("/messages/0/text") == "on topic");
  CHECK(snap.str("/messages/1/text") == "on topic again");
  CHECK(snap.text().find("off topic") == std::string::npos);

  std::vector<buffer> out;
  REQUIRE(r.replay(epoch, before, out));
  REQUIRE(out.size() == 4);
  doc const tomb(*out[1]);
  CHECK(tomb.str("/type") == "message");
  CHECK(tomb.num("/seq") == off_seq);
  CHECK(tomb.str("/id") == off_id);
  CHECK(tomb.boolean("/deleted"));
  CHECK_FALSE(tomb.has("/text"));
  CHECK(doc(*out[3]).str("/type") == "deleted");

  auto e = r.delete_message(mod.who, off_id, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);
  e = r.delete_message(mod.who, "m999", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);
}

TEST_CASE("timer: ends_at from now, timer_ended once, stale expiries ignored", "[room][timer]") {
  test_room r(table_cfg(), epoch, 100);
  auto const mod = person("mod", role::moderator, "t1");
  REQUIRE_FALSE(r.set_timer(mod, 60, t0));
  auto started = events_of(r);
  REQUIRE(started.size() == 1);
  CHECK(started[0].str("/type") == "timer");
  CHECK(started[0].num("/ends_at") == t0 + 60'000);
  CHECK(started[0].num("/seconds") == 60);
  CHECK(r.timer_ends_at() == t0 + 60'000);
  CHECK(snapshot_of(r).num("/timer/ends_at") == t0 + 60'000);

  // Restarted before it ran out: the first timer's expiry is stale.
  REQUIRE_FALSE(r.set_timer(mod, 30, t0 + 1000));
  r.take_outbox();
  r.timer_expired(t0 + 60'000, t0 + 60'000);
  r.timer_expired(t0 + 5, t0 + 5);
  CHECK(events_of(r).empty());
  CHECK(r.timer_ends_at() == t0 + 31'000);

  r.timer_expired(t0 + 31'000, t0 + 31'000);
  auto ended = events_of(r);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].str("/type") == "timer_ended");
  CHECK(r.timer_ends_at() == 0);
  CHECK(snapshot_of(r).is_null("/timer"));
  r.timer_expired(t0 + 31'000, t0 + 32'000);
  CHECK(events_of(r).empty());

  // Zero seconds stops a running timer; its expiry then does nothing.
  REQUIRE_FALSE(r.set_timer(mod, 10, t0));
  REQUIRE_FALSE(r.set_timer(mod, 0, t0));
  auto stopped = events_of(r);
  REQUIRE(stopped.size() == 2);
  CHECK(stopped[1].num("/ends_at") == 0);
  CHECK(stopped[1].num("/seconds") == 0);
  r.timer_expired(t0 + 10'000, t0 + 10'000);
  CHECK(events_of(r).empty());
}

TEST_CASE("hands: up, down, next speaker, clear", "[room][hands]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  auto const mod = person("mod", role::moderator, "t1");
  join_quietly(r, ann);
  join_quietly(r, bob);

  REQUIRE_FALSE(r.hand(ann, true, t0));
  REQUIRE_FALSE(r.hand(bob, true, t0));
  auto ups = events_of(r);
  REQUIRE(ups.size() == 2);
  CHECK(ups[1].str("/type") == "hands");
  CHECK(ups[1].str("/queue/0/id") == "ann");
  CHECK(ups[1].str("/queue/1/id") == "bob");
  CHECK(ups[1].is_null("/speaker"));
  // Up while up: nothing to tell.
  REQUIRE_FALSE(r.hand(ann, true, t0));
  CHECK(events_of(r).empty());

  REQUIRE_FALSE(r.next_speaker(mod, false, t0));
  auto next = events_of(r);
  REQUIRE(next.size() == 1);
  CHECK(next[0].str("/speaker/id") == "ann");
  CHECK(next[0].size("/queue") == 1);
  CHECK(next[0].str("/queue/0/id") == "bob");

  REQUIRE_FALSE(r.hand(bob, false, t0));
  auto down = events_of(r);
  REQUIRE(down.size() == 1);
  CHECK(down[0].size("/queue") == 0);
  CHECK(down[0].str("/speaker/id") == "ann");
  REQUIRE_FALSE(r.hand(bob, false, t0));
  CHECK(events_of(r).empty());

  // Next with an empty queue: nobody has the floor.
  REQUIRE_FALSE(r.next_speaker(mod, false, t0));
  CHECK(events_of(r).at(0).is_null("/speaker"));

  REQUIRE_FALSE(r.hand(ann, true, t0));
  REQUIRE_FALSE(r.hand(bob, true, t0));
  REQUIRE_FALSE(r.next_speaker(mod, false, t0));
  REQUIRE_FALSE(r.next_speaker(mod, true, t0));
  auto cleared = events_of(r);
  REQUIRE(cleared.size() == 4);
  CHECK(cleared[3].size("/queue") == 0);
  CHECK(cleared[3].is_null("/speaker"));
  auto const snap = snapshot_of(r);
  CHECK(snap.size("/hands") == 0);
  CHECK(snap.is_null("/speaker"));

  test_room p(plenary_cfg(), epoch, 100);
  join_quietly(p, ann);
  auto e = p.hand(ann, true, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::bad_request);
  e = p.next_speaker(person("chair", role::chair), false, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::bad_request);
}

// What `viewer` is shown on joining, whatever their role.
doc snapshot_for(room const& r, participant const& viewer) {
  protocol::json_writer w;
  r.write_snapshot(w, &viewer);
  return doc(w.release());
}

TEST_CASE("summary: the draft is the drafters' until published", "[room][summary]") {
  test_room r(table_cfg(), epoch, 100);
  auto const mod = person("mod", role::moderator, "t1");
  auto const chair = person("chair", role::chair);
  auto const ann = person("ann");
  auto const elsewhere = person("other", role::moderator, "t2");
  REQUIRE_FALSE(r.summary(mod, "draft one", false, t0));
  // No room event (no seq): a direct event for those who may draft.
  CHECK(events_of(r).empty());
  CHECK(r.seq() == 0);
  auto direct = r.take_direct();
  REQUIRE(direct.size() == 1);
  doc const draft(*direct[0].json);
  CHECK(draft.str("/type") == "summary");
  CHECK(draft.str("/text") == "draft one");
  CHECK(draft.str("/by/id") == "mod");
  CHECK_FALSE(draft.boolean("/published"));
  CHECK_FALSE(draft.has("/seq"));
  CHECK(room::receives(mod, "t1", direct[0]));
  CHECK(room::receives(chair, "t1", direct[0]));
  CHECK_FALSE(room::receives(ann, "t1", direct[0]));
  CHECK_FALSE(room::receives(elsewhere, "t1", direct[0]));
  CHECK(r.draft_summary() == "draft one");
  CHECK(r.published_summary().empty());
  CHECK(snapshot_for(r, mod).str("/summary") == "draft one");
  CHECK(snapshot_for(r, chair).str("/summary") == "draft one");
  for (auto const& who : {ann, elsewhere}) {
    auto const snap = snapshot_for(r, who);
    CHECK(snap.is_null("/summary"));
    CHECK(snap.is_null("/published"));
    CHECK(snap.text().find("draft one") == std::string::npos);
  }
  CHECK(snapshot_of(r).text().find("draft one") == std::string::npos);

  // The chair may draft too; published, the summary is everyone's.
  REQUIRE_FALSE(r.summary(chair, "chair's draft", false, t0));
  CHECK(r.draft_summary() == "chair's draft");
  r.take_direct();
  REQUIRE_FALSE(r.summary(mod, "final text", true, t0));
  CHECK(r.take_direct().empty());
  auto pub = events_of(r);
  REQUIRE(pub.size() == 1);
  CHECK(pub[0].str("/text") == "final text");
  CHECK(pub[0].boolean("/published"));
  CHECK(r.published_summary() == "final text");
  CHECK(snapshot_for(r, ann).str("/published") == "final text");
  CHECK(snapshot_for(r, ann).str("/summary") == "final text");

  // A later draft does not unpublish the report, and stays the drafters'.
  REQUIRE_FALSE(r.summary(mod, "draft two", false, t0));
  CHECK(r.published_summary() == "final text");
  CHECK(r.draft_summary() == "draft two");
  CHECK(snapshot_for(r, ann).str("/summary") == "final text");
  CHECK(snapshot_for(r, mod).str("/summary") == "draft two");
  // A replay from the start carries the published summary, never a draft.
  std::vector<buffer> replayed;
  REQUIRE(r.replay(epoch, 0, replayed));
  for (auto const& b : replayed) {
    CHECK(b->find("draft") == std::string::npos);
    CHECK(b->find("chair's") == std::string::npos);
  }

  test_room p(plenary_cfg(), epoch, 100);
  auto e = p.summary(person("chair", role::chair), "x", true, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::bad_request);
  p.report(table_cfg(), "final text", t0);
  auto report = events_of(p);
  REQUIRE(report.size() == 1);
  CHECK(report[0].str("/type") == "report");
  CHECK(report[0].str("/table") == "t1");
  CHECK(report[0].str("/topic") == "Topic of the table");
  CHECK(report[0].str("/moderator") == "Grace");
  CHECK(report[0].str("/text") == "final text");
  CHECK(snapshot_of(p).str("/reports/0/text") == "final text");
}

TEST_CASE("erase_author removes an author's messages and insights", "[room][erase]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  join_quietly(r, ann);
  join_quietly(r, bob);
  REQUIRE_FALSE(r.say(ann, "ann one", t0));
  REQUIRE_FALSE(r.say(bob, "bob one", t0));
  REQUIRE_FALSE(r.say(ann, "ann two", t0));
  REQUIRE_FALSE(r.add_insight(ann, "ann's insight", t0));
  REQUIRE_FALSE(r.add_insight(bob, "bob's insight", t0));
  r.take_outbox();

  CHECK(r.erase_author("ann", t0) == 3);
  auto const events = events_of(r);
  REQUIRE(events.size() == 4);
  for (std::size_t i = 0; i < 3; ++i) CHECK(events[i].str("/type") == "deleted");
  CHECK(events[3].str("/type") == "erased");
  CHECK(events[3].str("/participant") == "ann");
  auto const snap = snapshot_of(r);
  for (auto const* text : {"ann one", "ann two", "ann's insight"})
    CHECK(snap.text().find(text) == std::string::npos);
  CHECK(snap.size("/messages") == 1);
  CHECK(snap.size("/insights") == 1);
  CHECK(snap.str("/insights/0/text") == "bob's insight");
  for (auto const& h : r.history()) {
    if (!h.deleted) CHECK(h.json->find("ann one") == std::string::npos);
  }
  std::vector<buffer> out;
  REQUIRE(r.replay(epoch, 0, out));
  for (auto const& b : out) {
    CHECK(b->find("ann one") == std::string::npos);
    CHECK(b->find("ann's insight") == std::string::npos);
  }
  CHECK(r.erase_author("ann", t0) == 0);
  CHECK(events_of(r).empty());
}

TEST_CASE("state_json and restore round trip the durable state", "[room][state]") {
  test_room t(table_cfg("t1", 12), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  auto const mod = seat(3, person("mod", role::moderator, "t1"));
  join_quietly(t, ann);
  join_quietly(t, bob);
  join_quietly(t, mod);
  REQUIRE_FALSE(t.say(ann, "hello", t0));
  REQUIRE_FALSE(t.add_insight(ann, "first", t0));
  REQUIRE_FALSE(t.add_insight(bob, "second", t0));
  REQUIRE_FALSE(t.vote(ann, "i2", t0));
  REQUIRE_FALSE(t.vote(mod, "i2", t0));
  REQUIRE_FALSE(t.summary(mod.who, "published text", true, t0));
  REQUIRE_FALSE(t.summary(mod.who, "newer draft", false, t0));
  REQUIRE_FALSE(t.set_timer(mod.who, 120, t0));
  REQUIRE_FALSE(t.set_open(mod.who, false, t0));
  auto const state = t.state_json();
  std::vector<history_entry> history(t.history().begin(), t.history().end());

  test_room back(table_cfg("t1"), epoch, 100);
  back.restore(t.seq(), state, history);
  CHECK(back.state_json() == state);
  CHECK(back.seq() == t.seq());
  CHECK(back.config().capacity == 12);
  CHECK_FALSE(back.config().open);
  CHECK(back.config().topic == "Topic of the table");
  CHECK(back.config().moderator == "Grace");
  CHECK(back.published_summary() == "published text");
  CHECK(back.draft_summary() == "newer draft");
  CHECK(back.timer_ends_at() == t0 + 120'000);
  CHECK(back.messages_total() == 1);
  CHECK(back.participants_total() == 3);
  auto const ranked = back.ranked_insights();
  REQUIRE(ranked.size() == 2);
  CHECK(ranked[0]->id == "i2");
  CHECK(ranked[0]->voters == std::set<std::string>{"ann", "mod"});
  CHECK(ranked[0]->by.id == "bob");
  CHECK(ranked[0]->by.name == "Name bob");
  CHECK(ranked[1]->id == "i1");
  // Votes survive: ann still cannot vote twice; new insight ids do not collide.
  REQUIRE_FALSE(back.set_open(mod.who, true, t0));
  auto const ann_again = seat(11, person("ann"));
  REQUIRE_FALSE(back.join(ann_again, t0));
  auto e = back.vote(ann_again, "i2", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  back.take_outbox();
  REQUIRE_FALSE(back.add_insight(ann_again, "third", t0));
  CHECK(events_of(back).at(0).str("/id") == "i3");
  // The restored history replays as it was.
  std::vector<buffer> out;
  REQUIRE(back.replay(epoch, 0, out));
  CHECK(*out.front() == *history.front().json);
}

TEST_CASE("the plenary's state round trips reports, broadcasts and the phase", "[room][state]") {
  test_room p(plenary_cfg(), epoch, 100);
  p.set_initial_phase("keynote");
  p.report(table_cfg(), "report one", t0);
  p.broadcast(person("chair", role::chair), "coffee break", t0);
  p.broadcast(person("chair", role::chair), "back inside", t0);
  p.phase("reports", t0);
  auto const state = p.state_json();

  test_room back(plenary_cfg(), epoch, 100);
  back.restore(p.seq(), state, {});
  CHECK(back.state_json() == state);
  CHECK(back.phase_name() == "reports");
  REQUIRE(back.reports().size() == 1);
  CHECK(*back.reports()[0] == *p.reports()[0]);
  REQUIRE(back.broadcasts().size() == 2);
  CHECK(*back.broadcasts()[1] == *p.broadcasts()[1]);
  auto const snap = snapshot_of(back);
  CHECK(snap.str("/phase") == "reports");
  CHECK(snap.str("/reports/0/text") == "report one");
  CHECK(snap.str("/broadcasts/0/text") == "coffee break");
  CHECK(snap.str("/broadcasts/1/text") == "back inside");
  CHECK(snap.num("/seq") == 4);
}

// The permission matrix. Every op is tried by each role, everyone seated at
// table t1: a participant, t1's moderator, the moderator of t2, the chair.
// An allowed op must succeed; a refused one must say `forbidden` and leave
// the room exactly as it was: same state, same seq, same snapshot, no event.
namespace {

enum class who { participant, moderator_here, moderator_elsewhere, chair };

char const* name_of(who w) {
  switch (w) {
    case who::participant:
      return "participant";
    case who::moderator_here:
      return "moderator of this table";
    case who::moderator_elsewhere:
      return "moderator of another table";
    case who::chair:
      return "chair";
  }
  return "?";
}

struct matrix_room {
  test_room r{table_cfg("t1"), epoch, 100};
  member participant_m = seat(1, person("p"));
  member mod_here = seat(2, person("mh", role::moderator, "t1"));
  member mod_elsewhere = seat(3, person("me", role::moderator, "t2"));
  member chair_m = seat(4, person("c", role::chair));
  member writer = seat(5, person("w"));
  std::string message_id;

  matrix_room() {
    for (auto const* m : {&participant_m, &mod_here, &mod_elsewhere, &chair_m, &writer})
      join_quietly(r, *m);
    REQUIRE_FALSE(r.say(writer, "a message to delete", t0));
    message_id = last_message_id(r);
    REQUIRE_FALSE(r.add_insight(writer, "an insight", t0));
    REQUIRE_FALSE(r.hand(writer, true, t0));
    r.take_outbox();
  }
  member const& as(who w) const {
    switch (w) {
      case who::participant:
        return participant_m;
      case who::moderator_here:
        return mod_here;
      case who::moderator_elsewhere:
        return mod_elsewhere;
      case who::chair:
        return chair_m;
    }
    return participant_m;
  }
};

struct matrix_op {
  char const* name;
  std::function<outcome(matrix_room&, member const&)> run;
  std::set<who> allowed;
};

}  // namespace

TEST_CASE("permission matrix: each table op against each role", "[room][permissions]") {
  std::set<who> const everyone{who::participant, who::moderator_here, who::moderator_elsewhere,
                               who::chair};
  std::set<who> const moderation{who::moderator_here, who::chair};
  std::vector<matrix_op> const ops{
      {"say", [](matrix_room& m, member const& s) { return m.r.say(s, "hi", t0); }, everyone},
      {"hand", [](matrix_room& m, member const& s) { return m.r.hand(s, true, t0); }, everyone},
      {"speaker next",
       [](matrix_room& m, member const& s) { return m.r.next_speaker(s.who, false, t0); },
       moderation},
      {"speaker clear",
       [](matrix_room& m, member const& s) { return m.r.next_speaker(s.who, true, t0); },
       moderation},
      {"insight", [](matrix_room& m, member const& s) { return m.r.add_insight(s, "idea", t0); },
       everyone},
      {"vote", [](matrix_room& m, member const& s) { return m.r.vote(s, "i1", t0); }, everyone},
      {"delete",
       [](matrix_room& m, member const& s) { return m.r.delete_message(s.who, m.message_id, t0); },
       moderation},
      {"timer", [](matrix_room& m, member const& s) { return m.r.set_timer(s.who, 30, t0); },
       moderation},
      {"summary draft",
       [](matrix_room& m, member const& s) { return m.r.summary(s.who, "draft", false, t0); },
       moderation},
      {"summary publish",
       [](matrix_room& m, member const& s) { return m.r.summary(s.who, "final", true, t0); },
       moderation},
      {"set_open", [](matrix_room& m, member const& s) { return m.r.set_open(s.who, false, t0); },
       moderation},
  };
  for (auto const& op : ops) {
    for (who w : everyone) {
      matrix_room m;
      INFO(op.name << " by the " << name_of(w));
      auto const state = m.r.state_json();
      auto const seq = m.r.seq();
      auto const snap = snapshot_of(m.r).text();
      auto const e = op.run(m, m.as(w));
      if (op.allowed.count(w)) {
        CHECK_FALSE(e);
        // A room event, or a direct one (a summary draft) that changed the state.
        CHECK((m.r.seq() > seq || m.r.state_json() != state));
      } else {
        REQUIRE(e);
        CHECK(e->code == error_code::forbidden);
        CHECK(m.r.state_json() == state);
        CHECK(m.r.seq() == seq);
        CHECK(snapshot_of(m.r).text() == snap);
        CHECK(m.r.take_outbox().empty());
        CHECK(m.r.take_direct().empty());
      }
    }
  }
}

TEST_CASE("permission matrix: members-only ops refuse someone not seated", "[room][permissions]") {
  matrix_room m;
  auto const outsider = seat(99, person("o"));
  auto const chair_outside = seat(98, person("c2", role::chair));
  auto const state = m.r.state_json();
  auto const seq = m.r.seq();
  for (auto const* s : {&outsider, &chair_outside}) {
    INFO(s->who.id);
    CHECK(m.r.say(*s, "hi", t0)->code == error_code::forbidden);
    CHECK(m.r.hand(*s, true, t0)->code == error_code::forbidden);
    CHECK(m.r.add_insight(*s, "idea", t0)->code == error_code::forbidden);
    CHECK(m.r.vote(*s, "i1", t0)->code == error_code::forbidden);
  }
  CHECK(m.r.state_json() == state);
  CHECK(m.r.seq() == seq);
  CHECK(m.r.take_outbox().empty());
}

TEST_CASE("permission matrix in the plenary: the chair moderates, nobody else",
          "[room][permissions]") {
  test_room p(plenary_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const mod = seat(2, person("mh", role::moderator, "t1"));
  auto const chair = seat(3, person("c", role::chair));
  for (auto const* m : {&ann, &mod, &chair}) join_quietly(p, *m);
  for (auto const* m : {&ann, &mod, &chair}) CHECK_FALSE(p.say(*m, "hello all", t0));
  auto const id = last_message_id(p);
  p.take_outbox();
  auto const seq = p.seq();
  auto const state = p.state_json();
  for (auto const* m : {&ann, &mod}) {
    INFO(m->who.id);
    CHECK(p.delete_message(m->who, id, t0)->code == error_code::forbidden);
    CHECK(p.set_timer(m->who, 30, t0)->code == error_code::forbidden);
  }
  CHECK(p.seq() == seq);
  CHECK(p.state_json() == state);
  CHECK(p.take_outbox().empty());
  CHECK_FALSE(p.delete_message(chair.who, id, t0));
  CHECK_FALSE(p.set_timer(chair.who, 30, t0));
  CHECK(p.set_open(chair.who, false, t0)->code == error_code::bad_request);
}

TEST_CASE(
    "a closed table refuses votes; a leaving speaker gives up the floor; deletions leave the count",
    "[room]") {
  test_room r(table_cfg(), epoch, 1000);
  auto const mod = seat(1, person("mod", role::moderator, "t1"));
  auto const ann = seat(2, person("ann"));
  REQUIRE_FALSE(r.join(mod, t0));
  REQUIRE_FALSE(r.join(ann, t0));
  REQUIRE_FALSE(r.add_insight(ann, "an insight", t0));
  REQUIRE_FALSE(r.say(ann, "off topic", t0));
  REQUIRE(r.messages_total() == 1);
  REQUIRE_FALSE(r.delete_message(mod.who, last_message_id(r), t0));
  CHECK(r.messages_total() == 0);

  REQUIRE_FALSE(r.set_open(mod.who, false, t0));
  auto const closed = r.vote(ann, "i1", t0);
  REQUIRE(closed);
  CHECK(closed->code == roundtable::protocol::error_code::forbidden);
  CHECK_FALSE(r.vote(mod, "i1", t0));  // the moderator still may

  REQUIRE_FALSE(r.set_open(mod.who, true, t0));
  REQUIRE_FALSE(r.hand(ann, true, t0));
  REQUIRE_FALSE(r.next_speaker(mod.who, false, t0));
  REQUIRE(snapshot_of(r).str("/speaker/id") == "ann");
  events_of(r);
  REQUIRE(r.leave(ann.conn, t0));
  CHECK(snapshot_of(r).is_null("/speaker"));
}

TEST_CASE("a table holds at most max_insights insights", "[room][limits]") {
  test_room r(table_cfg(), epoch, 1000);
  auto const ann = seat(2, person("ann", role::moderator, "t1"));  // exempt from the quota
  REQUIRE_FALSE(r.join(ann, t0));
  for (std::size_t i = 0; i < room::max_insights; ++i) {
    REQUIRE_FALSE(r.add_insight(ann, "insight " + std::to_string(i), t0));
  }
  auto const before = r.state_json();
  auto const over = r.add_insight(ann, "one too many", t0);
  REQUIRE(over);
  CHECK(over->code == roundtable::protocol::error_code::full);
  CHECK(r.state_json() == before);
}

TEST_CASE("a vote taken back counts once down; one without a vote changes nothing", "[room]") {
  test_room r(table_cfg(), epoch, 1000);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  auto const cy = seat(3, person("cy"));
  join_quietly(r, ann);
  join_quietly(r, bob);
  join_quietly(r, cy);
  REQUIRE_FALSE(r.add_insight(ann, "share data", t0));
  REQUIRE_FALSE(r.vote(ann, "i1", t0));
  REQUIRE_FALSE(r.vote(bob, "i1", t0));
  events_of(r);

  auto const seq_before = r.seq();
  REQUIRE_FALSE(r.vote(ann, "i1", t0, false));
  auto down = events_of(r);
  REQUIRE(down.size() == 1);
  CHECK(down[0].num("/votes") == 1);
  CHECK(r.ranked_insights()[0]->voters == std::set<std::string>{"bob"});
  // Again, and by someone who never voted: ok, and nothing published.
  REQUIRE_FALSE(r.vote(ann, "i1", t0, false));
  REQUIRE_FALSE(r.vote(cy, "i1", t0, false));
  CHECK(r.seq() == seq_before + 1);
  // Given again, it counts again; a second one is still refused.
  REQUIRE_FALSE(r.vote(ann, "i1", t0));
  auto up = events_of(r);
  REQUIRE(up.size() == 1);
  CHECK(up[0].num("/votes") == 2);
  REQUIRE(r.vote(ann, "i1", t0));
  CHECK(r.ranked_insights()[0]->voters.size() == 2);
  auto const e = r.vote(ann, "i9", t0, false);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);
}

TEST_CASE("a participant adds at most max_insights_per_participant; moderators more",
          "[room][limits]") {
  test_room r(table_cfg(), epoch, 1000);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  auto const grace = seat(3, person("grace", role::moderator, "t1"));
  for (auto const& m : {ann, bob, grace}) join_quietly(r, m);
  for (std::size_t i = 0; i < room::max_insights_per_participant; ++i)
    REQUIRE_FALSE(r.add_insight(ann, "ann " + std::to_string(i), t0));
  auto const before = r.state_json();
  auto const over = r.add_insight(ann, "one too many", t0);
  REQUIRE(over);
  CHECK(over->code == roundtable::protocol::error_code::full);
  CHECK(r.state_json() == before);
  CHECK_FALSE(r.add_insight(bob, "bob's", t0));
  for (std::size_t i = 0; i <= room::max_insights_per_participant; ++i)
    CHECK_FALSE(r.add_insight(grace, "grace " + std::to_string(i), t0));
  // A deleted insight frees its author's share.
  auto const first = snapshot_of(r).str("/insights/0/id");
  REQUIRE(snapshot_of(r).str("/insights/0/text") == "ann 0");
  CHECK_FALSE(r.delete_insight(grace.who, first, t0));
  CHECK_FALSE(r.add_insight(ann, "ann again", t0));
}

TEST_CASE("delete_insight: moderator or chair; the insight and its votes go", "[room][delete]") {
  test_room r(table_cfg(), epoch, 1000);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  auto const grace = seat(3, person("grace", role::moderator, "t1"));
  for (auto const& m : {ann, bob, grace}) join_quietly(r, m);
  REQUIRE_FALSE(r.add_insight(ann, "ann's", t0));
  auto const id = snapshot_of(r).str("/insights/0/id");
  REQUIRE_FALSE(r.vote(bob, id, t0));
  r.take_outbox();
  auto const before = r.state_json();
  auto const refused = r.delete_insight(bob.who, id, t0);
  REQUIRE(refused);
  CHECK(refused->code == roundtable::protocol::error_code::forbidden);
  auto const missing = r.delete_insight(grace.who, "i999", t0);
  REQUIRE(missing);
  CHECK(missing->code == roundtable::protocol::error_code::not_found);
  CHECK(r.state_json() == before);
  CHECK(events_of(r).empty());

  REQUIRE_FALSE(r.delete_insight(grace.who, id, t0));
  auto const events = events_of(r);
  REQUIRE(events.size() == 1);
  CHECK(events[0].str("/type") == "deleted");
  CHECK(events[0].str("/insight") == id);
  CHECK_FALSE(events[0].has("/message"));
  CHECK(snapshot_of(r).size("/insights") == 0);
  auto const again = r.vote(ann, id, t0);
  REQUIRE(again);
  CHECK(again->code == roundtable::protocol::error_code::not_found);
  std::vector<buffer> out;
  REQUIRE(r.replay(epoch, 0, out));
  for (auto const& b : out) CHECK(b->find("ann's") == std::string::npos);
}

TEST_CASE("replay refuses what passes its byte budget and leaves out as it was", "[room][replay]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  join_quietly(r, ann);
  auto const from = r.seq();
  std::size_t bytes = 0;
  for (int i = 0; i < 10; ++i) REQUIRE_FALSE(r.say(ann, std::string(1000, 'x'), t0));
  for (auto const& b : r.take_outbox()) bytes += b->size();
  std::vector<buffer> out{std::make_shared<std::string const>("kept")};
  CHECK_FALSE(r.replay(epoch, from, out, bytes - 1));
  CHECK(out.size() == 1);
  CHECK(r.replay(epoch, from, out, bytes));
  CHECK(out.size() == 11);
}

TEST_CASE("snapshots keep the latest messages, reports and broadcasts within their bytes",
          "[room][limits]") {
  test_room p(plenary_cfg(), epoch, 1000);
  auto const chair = seat(1, person("chair", role::chair));
  REQUIRE_FALSE(p.join(chair, t0));
  std::string const big(1999, '"');
  for (int i = 0; i < 30; ++i) {
    p.broadcast(chair.who, big, t0);
    REQUIRE_FALSE(p.say(chair, std::string(3999, '"') + std::to_string(i % 10), t0));
  }
  p.broadcast(chair.who, "last", t0);
  auto const snap = snapshot_of(p);
  auto const n = snap.size("/broadcasts");
  CHECK(n > 0);
  CHECK(n <= room::snapshot_plenary_items);
  CHECK(snap.str("/broadcasts/" + std::to_string(n - 1) + "/text") == "last");
  CHECK(snap.size("/messages") > 0);
  CHECK(snap.size("/messages") < room::snapshot_messages);
  CHECK(snap.text().size() < room::snapshot_message_bytes + room::snapshot_broadcast_bytes +
                                 room::snapshot_report_bytes);
  CHECK(p.broadcasts().size() == 31);  // the report keeps them all
}

TEST_CASE("erasure: names leave the history, votes and hands go, the id is refused",
          "[room][erase]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann"));
  auto const bob = seat(2, person("bob"));
  join_quietly(r, ann);
  join_quietly(r, bob);
  REQUIRE_FALSE(r.add_insight(bob, "bob's", t0));
  auto const id = snapshot_of(r).str("/insights/0/id");
  REQUIRE_FALSE(r.vote(ann, id, t0));
  REQUIRE_FALSE(r.hand(ann, true, t0));
  REQUIRE_FALSE(r.hand(bob, true, t0));
  r.take_outbox();
  REQUIRE(snapshot_of(r).num("/insights/0/votes") == 1);

  CHECK(r.erase_author("ann", t0) == 0);
  auto const events = events_of(r);
  std::vector<std::string> types;
  for (auto const& e : events) types.push_back(e.str("/type"));
  CHECK(types == std::vector<std::string>{"erased", "insight", "hands"});
  CHECK(events[1].num("/votes") == 0);
  CHECK(events[2].size("/queue") == 1);
  auto const snap = snapshot_of(r);
  CHECK(snap.num("/insights/0/votes") == 0);
  CHECK(snap.size("/hands") == 1);
  for (auto const& h : r.history()) CHECK(h.json->find("Name ann") == std::string::npos);
  CHECK(r.state_json().find("Name ann") == std::string::npos);
  CHECK(r.take_erased() == std::vector<std::string>{"ann"});
  CHECK(r.erased("ann"));
  // They cannot sit down again.
  auto const back = r.join(seat(9, person("ann")), t0);
  REQUIRE(back);
  CHECK(back->code == roundtable::protocol::error_code::forbidden);
  // The state round trip keeps the refusal.
  room copy(table_cfg(), epoch, 100);
  copy.restore(r.seq(), r.state_json(), {});
  CHECK(copy.erased("ann"));
}

TEST_CASE("with an observer that keeps events the state leaves out reports and broadcasts",
          "[room][state]") {
  struct keeper final : room_observer {
    bool on_command(std::string const&, std::uint64_t, std::uint64_t, std::uint64_t,
                    room_command const&) override {
      return true;  // a snapshot after every command
    }
    void on_event(std::string const&, std::uint64_t, history_entry const&) override {}
    void on_rewrite(std::string const&, std::uint64_t, history_entry const&) override {}
    void on_snapshot(std::string const&, std::uint64_t, std::uint64_t, std::uint64_t, std::size_t,
                     std::string const& snapshot) override {
      ++snapshots;
      held_text = held_text || snapshot.find("bbbb") != std::string::npos;
    }
    bool keeps_events() const noexcept override { return true; }
    int snapshots = 0;
    bool held_text = false;
  } store;
  test_room p(plenary_cfg(), epoch, 1000, &store);
  auto const chair = seat(1, person("chair", role::chair));
  REQUIRE_FALSE(p.join(chair, t0));
  for (int i = 0; i < 20; ++i) p.broadcast(chair.who, std::string(2000, 'b'), t0);
  CHECK(store.snapshots > 0);
  CHECK_FALSE(store.held_text);  // no snapshot written held a broadcast
  CHECK(p.state_json().find("bbbb") == std::string::npos);
  CHECK(p.broadcasts().size() == 20);
  // Brought back from the store's events instead.
  room back(plenary_cfg(), epoch, 1000, &store);
  back.restore(p.seq(), p.state_json(), {});
  CHECK(back.broadcasts().empty());
  back.restore_lists({}, p.broadcasts());
  CHECK(back.broadcasts().size() == 20);
}

TEST_CASE("a snapshot tells its viewer their votes and whether the timer ran out",
          "[room][snapshot]") {
  test_room r(table_cfg(), epoch, 100);
  auto const mod = person("mod", role::moderator, "t1");
  auto const ann = seat(1, person("ann")), bob = seat(2, person("bob"));
  join_quietly(r, ann);
  join_quietly(r, bob);
  REQUIRE_FALSE(r.add_insight(ann, "first", t0));
  REQUIRE_FALSE(r.add_insight(ann, "second", t0));
  auto const id = r.ranked_insights()[1]->id;
  REQUIRE_FALSE(r.vote(bob, id, t0));
  CHECK(snapshot_of(r, "bob").str("/insights/0/id") == id);
  CHECK(snapshot_of(r, "bob").boolean("/insights/0/voted"));
  CHECK_FALSE(snapshot_of(r, "bob").boolean("/insights/1/voted"));
  CHECK(snapshot_of(r, "bob").has("/insights/1/voted"));
  CHECK_FALSE(snapshot_of(r, "ann").boolean("/insights/0/voted"));
  CHECK_FALSE(snapshot_of(r).boolean("/insights/0/voted"));
  REQUIRE_FALSE(r.vote(bob, id, t0, false));
  CHECK_FALSE(snapshot_of(r, "bob").boolean("/insights/0/voted"));

  CHECK(snapshot_of(r).has("/timer_ended"));
  CHECK_FALSE(snapshot_of(r).boolean("/timer_ended"));
  REQUIRE_FALSE(r.set_timer(mod, 5, t0));
  CHECK_FALSE(snapshot_of(r).boolean("/timer_ended"));
  r.timer_expired(t0 + 5000, t0 + 5000);
  CHECK(snapshot_of(r).is_null("/timer"));
  CHECK(snapshot_of(r).boolean("/timer_ended"));
  // The durable state keeps it: a restarted server still says the time is up.
  test_room back(table_cfg(), epoch, 100);
  back.restore(r.seq(), r.state_json(), {});
  CHECK(snapshot_of(back).boolean("/timer_ended"));
  // A new timer, or a stopped one, is no longer "ended".
  REQUIRE_FALSE(r.set_timer(mod, 0, t0 + 6000));
  CHECK_FALSE(snapshot_of(r).boolean("/timer_ended"));
}

TEST_CASE("the plenary snapshot holds the latest phase changes, bounded", "[room][snapshot]") {
  test_room p(plenary_cfg(), epoch, 10);
  CHECK(snapshot_of(p).size("/phases") == 0);
  auto const n = room::kept_phases + 5;
  for (std::size_t i = 1; i <= n; ++i) p.phase("phase-" + std::to_string(i), t0);
  auto const snap = snapshot_of(p);
  REQUIRE(snap.size("/phases") == room::kept_phases);
  CHECK(snap.str("/phases/0/type") == "phase");
  CHECK(snap.str("/phases/0/name") == "phase-6");
  CHECK(snap.num("/phases/0/seq") == 6);
  CHECK(snap.str("/phases/" + std::to_string(room::kept_phases - 1) + "/name") ==
        "phase-" + std::to_string(n));
  // Past the history window (10 events) too, and across a restart.
  test_room back(plenary_cfg(), epoch, 10);
  back.restore(p.seq(), p.state_json(), {});
  auto const again = snapshot_of(back);
  REQUIRE(again.size("/phases") == room::kept_phases);
  CHECK(again.str("/phases/0/name") == "phase-6");
}

TEST_CASE("the floor: a moderator picks any raised hand, ends a turn, lowers a hand",
          "[room][hands][floor]") {
  test_room r(table_cfg(), epoch, 100);
  auto const ann = seat(1, person("ann")), bob = seat(2, person("bob")), cy = seat(3, person("cy"));
  auto const mod = person("mod", role::moderator, "t1");
  for (auto const& m : {ann, bob, cy}) join_quietly(r, m);
  for (auto const& m : {ann, bob, cy}) REQUIRE_FALSE(r.hand(m, true, t0));
  r.take_outbox();

  // Bob, second in the queue, gets the floor; the others keep their places.
  REQUIRE_FALSE(r.pick_speaker(mod, "bob", t0));
  auto picked = events_of(r);
  REQUIRE(picked.size() == 1);
  CHECK(picked[0].str("/speaker/id") == "bob");
  REQUIRE(picked[0].size("/queue") == 2);
  CHECK(picked[0].str("/queue/0/id") == "ann");
  CHECK(picked[0].str("/queue/1/id") == "cy");
  // Picking the speaker again changes nothing; a hand that is not up is not found.
  REQUIRE_FALSE(r.pick_speaker(mod, "bob", t0));
  CHECK(events_of(r).empty());
  auto e = r.pick_speaker(mod, "nobody", t0);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);
  CHECK(events_of(r).empty());
  // Another pick ends Bob's turn.
  REQUIRE_FALSE(r.pick_speaker(mod, "cy", t0));
  auto again = events_of(r);
  CHECK(again.at(0).str("/speaker/id") == "cy");
  CHECK(again.at(0).size("/queue") == 1);

  // Ending the turn keeps the queue.
  REQUIRE_FALSE(r.end_turn(mod, t0));
  auto ended = events_of(r);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].is_null("/speaker"));
  CHECK(ended[0].str("/queue/0/id") == "ann");
  REQUIRE_FALSE(r.end_turn(mod, t0));
  CHECK(events_of(r).empty());

  // A moderator lowers Ann's hand; lowering it again tells nobody.
  REQUIRE_FALSE(r.drop_hand(mod, "ann", t0));
  auto dropped = events_of(r);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].size("/queue") == 0);
  REQUIRE_FALSE(r.drop_hand(mod, "ann", t0));
  CHECK(events_of(r).empty());

  // Participants and other tables' moderators may do none of it, and change nothing.
  REQUIRE_FALSE(r.hand(ann, true, t0));
  r.take_outbox();
  auto const before = r.state_json();
  for (auto const& who : {ann.who, person("other", role::moderator, "t2")}) {
    for (auto const& o :
         {r.pick_speaker(who, "ann", t0), r.end_turn(who, t0), r.drop_hand(who, "ann", t0)}) {
      REQUIRE(o);
      CHECK(o->code == error_code::forbidden);
    }
  }
  CHECK(events_of(r).empty());
  CHECK(r.state_json() == before);
  // The chair may.
  REQUIRE_FALSE(r.pick_speaker(person("chair", role::chair), "ann", t0));
  CHECK(snapshot_of(r).str("/speaker/id") == "ann");
}

TEST_CASE("the timer pauses, resumes and extends, and a paused timer never ends",
          "[room][timer][floor]") {
  test_room r(table_cfg(), epoch, 100);
  auto const mod = person("mod", role::moderator, "t1");
  auto e = r.pause_timer(mod, true, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);
  e = r.extend_timer(mod, 30, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);

  REQUIRE_FALSE(r.set_timer(mod, 60, t0));
  r.take_outbox();
  // Paused 20 s in: 40 s left, no end.
  REQUIRE_FALSE(r.pause_timer(mod, true, t0 + 20'000));
  auto paused = events_of(r);
  REQUIRE(paused.size() == 1);
  CHECK(paused[0].str("/type") == "timer");
  CHECK(paused[0].num("/ends_at") == 0);
  CHECK(paused[0].boolean("/paused"));
  CHECK(paused[0].num("/left") == 40'000);
  CHECK(r.timer_ends_at() == 0);
  CHECK(snapshot_of(r).num("/timer/left") == 40'000);
  CHECK(snapshot_of(r).boolean("/timer/paused"));
  r.timer_expired(t0 + 60'000, t0 + 60'000);
  CHECK(events_of(r).empty());
  REQUIRE_FALSE(r.pause_timer(mod, true, t0 + 21'000));  // paused already
  CHECK(events_of(r).empty());

  // Extended while paused, then resumed: 40 + 30 s from the resume.
  REQUIRE_FALSE(r.extend_timer(mod, 30, t0 + 25'000));
  CHECK(events_of(r).at(0).num("/left") == 70'000);
  REQUIRE_FALSE(r.pause_timer(mod, false, t0 + 100'000));
  auto resumed = events_of(r);
  CHECK(resumed.at(0).num("/ends_at") == t0 + 170'000);
  CHECK_FALSE(resumed.at(0).has("/paused"));
  CHECK(resumed.at(0).num("/seconds") == 90);
  CHECK(r.timer_ends_at() == t0 + 170'000);
  // Extended while running: later by that much. The state keeps it all.
  REQUIRE_FALSE(r.extend_timer(mod, 60, t0 + 101'000));
  CHECK(r.timer_ends_at() == t0 + 230'000);
  REQUIRE_FALSE(r.pause_timer(mod, true, t0 + 130'000));
  test_room back(table_cfg(), epoch, 100);
  back.restore(r.seq(), r.state_json(), {});
  CHECK(snapshot_of(back).num("/timer/left") == 100'000);
  // Past a day left: refused, nothing changes.
  auto const before = r.state_json();
  r.take_outbox();
  e = r.extend_timer(mod, 86'400, t0 + 131'000);
  REQUIRE(e);
  CHECK(e->code == error_code::bad_request);
  CHECK(r.state_json() == before);
  CHECK(events_of(r).empty());
  // Only the moderator or the chair.
  e = r.pause_timer(person("ann"), false, t0);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  // A new timer forgets the pause.
  REQUIRE_FALSE(r.set_timer(mod, 10, t0 + 200'000));
  CHECK_FALSE(snapshot_of(r).has("/timer/paused"));
  r.timer_expired(t0 + 210'000, t0 + 210'000);
  CHECK(events_of(r).back().str("/type") == "timer_ended");
}
