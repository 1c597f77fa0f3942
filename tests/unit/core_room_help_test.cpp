// Unit tests of calling the chair in the room domain (domain/room.hpp,
// room_apply_help.cpp): who may call and close a call, one open call per
// table, the chair's join answering it, the direct `help` events (to the
// chairs only), the snapshot, and the durable state.
#include "domain/room.hpp"

#include "tests/unit/json_doc.hpp"
#include "tests/unit/outcome_of.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

participant person(std::string id, role who = role::participant, std::string table = {}) {
  return participant{id, "Name " + id, who, std::move(table)};
}

// A table on the memory engine with the moderator and Ann seated; Bob is not.
class table_room : public room {
 public:
  explicit table_room(bool participants_may_call = false)
      : room(config(participants_may_call), 1, 100) {
    for (auto const* m : {&mod, &ann}) REQUIRE_FALSE(answer(join(*m, t0)));
    take_outbox();
  }
  static table_config config(bool participants_may_call) {
    table_config c{"t1", "Topic", "Grace", 0, true};
    c.help_participants = participants_may_call;
    return c;
  }
  outcome answer(ticket t) { return outcome_of(*this, t); }
  outcome call(member const& m, bool done = false) { return answer(help(m, done, t0)); }
  // The direct events since the last call, each checked to reach the chairs only.
  std::vector<doc> told_chairs() {
    std::vector<doc> out;
    for (auto const& d : take_direct()) {
      CHECK(room::receives(person("c", role::chair), "t1", d));
      CHECK_FALSE(room::receives(person("m", role::moderator, "t1"), "t1", d));
      CHECK_FALSE(room::receives(person("ann"), "t1", d));
      out.emplace_back(*d.json);
    }
    return out;
  }
  doc snapshot() const {
    protocol::json_writer w;
    write_snapshot(w, nullptr);
    return doc(w.release());
  }

  member mod{1, 0, person("mod", role::moderator, "t1")};
  member ann{2, 0, person("ann")};
  member bob{3, 0, person("bob")};
  member other_mod{4, 0, person("mod2", role::moderator, "t2")};
  member chair{5, 0, person("chair", role::chair)};
};

}  // namespace

TEST_CASE("help: the moderator calls the chair once; the chair's join answers", "[room][help]") {
  table_room r;
  CHECK(r.snapshot().is_null("/help"));
  CHECK(r.snapshot().str("/help_from") == "moderators");
  REQUIRE_FALSE(r.call(r.mod));
  CHECK(r.help_requested());
  auto told = r.told_chairs();
  REQUIRE(told.size() == 1);
  CHECK(told[0].str("/type") == "help");
  CHECK(told[0].str("/table") == "t1");
  CHECK(told[0].str("/from/id") == "mod");
  CHECK_FALSE(told[0].boolean("/done"));
  CHECK_FALSE(told[0].has("/seq"));
  CHECK(r.take_outbox().empty());  // nothing at the table itself
  CHECK(r.snapshot().str("/help/from/id") == "mod");

  // Calling again while the call is open: ok, nothing more for the chairs.
  auto const state = r.state_json();
  REQUIRE_FALSE(r.call(r.mod));
  CHECK(r.told_chairs().empty());
  CHECK(r.state_json() == state);

  // The chair comes: the call is answered, and every chair hears it.
  REQUIRE_FALSE(r.answer(r.join(r.chair, t0)));
  CHECK_FALSE(r.help_requested());
  told = r.told_chairs();
  REQUIRE(told.size() == 1);
  CHECK(told[0].boolean("/done"));
  CHECK(told[0].str("/by/id") == "chair");
  CHECK(r.snapshot().is_null("/help"));
}

TEST_CASE("help: who may call and close, each refusal changing nothing", "[room][help]") {
  SECTION("the table's moderator only, by default") {
    table_room r;
    for (auto const* m : {&r.ann, &r.bob, &r.other_mod, &r.chair}) {
      INFO(m->who.id);
      auto const state = r.state_json();
      auto const e = r.call(*m);
      REQUIRE(e);
      CHECK(e->code == error_code::forbidden);
      CHECK(r.state_json() == state);
      CHECK(r.take_direct().empty());
    }
  }
  SECTION("participants seated there, when the table allows it") {
    table_room r(true);
    CHECK(r.snapshot().str("/help_from") == "participants");
    auto const e = r.call(r.bob);  // not seated
    REQUIRE(e);
    CHECK(e->code == error_code::forbidden);
    REQUIRE_FALSE(r.call(r.ann));
    CHECK(r.told_chairs().size() == 1);
    // Closing: the caller, the moderator or the chair; nobody else.
    for (auto const* m : {&r.bob, &r.other_mod}) {
      auto const refused = r.call(*m, true);
      REQUIRE(refused);
      CHECK(refused->code == error_code::forbidden);
      CHECK(r.help_requested());
    }
    REQUIRE_FALSE(r.call(r.ann, true));
    CHECK_FALSE(r.help_requested());
    auto const told = r.told_chairs();
    REQUIRE(told.size() == 1);
    CHECK(told[0].str("/by/id") == "ann");
    // Closing what is closed: ok, nothing said.
    REQUIRE_FALSE(r.call(r.chair, true));
    CHECK(r.take_direct().empty());
    REQUIRE_FALSE(r.call(r.mod));
    REQUIRE_FALSE(r.call(r.chair, true));
    CHECK_FALSE(r.help_requested());
  }
  SECTION("never in the plenary") {
    room p(table_config{std::string(room::plenary_id), "", "", 0, true}, 1, 100);
    member const mod{1, 0, person("mod", role::moderator, "t1")};
    auto const o = outcome_of(p, p.help(mod, false, t0));
    REQUIRE(o);
    CHECK(o->code == error_code::bad_request);
  }
}

TEST_CASE("help: an open call survives in the durable state and a replica", "[room][help]") {
  table_room r;
  REQUIRE_FALSE(r.call(r.mod));
  room back(table_room::config(false), 1, 100);
  back.restore(r.seq(), r.state_json(), {});
  CHECK(back.help_requested());
  room copy(table_room::config(false), 1, 100);
  REQUIRE(copy.load_replica(r.replica_json()));
  CHECK(copy.help_requested());
  CHECK(copy.state_json() == r.state_json());
}
