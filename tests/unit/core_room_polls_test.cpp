// Unit tests of polls and reactions in the room domain (domain/room.hpp,
// room_apply_polls.cpp): ballots and reactions change the state and publish no
// room event; their counts come out of take_coalesced once per change set; the
// close is a room event with the final counts; refusals change nothing; two
// replicas fed the same log agree byte for byte; the durable state and the
// log's text form keep everything.
#include "domain/room.hpp"

#include "protocol/command.hpp"
#include "tests/unit/json_doc.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t first_epoch = 3;
constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr auto thumbs = "\xF0\x9F\x91\x8D";
constexpr auto idea = "\xF0\x9F\x92\xA1";

// A table on the memory engine with ann and bob seated and ann's message m2.
class table_with_poll : public room {
 public:
  table_with_poll() : room(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100) {
    for (auto const* m : {&ann, &bob}) REQUIRE_FALSE(answer(join(*m, t0)));
    REQUIRE_FALSE(answer(say(ann, "hello", t0)));
    take_outbox();
  }
  outcome answer(ticket t) {
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
  outcome ask(participant const& p, bool multiple = false, bool live = true) {
    return answer(poll(p, cmd::poll{{}, "Which?", {"a", "b", "c"}, multiple, live}, t0));
  }
  outcome ballot(member const& m, std::vector<std::int64_t> choices, std::string id = "q1") {
    return answer(poll_vote(m, cmd::poll_vote{std::move(id), std::move(choices)}, t0));
  }
  outcome reaction(member const& m, std::string emoji, std::string item = "m3") {
    return answer(react(m, cmd::react{std::move(item), std::move(emoji)}, t0));
  }
  std::vector<doc> coalesced() {
    std::vector<doc> out;
    for (auto const& e : take_coalesced()) out.emplace_back(*e.json);
    return out;
  }
  doc snapshot(participant const* viewer) const {
    protocol::json_writer w;
    write_snapshot(w, viewer);
    return doc(w.release());
  }

  member ann{1, 0, participant{"ann", "Ann", role::participant, {}}};
  member bob{2, 0, participant{"bob", "Bob", role::participant, {}}};
  member stranger{3, 0, participant{"out", "Out", role::participant, {}}};  // never seated
  participant mod{"mod", "Grace", role::moderator, "t1"};
  participant other_mod{"mod2", "Hedy", role::moderator, "t2"};
  participant chair{"chair", "Chair", role::chair, {}};
};

}  // namespace

TEST_CASE("a poll: ballots publish nothing, counts are coalesced, the close is an event",
          "[room][polls]") {
  table_with_poll r;
  CHECK(r.ask(r.ann.who)->code == error_code::forbidden);
  CHECK(r.ask(r.other_mod)->code == error_code::forbidden);
  REQUIRE_FALSE(r.ask(r.mod));
  auto const created = r.take_outbox();
  REQUIRE(created.size() == 1);
  CHECK(doc(*created[0]).str("/id") == "q1");
  auto const seq = r.seq();

  CHECK(r.ballot(r.stranger, {0})->code == error_code::forbidden);
  CHECK(r.ballot(r.ann, {0, 1})->code == error_code::bad_request);
  CHECK(r.ballot(r.ann, {3})->code == error_code::bad_request);
  CHECK(r.ballot(r.ann, {0}, "q9")->code == error_code::not_found);
  CHECK_FALSE(r.coalesce_pending());
  REQUIRE_FALSE(r.ballot(r.ann, {1}));
  REQUIRE_FALSE(r.ballot(r.bob, {1}));
  REQUIRE_FALSE(r.ballot(r.bob, {2}));  // replaced
  CHECK(r.take_outbox().empty());
  CHECK(r.seq() == seq);
  REQUIRE(r.coalesce_pending());
  auto const counts = r.coalesced();
  REQUIRE(counts.size() == 1);  // one event for three ballots
  CHECK(counts[0].text() ==
        R"({"type":"poll_results","room":"t1","poll":"q1","counts":[0,1,1],"open":true})");
  CHECK_FALSE(r.coalesce_pending());
  REQUIRE_FALSE(r.ballot(r.bob, {2}));  // the same ballot: nothing to tell
  CHECK_FALSE(r.coalesce_pending());

  // A late joiner's snapshot: counts and their own ballot.
  auto const snap = r.snapshot(&r.bob.who);
  CHECK(snap.num("/polls/0/counts/2") == 1);
  CHECK(snap.num("/polls/0/mine/0") == 2);

  REQUIRE_FALSE(r.ballot(r.ann, {0}));
  CHECK(r.answer(r.poll_close(r.ann.who, "q1", t0))->code == error_code::forbidden);
  REQUIRE_FALSE(r.answer(r.poll_close(r.chair, "q1", t0)));
  auto const closed = r.take_outbox();
  REQUIRE(closed.size() == 1);
  doc const final_counts(*closed[0]);
  CHECK(final_counts.str("/type") == "poll_results");
  CHECK(final_counts.num("/seq") == static_cast<std::int64_t>(seq + 1));
  CHECK(final_counts.num("/counts/0") == 1);
  CHECK_FALSE(final_counts.boolean("/open"));
  CHECK(r.coalesced().empty());  // the close told it: no coalesced counts after it
  CHECK(r.ballot(r.ann, {1})->code == error_code::forbidden);
  REQUIRE_FALSE(r.answer(r.poll_close(r.mod, "q1", t0)));
  CHECK(r.take_outbox().empty());
}

TEST_CASE("a poll shown at close keeps its counts for those who run the room", "[room][polls]") {
  table_with_poll r;
  REQUIRE_FALSE(r.ask(r.mod, true, false));
  REQUIRE_FALSE(r.ballot(r.ann, {2, 0}));
  auto const events = r.take_coalesced();
  REQUIRE(events.size() == 1);
  CHECK(events[0].moderators_only);
  CHECK_FALSE(r.snapshot(&r.bob.who).has("/polls/0/counts"));
  CHECK(r.snapshot(&r.mod).num("/polls/0/counts/2") == 1);
  CHECK(r.snapshot(&r.ann.who).num("/polls/0/mine/1") == 2);  // sorted
  CHECK(room::may_run_polls(r.chair, "plenary"));
  CHECK_FALSE(room::may_run_polls(r.mod, "plenary"));
  CHECK_FALSE(room::may_run_polls(r.other_mod, "t1"));
}

TEST_CASE("polls per room are bounded", "[room][polls]") {
  table_with_poll r;
  for (std::size_t i = 0; i < room::max_polls; ++i) REQUIRE_FALSE(r.ask(r.mod));
  auto const seq = r.seq();
  CHECK(r.ask(r.mod)->code == error_code::full);
  CHECK(r.seq() == seq);
}

TEST_CASE("reactions: one per person per item, toggled, coalesced, bounded", "[room][reactions]") {
  table_with_poll r;
  CHECK(r.reaction(r.stranger, thumbs)->code == error_code::forbidden);
  CHECK(r.reaction(r.ann, thumbs, "m99")->code == error_code::not_found);
  CHECK_FALSE(r.coalesce_pending());
  REQUIRE_FALSE(r.reaction(r.ann, thumbs));
  REQUIRE_FALSE(r.reaction(r.bob, thumbs));
  REQUIRE_FALSE(r.reaction(r.bob, idea));  // replaces bob's
  CHECK(r.take_outbox().empty());
  auto const events = r.coalesced();
  REQUIRE(events.size() == 1);
  CHECK(events[0].num(std::string("/items/m3/") + thumbs) == 1);
  CHECK(events[0].num(std::string("/items/m3/") + idea) == 1);
  REQUIRE_FALSE(r.reaction(r.ann, thumbs));  // the same again takes it back
  auto const back = r.coalesced();
  REQUIRE(back.size() == 1);
  CHECK_FALSE(back[0].has(std::string("/items/m3/") + thumbs));
  auto const snap = r.snapshot(&r.bob.who);
  CHECK(snap.num(std::string("/reactions/m3/") + idea) == 1);
  CHECK(snap.str("/reacted/m3") == idea);

  // Past max_reacted_items, the item reacted to first loses its reactions.
  for (std::size_t i = 0; i < room::max_reacted_items; ++i) {
    REQUIRE_FALSE(r.answer(r.say(r.ann, "more", t0)));
    REQUIRE_FALSE(r.reaction(r.bob, thumbs, "m" + std::to_string(r.seq())));
  }
  CHECK_FALSE(r.snapshot(&r.bob.who).has("/reactions/m3"));
}

TEST_CASE("polls and reactions: replicas agree, the state and the log keep them",
          "[room][polls][state]") {
  table_with_poll a, b;
  for (auto* r : {&a, &b}) {
    REQUIRE_FALSE(r->ask(r->mod, true));
    REQUIRE_FALSE(r->ballot(r->ann, {0, 2}));
    REQUIRE_FALSE(r->ballot(r->bob, {1}));
    REQUIRE_FALSE(r->reaction(r->bob, idea));
  }
  CHECK(a.state_json() == b.state_json());
  auto const ea = a.take_coalesced(), eb = b.take_coalesced();
  REQUIRE(ea.size() == eb.size());
  for (std::size_t i = 0; i < ea.size(); ++i) CHECK(*ea[i].json == *eb[i].json);

  auto const state = a.state_json();
  std::vector<history_entry> history(a.history().begin(), a.history().end());
  room back(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  back.restore(a.seq(), state, history);
  CHECK(back.state_json() == state);
  REQUIRE(back.polls().size() == 1);
  CHECK(back.polls()[0].counts() == std::vector<std::uint64_t>{1, 1, 1});
  CHECK(back.polls()[0].multiple);

  for (auto const& op : std::vector<command_op>{
           cmd::poll{"q-A-1", "Q \"x\"", {"a", "b\n"}, true, false}, cmd::poll_vote{"q1", {2, 0}},
           cmd::poll_close{"q1"}, cmd::react{"m3", thumbs}}) {
    room_command c{"n1", 7, "n1:3", a.mod, t0, op};
    auto const again = command_from_json(command_json(c));
    REQUIRE(again);
    CHECK(command_json(*again) == command_json(c));
  }
}
