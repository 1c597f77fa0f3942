// Unit tests of who is at a table (domain/room.hpp, room_apply_roles.cpp):
// what participants said of themselves at hello in presence and snapshots,
// the table's stakeholder mix, table roles (one holder per role, one role per
// holder), who may give them, refusals that change nothing, the rapporteur's
// draft, erasure, the durable state and the log's text form.
#include "domain/room.hpp"

#include "tests/unit/answering_room.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t first_epoch = 5;
constexpr std::int64_t t0 = 1'700'000'000'000;

// A table on the memory engine with the default roles; ann (researcher, two
// connections), bob (citizen) and cy (said nothing) seated.
class seated_table : public answering_room {
 public:
  seated_table() : answering_room(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100) {
    set_roles({"rapporteur", "note-taker", "timekeeper"});
    REQUIRE_FALSE(answer(join(ann, t0, {"researcher", "water policy"})));
    REQUIRE_FALSE(answer(join(ann2, t0, {"researcher", "water policy"})));
    REQUIRE_FALSE(answer(join(bob, t0, {"citizen", ""})));
    REQUIRE_FALSE(answer(join(cy, t0)));
  }
  outcome give(participant const& by, std::string who, std::string role) {
    return answer(give_role(by, who, role, t0));
  }
  std::string role_of(std::string const& id) const {
    auto const it = roles().find(id);
    return it == roles().end() ? std::string() : it->second.role;
  }

  member ann{1, 0, participant{"ann", "Ann", role::participant, {}}};
  member ann2{2, 0, participant{"ann", "Ann", role::participant, {}}};
  member bob{3, 0, participant{"bob", "Bob", role::participant, {}}};
  member cy{4, 0, participant{"cy", "Cy", role::participant, {}}};
  participant mod{"mod", "Grace", role::moderator, "t1"};
  participant other_mod{"mod2", "Hedy", role::moderator, "t2"};
  participant chair{"chair", "Chair", role::chair, {}};
};

}  // namespace

TEST_CASE("presence and the snapshot show what participants said; the mix counts people",
          "[room][roles]") {
  seated_table r;
  auto const ev = r.events();
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].str("/joined/id") == "ann");
  CHECK(ev[0].str("/joined/stakeholder") == "researcher");
  CHECK(ev[0].str("/joined/expertise") == "water policy");
  CHECK(ev[2].str("/joined/stakeholder") == "citizen");
  CHECK_FALSE(ev[2].has("/joined/expertise"));
  CHECK_FALSE(ev[3].has("/joined/stakeholder"));

  auto const snap = r.snapshot();
  REQUIRE(snap.size("/participants") == 4);
  CHECK(snap.str("/participants/0/stakeholder") == "researcher");
  CHECK(snap.size("/roles") == 0);

  // Ann's two connections count once; Cy said nothing and is not counted.
  // The node recomputes the mix only when the roster changed since it last asked.
  CHECK(r.take_mix_changed());
  CHECK_FALSE(r.take_mix_changed());
  auto const mix = r.mix();
  CHECK(mix == std::map<std::string, std::int64_t>{{"citizen", 1}, {"researcher", 1}});
  REQUIRE_FALSE(r.answer(r.leave(3, t0)));  // bob
  CHECK(r.take_mix_changed());
  CHECK(r.mix() == std::map<std::string, std::int64_t>{{"researcher", 1}});
  REQUIRE_FALSE(r.answer(r.leave(1, t0)));  // one of ann's tabs: she is still here
  CHECK(r.mix() == std::map<std::string, std::int64_t>{{"researcher", 1}});
}

TEST_CASE("a moderator gives roles: the event, the snapshot, one holder per role",
          "[room][roles]") {
  seated_table r;
  r.events();
  REQUIRE_FALSE(r.give(r.mod, "ann", "rapporteur"));
  auto ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/type") == "role");
  CHECK(ev[0].str("/participant") == "ann");
  CHECK(ev[0].str("/role") == "rapporteur");
  CHECK(ev[0].str("/who/name") == "Ann");
  CHECK(ev[0].num("/seq") == static_cast<std::int64_t>(r.seq()));
  auto snap = r.snapshot();
  REQUIRE(snap.size("/roles") == 1);
  CHECK(snap.str("/roles/0/participant") == "ann");
  CHECK(snap.str("/roles/0/role") == "rapporteur");

  // Again as it is: nothing.
  auto const seq = r.seq();
  REQUIRE_FALSE(r.give(r.mod, "ann", "rapporteur"));
  CHECK(r.seq() == seq);

  // The role moves to bob: ann loses it first.
  REQUIRE_FALSE(r.give(r.chair, "bob", "rapporteur"));
  ev = r.events();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].str("/participant") == "ann");
  CHECK(ev[0].is_null("/role"));
  CHECK(ev[1].str("/participant") == "bob");
  CHECK(ev[1].str("/role") == "rapporteur");
  CHECK(r.role_of("ann").empty());

  // A holder has one role: bob's changes.
  REQUIRE_FALSE(r.give(r.mod, "bob", "timekeeper"));
  ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].str("/role") == "timekeeper");
  CHECK(r.roles().size() == 1);

  // Taken back; taking back what is not held is nothing.
  REQUIRE_FALSE(r.give(r.mod, "bob", ""));
  ev = r.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].is_null("/role"));
  CHECK(r.roles().empty());
  REQUIRE_FALSE(r.give(r.mod, "bob", ""));
  CHECK(r.events().empty());
}

TEST_CASE("roles: who may give them and bad input, each refused with nothing changed",
          "[room][roles][permissions]") {
  seated_table r;
  REQUIRE_FALSE(r.give(r.mod, "ann", "note-taker"));
  r.events();
  auto const state = r.state_json();
  auto const seq = r.seq();
  struct bad {
    participant by;
    std::string who, role;
    error_code code;
    std::string message;
  };
  std::vector<bad> const cases = {
      {r.ann.who, "bob", "rapporteur", error_code::forbidden,
       "only the table's moderator or the chair"},
      {r.other_mod, "bob", "rapporteur", error_code::forbidden,
       "only the table's moderator or the chair"},
      {r.ann.who, "ann", "", error_code::forbidden, "only the table's moderator or the chair"},
      {r.mod, "bob", "chief", error_code::bad_request,
       "'chief' is not one of the event's roles (rapporteur, note-taker, timekeeper)"},
      {r.mod, "zed", "rapporteur", error_code::not_found, "'zed' is not at this table"},
  };
  for (auto const& b : cases) {
    INFO(b.by.id << " gives " << b.who << " " << b.role);
    auto const e = r.give(b.by, b.who, b.role);
    REQUIRE(e);
    CHECK(e->code == b.code);
    CHECK(e->message == b.message);
  }
  CHECK(r.state_json() == state);
  CHECK(r.seq() == seq);

  // Someone who left may lose a role but not be given one.
  REQUIRE_FALSE(r.answer(r.leave(3, t0)));
  auto const e = r.give(r.mod, "bob", "timekeeper");
  REQUIRE(e);
  CHECK(e->code == error_code::not_found);

  room plenary(table_config{"plenary", "", "", 0, true}, first_epoch, 100);
  plenary.set_roles({"rapporteur"});
  std::optional<error> got;
  plenary.after(plenary.give_role(r.chair, "ann", "rapporteur", t0), [&](outcome o) { got = o; });
  for (auto& fn : plenary.take_ready()) fn();
  REQUIRE(got);
  CHECK(got->code == error_code::bad_request);
}

TEST_CASE("the rapporteur drafts the summary; only the moderator publishes it",
          "[room][roles][summary]") {
  seated_table r;
  auto const draft = [&](participant const& p, bool publish) {
    return r.answer(r.summary(p, "draft by " + p.id, publish, t0));
  };
  auto e = draft(r.ann.who, false);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  REQUIRE_FALSE(r.give(r.mod, "ann", "rapporteur"));
  CHECK_FALSE(draft(r.ann.who, false));
  CHECK(r.draft_summary() == "draft by ann");
  e = draft(r.ann.who, true);
  REQUIRE(e);
  CHECK(e->code == error_code::forbidden);
  CHECK(r.published_summary().empty());
  // Another role does not draft; the moderator still does, and publishes.
  REQUIRE_FALSE(r.give(r.mod, "bob", "note-taker"));
  CHECK(draft(r.bob.who, false));
  CHECK_FALSE(draft(r.mod, true));
  CHECK(r.published_summary() == "draft by mod");
  // Losing the role ends it.
  REQUIRE_FALSE(r.give(r.mod, "ann", ""));
  CHECK(draft(r.ann.who, false));
}

TEST_CASE("erasure takes a holder's role and what they said; the state and the log keep the rest",
          "[room][roles][state]") {
  seated_table r;
  REQUIRE_FALSE(r.give(r.mod, "ann", "rapporteur"));
  REQUIRE_FALSE(r.give(r.mod, "bob", "timekeeper"));
  auto const state = r.state_json();
  std::vector<history_entry> history(r.history().begin(), r.history().end());
  room back(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  back.restore(r.seq(), state, history);
  CHECK(back.state_json() == state);
  CHECK(back.roles().at("ann").role == "rapporteur");
  CHECK(back.profiles().at("ann").expertise == "water policy");

  room_command c{"n1", 7, "n1:1", r.mod, t0, cmd::join{{"citizen", "a \"line\""}, {}}};
  auto const join_back = command_from_json(command_json(c));
  REQUIRE(join_back);
  CHECK(std::get<cmd::join>(join_back->op).said.stakeholder == "citizen");
  CHECK(std::get<cmd::join>(join_back->op).said.expertise == "a \"line\"");
  c.op = cmd::role{"ann", "note-taker"};
  auto const role_back = command_from_json(command_json(c));
  REQUIRE(role_back);
  CHECK(std::get<cmd::role>(role_back->op).participant == "ann");
  CHECK(std::get<cmd::role>(role_back->op).role == "note-taker");

  r.events();
  r.erase_author("ann", t0);
  r.take_ready();
  auto const ev = r.events();
  auto const role_event =
      std::find_if(ev.begin(), ev.end(), [](doc const& d) { return d.str("/type") == "role"; });
  REQUIRE(role_event != ev.end());
  CHECK(role_event->str("/participant") == "ann");
  CHECK(role_event->is_null("/role"));
  CHECK_FALSE(r.roles().count("ann"));
  CHECK_FALSE(r.profiles().count("ann"));
  CHECK(r.roles().at("bob").role == "timekeeper");
  // The earlier role event in the history keeps no name.
  for (auto const& h : r.history()) {
    if (h.type == "role" && h.author == "ann") CHECK(h.json->find("\"Ann\"") == std::string::npos);
  }
}
