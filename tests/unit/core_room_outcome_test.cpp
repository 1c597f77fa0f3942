// Unit tests of insights' outcomes in the room domain (domain/room.hpp,
// room_apply_outcomes.cpp): the `outcome` event and what snapshots and
// `insight` events then show, the change history and its bound, who may set a
// status, every refusal leaving the room exactly as it was, the durable state
// and the log's text form.
#include "domain/room.hpp"

#include "protocol/command.hpp"
#include "tests/unit/answering_room.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t first_epoch = 3;
constexpr std::int64_t t0 = 1'700'000'000'000;

// A table on the memory engine (commands apply during the operation) with
// ann and bob seated, ann's insights i1 and i2, and bob's vote on i1.
class table_with_insights : public answering_room {
 public:
  table_with_insights()
      : answering_room(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100) {
    for (auto const* m : {&ann, &bob}) REQUIRE_FALSE(answer(join(*m, t0)));
    REQUIRE_FALSE(answer(add_insight(ann, "first <b>idea</b>", t0)));
    REQUIRE_FALSE(answer(add_insight(ann, "second", t0)));
    REQUIRE_FALSE(answer(vote(bob, "i1", t0)));
    take_outbox();
  }
  outcome decide(participant const& p, std::string insight, std::string status,
                 std::string note = {}, std::string into = {}, std::int64_t ts = t0) {
    return answer(set_outcome(
        p, cmd::outcome{std::move(insight), std::move(status), std::move(note), std::move(into)},
        ts));
  }
  insight_entry const& insight(std::string const& id) const {
    for (auto const* i : ranked_insights()) {
      if (i->id == id) return *i;
    }
    FAIL("no insight " << id);
    throw;
  }

  member ann{1, 0, participant{"ann", "Ann", role::participant, {}}};
  member bob{2, 0, participant{"bob", "Bob", role::participant, {}}};
  participant mod{"mod", "Grace", role::moderator, "t1"};
  participant other_mod{"mod2", "Hedy", role::moderator, "t2"};
  participant chair{"chair", "Chair", role::chair, {}};
};

}  // namespace

TEST_CASE("a moderator sets an outcome: the event, the snapshot, later insight events",
          "[room][outcome]") {
  table_with_insights r;
  CHECK(r.snapshot().str("/insights/0/status") == "open");
  CHECK(r.snapshot().str("/insights/0/note") == "");

  REQUIRE_FALSE(r.decide(r.mod, "i1", "taken_up", "Goes into recommendation 2.", {}, t0 + 5));
  auto ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/type") == "outcome");
  CHECK(ev[0].str("/room") == "t1");
  CHECK(ev[0].num("/seq") == static_cast<std::int64_t>(r.seq()));
  CHECK(ev[0].str("/insight") == "i1");
  CHECK(ev[0].str("/status") == "taken_up");
  CHECK(ev[0].str("/note") == "Goes into recommendation 2.");
  CHECK(ev[0].str("/by/id") == "mod");
  CHECK(ev[0].str("/by/name") == "Grace");
  CHECK(ev[0].str("/by/role") == "moderator");
  CHECK(ev[0].num("/ts") == t0 + 5);
  CHECK_FALSE(ev[0].has("/into"));

  auto const snap = r.snapshot();
  CHECK(snap.str("/insights/0/id") == "i1");
  CHECK(snap.str("/insights/0/status") == "taken_up");
  CHECK(snap.str("/insights/0/note") == "Goes into recommendation 2.");
  CHECK(snap.str("/insights/1/status") == "open");

  // A vote's insight event carries the status too.
  REQUIRE_FALSE(r.answer(r.vote(r.ann, "i1", t0)));
  ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/type") == "insight");
  CHECK(ev[0].str("/status") == "taken_up");
  CHECK(ev[0].str("/note") == "Goes into recommendation 2.");

  // The chair merges i2 into i1: `into` in the event and the snapshot.
  REQUIRE_FALSE(r.decide(r.chair, "i2", "merged", "Same idea.", "i1", t0 + 9));
  ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/status") == "merged");
  CHECK(ev[0].str("/into") == "i1");
  CHECK(ev[0].str("/by/role") == "chair");
  CHECK(r.snapshot().str("/insights/1/into") == "i1");

  auto const& history = r.insight("i2").history;
  REQUIRE(history.size() == 1);
  CHECK(history[0].status == "merged");
  CHECK(history[0].into == "i1");
  CHECK(history[0].by.name == "Chair");
  CHECK(history[0].ts == t0 + 9);
}

TEST_CASE("an outcome set again as it is changes nothing; a new note is a change",
          "[room][outcome]") {
  table_with_insights r;
  REQUIRE_FALSE(r.decide(r.mod, "i1", "noted", "Seen."));
  r.events();
  auto const seq = r.seq();
  REQUIRE_FALSE(r.decide(r.mod, "i1", "noted", "Seen."));
  CHECK(r.seq() == seq);
  CHECK(r.events().empty());
  REQUIRE_FALSE(r.decide(r.mod, "i1", "noted", "Seen, thanks."));
  CHECK(r.events().size() == 1);
  CHECK(r.insight("i1").history.size() == 2);
  // Back to open clears it, and is kept as a change.
  REQUIRE_FALSE(r.decide(r.mod, "i1", "open"));
  CHECK(r.insight("i1").status == "open");
  CHECK(r.insight("i1").note.empty());
  CHECK(r.insight("i1").history.size() == 3);
}

TEST_CASE("the change history keeps the latest max_outcome_history changes", "[room][outcome]") {
  table_with_insights r;
  auto const n = room::max_outcome_history + 3;
  for (std::size_t k = 0; k < n; ++k) {
    REQUIRE_FALSE(r.decide(r.mod, "i1", "noted", "note " + std::to_string(k), {},
                           t0 + static_cast<std::int64_t>(k)));
  }
  auto const& history = r.insight("i1").history;
  REQUIRE(history.size() == room::max_outcome_history);
  CHECK(history.front().note == "note 3");
  CHECK(history.back().note == "note " + std::to_string(n - 1));
  CHECK(history.back().ts == t0 + static_cast<std::int64_t>(n - 1));
}

TEST_CASE("who may set an outcome: the table's moderator and the chair only",
          "[room][outcome][permissions]") {
  table_with_insights r;
  auto const state = r.state_json();
  auto const seq = r.seq();
  for (auto const* p : {&r.ann.who, &r.other_mod}) {
    INFO(p->id);
    auto const e = r.decide(*p, "i1", "taken_up", "mine");
    REQUIRE(e);
    CHECK(e->code == error_code::forbidden);
    CHECK(e->message == "only the table's moderator or the chair");
  }
  CHECK(r.state_json() == state);
  CHECK(r.seq() == seq);
  // The moderator and the chair need not be seated.
  CHECK_FALSE(r.decide(r.mod, "i1", "taken_up"));
  CHECK_FALSE(r.decide(r.chair, "i2", "out_of_scope"));
  // The admin API's identity: a chair.
  CHECK_FALSE(r.decide(participant{"admin", "Organisers", role::chair, {}}, "i2", "noted"));
}

TEST_CASE("bad outcomes are refused and change nothing", "[room][outcome]") {
  table_with_insights r;
  REQUIRE_FALSE(r.decide(r.mod, "i2", "merged", {}, "i1"));
  REQUIRE_FALSE(r.answer(r.add_insight(r.ann, "third", t0)));
  REQUIRE_FALSE(r.answer(r.delete_insight(r.mod, "i3", t0)));
  r.events();
  auto const state = r.state_json();
  auto const seq = r.seq();
  struct bad {
    std::string insight, status, note, into;
    error_code code;
    std::string message;
  };
  std::vector<bad> const cases = {
      {"i9", "noted", "", "", error_code::not_found, "no such insight"},
      {"i3", "noted", "", "", error_code::not_found, "no such insight"},  // deleted
      {"i1", "merged", "", "i9", error_code::not_found, "no insight 'i9' to merge into"},
      {"i1", "merged", "", "i3", error_code::not_found, "no insight 'i3' to merge into"},
      {"i1", "merged", "", "i2", error_code::bad_request,
       "'i2' is merged into this insight already"},
      {"i1", "merged", "", "i1", error_code::bad_request, "not a valid outcome"},
      {"i1", "merged", "", "", error_code::bad_request, "not a valid outcome"},
      {"i1", "noted", "", "i2", error_code::bad_request, "not a valid outcome"},
      {"i1", "done", "", "", error_code::bad_request, "not a valid outcome"},
      {"i1", "noted", std::string(protocol::limits::note + 1, 'n'), "", error_code::bad_request,
       "not a valid outcome"},
  };
  for (auto const& b : cases) {
    INFO(b.insight << " " << b.status << " into " << b.into);
    auto const e = r.decide(r.mod, b.insight, b.status, b.note, b.into);
    REQUIRE(e);
    CHECK(e->code == b.code);
    CHECK(e->message == b.message);
  }
  CHECK(r.state_json() == state);
  CHECK(r.seq() == seq);

  room plenary(table_config{"plenary", "", "", 0, true}, first_epoch, 100);
  auto const t = plenary.set_outcome(r.chair, cmd::outcome{"i1", "noted", "", ""}, t0);
  std::optional<error> got;
  plenary.after(t, [&](outcome o) { got = o; });
  for (auto& fn : plenary.take_ready()) fn();
  REQUIRE(got);
  CHECK(got->code == error_code::bad_request);
}

TEST_CASE("outcomes survive the durable state and travel in the log's text form",
          "[room][outcome][state]") {
  table_with_insights r;
  REQUIRE_FALSE(r.decide(r.mod, "i1", "taken_up", "In.", {}, t0 + 1));
  REQUIRE_FALSE(r.decide(r.chair, "i2", "merged", "Dup \"quoted\"", "i1", t0 + 2));
  auto const state = r.state_json();
  std::vector<history_entry> history(r.history().begin(), r.history().end());
  room back(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  back.restore(r.seq(), state, history);
  CHECK(back.state_json() == state);
  auto const ranked = back.ranked_insights();
  REQUIRE(ranked.size() == 2);
  CHECK(ranked[0]->status == "taken_up");
  CHECK(ranked[0]->note == "In.");
  CHECK(ranked[1]->status == "merged");
  CHECK(ranked[1]->into == "i1");
  REQUIRE(ranked[1]->history.size() == 1);
  CHECK(ranked[1]->history[0].by.id == "chair");
  CHECK(ranked[1]->history[0].ts == t0 + 2);

  room_command c{"n1", 7, "", r.mod, t0, cmd::outcome{"i2", "merged", "a\nb \"c\"", "i1"}};
  auto const back_c = command_from_json(command_json(c));
  REQUIRE(back_c);
  auto const* op = std::get_if<cmd::outcome>(&back_c->op);
  REQUIRE(op);
  CHECK(op->insight == "i2");
  CHECK(op->status == "merged");
  CHECK(op->note == "a\nb \"c\"");
  CHECK(op->into == "i1");
}

TEST_CASE("erasing who decided blanks their name in the change history", "[room][outcome]") {
  table_with_insights r;
  REQUIRE_FALSE(r.decide(r.mod, "i1", "noted", "ok"));
  r.erase_author("mod", t0);
  r.take_ready();
  auto const& h = r.insight("i1").history;
  REQUIRE(h.size() == 1);
  CHECK(h[0].by.id == "mod");
  CHECK(h[0].by.name.empty());
  CHECK(r.insight("i1").status == "noted");
}
