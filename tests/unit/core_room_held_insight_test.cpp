// Unit tests of pre-moderated insights in the room domain (room_apply.cpp's
// insight, room_apply_moderation.cpp's hold and review): a participant's
// insight at a pre-moderated table waits with the held messages, seen by its
// author and whoever may moderate; approve makes it an ordinary `insight`,
// reject drops it; the queue's bounds count messages and insights together,
// the insight caps count held insights; the durable state keeps the queue.
// The author's copies (events and snapshot) say the item is theirs, also
// behind a pseudonym; the moderators' never name the author.
#include "domain/room.hpp"

#include "tests/unit/json_doc.hpp"
#include "tests/unit/outcome_of.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

participant person(std::string id, role who = role::participant, std::string table = {}) {
  return participant{id, "Name " + id, who, std::move(table)};
}

// A pre-moderated table on the memory engine with its moderator, Ann and Bob seated.
class held_room : public room {
 public:
  explicit held_room(bool anonymous = false) : room(config(anonymous), 1, 1000) {
    for (auto const* m : {&mod, &ann, &bob}) REQUIRE_FALSE(answer(join(*m, t0)));
    take_outbox();
  }
  static table_config config(bool anonymous = false) {
    table_config c{"t1", "Topic", "Grace", 0, true};
    c.premoderate = true;
    c.anonymous = anonymous;
    return c;
  }
  outcome answer(ticket t) { return outcome_of(*this, t); }
  outcome insight(member const& m, std::string const& text) {
    return answer(add_insight(m, text, t0));
  }
  // The direct events since the last call, in pairs: the author's copy,
  // marked `own`, reaches the author only; the moderators' copy, the same
  // but for `own`, reaches the table's moderator and the chair only. Returns
  // the moderators' copies.
  std::vector<doc> told(std::string const& author) {
    auto const direct = take_direct();
    REQUIRE(direct.size() % 2 == 0);
    std::vector<doc> out;
    for (std::size_t i = 0; i < direct.size(); i += 2) {
      auto const& mine = direct[i];
      auto const& theirs = direct[i + 1];
      CHECK(room::receives(person(author), "t1", mine));
      CHECK_FALSE(room::receives(person(author), "t1", theirs));
      for (auto const* d : {&mine, &theirs}) {
        bool const moderators = d == &theirs;
        CHECK(room::receives(person("c", role::chair), "t1", *d) == moderators);
        CHECK(room::receives(person("m", role::moderator, "t1"), "t1", *d) == moderators);
        CHECK_FALSE(room::receives(person("m2", role::moderator, "t2"), "t1", *d));
        CHECK_FALSE(room::receives(person(author + "-not"), "t1", *d));
      }
      doc const own(*mine.json);
      CHECK(own.boolean("/own"));
      out.emplace_back(*theirs.json);
      CHECK_FALSE(out.back().has("/own"));
      CHECK(own.str("/id") == out.back().str("/id"));
      CHECK(own.boolean("/pending") == out.back().boolean("/pending"));
    }
    return out;
  }
  std::vector<doc> events() {
    std::vector<doc> out;
    for (auto const& b : take_outbox()) out.emplace_back(*b);
    return out;
  }
  // What the moderator's snapshot lists as held, and counts as left out.
  std::size_t queued() const {
    auto const snap = snapshot_for(mod.who);
    return snap.size("/pending") +
           static_cast<std::size_t>(std::max<std::int64_t>(0, snap.num("/pending_more")));
  }
  doc snapshot_for(participant const& p) const {
    protocol::json_writer w;
    write_snapshot(w, &p);
    return doc(w.release());
  }

  member mod{1, 0, person("mod", role::moderator, "t1")};
  member ann{2, 0, person("ann")};
  member bob{3, 0, person("bob")};
};

}  // namespace

TEST_CASE("held insight: its author and the moderators see it; approve captures it",
          "[room][premoderation]") {
  held_room r;
  REQUIRE_FALSE(r.insight(r.ann, "a held idea"));
  CHECK(r.events().empty());  // nothing in the table's log yet
  auto held = r.told("ann");
  REQUIRE(held.size() == 1);
  CHECK(held[0].str("/type") == "pending");
  CHECK(held[0].boolean("/insight"));
  CHECK(held[0].boolean("/pending"));
  CHECK(held[0].str("/text") == "a held idea");
  CHECK(held[0].str("/from/id") == "ann");
  auto const id = held[0].str("/id");
  CHECK(r.snapshot_for(r.mod.who).str("/pending/0/id") == id);
  CHECK(r.snapshot_for(r.mod.who).boolean("/pending/0/insight"));
  CHECK(r.snapshot_for(r.ann.who).str("/pending/0/id") == id);
  CHECK(r.snapshot_for(r.bob.who).size("/pending") == 0);
  CHECK(r.snapshot_for(r.bob.who).size("/insights") == 0);
  // Nobody but a moderator decides, and an unknown id is not found.
  CHECK(r.answer(r.review(r.bob.who, id, true, t0))->code == error_code::forbidden);
  CHECK(r.answer(r.review(r.mod.who, "i-none", true, t0))->code == error_code::not_found);
  CHECK(r.events().empty());

  REQUIRE_FALSE(r.answer(r.review(r.mod.who, id, true, t0 + 5)));
  auto const ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/type") == "insight");
  CHECK(ev[0].str("/id") == id);
  CHECK(ev[0].str("/text") == "a held idea");
  CHECK(ev[0].str("/by/id") == "ann");
  auto const decided = r.told("ann");
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].boolean("/insight"));
  CHECK_FALSE(decided[0].boolean("/pending"));
  CHECK(decided[0].boolean("/approved"));
  CHECK(r.snapshot_for(r.mod.who).size("/pending") == 0);
  CHECK(r.snapshot_for(r.bob.who).str("/insights/0/id") == id);
  // Decided once: the second decision finds nothing.
  CHECK(r.answer(r.review(r.mod.who, id, false, t0))->code == error_code::not_found);
  // Voting works on it as on any insight.
  REQUIRE_FALSE(r.answer(r.vote(r.bob, id, t0)));
}

TEST_CASE("held insight: reject drops it; moderators' insights are not held",
          "[room][premoderation]") {
  held_room r;
  REQUIRE_FALSE(r.insight(r.ann, "not this one"));
  auto const id = r.told("ann").at(0).str("/id");
  REQUIRE_FALSE(r.answer(r.review(r.mod.who, id, false, t0)));
  CHECK(r.events().empty());
  auto const decided = r.told("ann");
  REQUIRE(decided.size() == 1);
  CHECK_FALSE(decided[0].boolean("/approved"));
  CHECK(r.snapshot_for(r.mod.who).size("/insights") == 0);

  REQUIRE_FALSE(r.insight(r.mod, "the moderator's"));
  auto const direct = r.events();
  REQUIRE(direct.size() == 1);
  CHECK(direct[0].str("/type") == "insight");
  CHECK(r.take_direct().empty());
}

TEST_CASE("held items: one queue bound for messages and insights, per person and per table",
          "[room][premoderation][limits]") {
  held_room r;
  // Ann's share: messages and insights together.
  for (std::size_t i = 0; i < room::max_held_per_participant; ++i) {
    auto const text = "item " + std::to_string(i);
    auto const o = i % 2 ? r.insight(r.ann, text) : r.answer(r.say(r.ann, text, t0));
    REQUIRE_FALSE(o);
  }
  CHECK(r.answer(r.say(r.ann, "one more", t0))->code == error_code::full);
  CHECK(r.insight(r.ann, "one more")->code == error_code::full);
  REQUIRE_FALSE(r.insight(r.bob, "bob is not locked out"));
  r.take_direct();
  // The table's queue: others fill it up to max_held, then everyone is full.
  std::size_t held = room::max_held_per_participant + 1;
  for (int n = 0; held < room::max_held; ++n) {
    member const m{100ull + n, 0, person("p" + std::to_string(n))};
    REQUIRE_FALSE(r.answer(r.join(m, t0)));
    for (std::size_t i = 0; i < room::max_held_per_participant && held < room::max_held; ++i) {
      REQUIRE_FALSE(r.insight(m, "x"));
      ++held;
    }
  }
  r.events();  // the newcomers' presence
  CHECK(r.queued() == room::max_held);
  CHECK(r.insight(r.bob, "queue full")->code == error_code::full);
  CHECK(r.answer(r.say(r.bob, "queue full", t0))->code == error_code::full);
  CHECK(r.events().size() == 0);
  // The moderator's own items are not held, so the table still talks.
  REQUIRE_FALSE(r.answer(r.say(r.mod, "still here", t0)));
  CHECK(r.events().size() == 1);
}

TEST_CASE("held insights count against the insight caps", "[room][premoderation][limits]") {
  held_room r;
  REQUIRE_FALSE(r.answer(r.set_premoderate(r.mod.who, false, t0)));
  for (std::size_t i = 1; i < room::max_insights_per_participant; ++i)
    REQUIRE_FALSE(r.insight(r.ann, "open " + std::to_string(i)));
  REQUIRE_FALSE(r.answer(r.set_premoderate(r.mod.who, true, t0)));
  REQUIRE_FALSE(r.insight(r.ann, "the last of ann's share, held"));
  auto const id = r.told("ann").at(0).str("/id");
  // Ann's share is taken, held or not; her messages may still wait.
  CHECK(r.insight(r.ann, "over the share")->code == error_code::full);
  REQUIRE_FALSE(r.answer(r.say(r.ann, "a message", t0)));
  r.take_direct();
  r.events();
  REQUIRE_FALSE(r.answer(r.review(r.mod.who, id, true, t0)));
  CHECK(r.snapshot_for(r.bob.who).size("/insights") == room::max_insights_per_participant);

  // The table's cap: the moderator fills it to one short, a held insight takes the last place.
  held_room t;
  for (std::size_t i = 1; i < room::max_insights; ++i)
    REQUIRE_FALSE(t.insight(t.mod, "m " + std::to_string(i)));
  REQUIRE_FALSE(t.insight(t.ann, "the last place, held"));
  auto const last = t.told("ann").at(0).str("/id");
  CHECK(t.insight(t.mod, "over the cap")->code == error_code::full);
  CHECK(t.insight(t.bob, "over the cap")->code == error_code::full);
  t.events();
  REQUIRE_FALSE(t.answer(t.review(t.mod.who, last, true, t0)));
  CHECK(t.events().size() == 1);
}

TEST_CASE("held insights survive the durable state and are approved after it",
          "[room][premoderation][state]") {
  held_room r;
  REQUIRE_FALSE(r.insight(r.ann, "kept"));
  REQUIRE_FALSE(r.answer(r.say(r.ann, "kept too", t0)));
  auto const told = r.told("ann");
  REQUIRE(told.size() == 2);
  auto const state = r.state_json();
  room back(held_room::config(), 1, 1000);
  back.restore(r.seq(), state, {});
  CHECK(back.state_json() == state);
  protocol::json_writer w;
  back.write_snapshot(w, &r.mod.who);
  doc const snap(w.release());
  REQUIRE(snap.size("/pending") == 2);
  CHECK(snap.boolean("/pending/0/insight"));
  CHECK_FALSE(snap.has("/pending/1/insight"));
  REQUIRE_FALSE(outcome_of(back, back.review(r.mod.who, told[0].str("/id"), true, t0)));
  auto const out = back.take_outbox();
  REQUIRE(out.size() == 1);
  CHECK(doc(*out[0]).str("/type") == "insight");
}

TEST_CASE("held anonymous items: the author knows them as theirs, the moderators see a pseudonym",
          "[room][premoderation][anonymous]") {
  held_room r(true);
  REQUIRE_FALSE(r.answer(r.add_insight(r.ann, "a quiet idea", t0, "anon-ann")));
  REQUIRE_FALSE(r.answer(r.say(r.ann, "a quiet word", t0, "anon-ann")));
  auto const held = r.told("ann");  // the pairs' checks: only Ann's copy is `own`
  REQUIRE(held.size() == 2);
  for (auto const& h : held) {
    CHECK(h.str("/from/id") == "anon-ann");
    CHECK(h.str("/from/name") == "Anonymous");
    CHECK(h.text().find("Name ann") == std::string::npos);
    CHECK(h.text().find("\"ann\"") == std::string::npos);
  }
  // Snapshots: Ann's lists both as hers; the moderator's lists both, not as
  // theirs, without her name; Bob's lists none.
  auto const mine = r.snapshot_for(r.ann.who);
  REQUIRE(mine.size("/pending") == 2);
  CHECK(mine.boolean("/pending/0/own"));
  CHECK(mine.boolean("/pending/1/own"));
  auto const moderators = r.snapshot_for(r.mod.who);
  REQUIRE(moderators.size("/pending") == 2);
  CHECK_FALSE(moderators.has("/pending/0/own"));
  CHECK_FALSE(moderators.has("/pending/1/own"));
  for (auto const* at : {"/pending/0/from", "/pending/1/from"}) {
    CHECK(moderators.str(std::string(at) + "/id") == "anon-ann");
    CHECK(moderators.str(std::string(at) + "/name") == "Anonymous");
  }
  CHECK(r.snapshot_for(r.bob.who).size("/pending") == 0);

  // Decided: Ann's copy of the decision is marked hers too.
  REQUIRE_FALSE(r.answer(r.review(r.mod.who, held[1].str("/id"), false, t0)));
  auto const decided = r.told("ann");
  REQUIRE(decided.size() == 1);
  CHECK_FALSE(decided[0].boolean("/approved"));
}
