// Unit tests of the room as a replicated state machine (domain/room.hpp,
// domain/room_command.hpp), without sockets: several replicas of one room fed
// one ordered log, as the Redis engine feeds every node. A property test
// applies random command sequences (through the log's text form) on several
// replicas and compares state and event bytes after every command, and loads
// a replica from a snapshot plus the log's tail half way; concurrency shapes
// submit on two nodes before either has applied anything (two hands at once,
// five joins for two seats, ten voters, two creates of one table) and check
// every event and every answer; the hosts' plenary commands (a recall's end
// submitted by every node's countdown, moves) decided once in log order.
#include "domain/room.hpp"

#include "tests/unit/json_doc.hpp"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t epoch = 11;
constexpr std::int64_t t0 = 1'700'000'000'000;

table_config table_cfg(std::int64_t capacity = 0) {
  return table_config{"t1", "Topic", "Grace", capacity, true};
}

participant person(std::string id, role who = role::participant, std::string moderates = {}) {
  return participant{id, "Name " + id, who, std::move(moderates)};
}

// One room's log shared by several nodes. submit() only queues, as if the
// command were on its way to Redis; deliver() gives the queued commands their
// places in the order they were queued, or reversed, and applies each on every
// replica through the log's text form.
struct shared_log {
  struct entry {
    room* from;
    room_command c;
  };
  std::vector<room*> replicas;
  std::vector<entry> queued;
  std::uint64_t lsn = 0;
  std::vector<std::string> log;  // every entry, in log order

  void deliver(bool reversed = false) {
    auto batch = std::exchange(queued, {});
    if (reversed) std::reverse(batch.begin(), batch.end());
    for (auto& e : batch) {
      ++lsn;
      log.push_back(command_json(e.c));
      for (auto* r : replicas) {
        auto const c = command_from_json(log.back());
        REQUIRE(c);
        r->apply(lsn, epoch, *c);
      }
      e.from->sequenced(e.c.ticket, epoch, lsn);
    }
  }
};

struct node_log final : sequencer {
  node_log(shared_log& l, std::string name) : log(l), id(std::move(name)) {}
  void submit(room& r, room_command c) override { log.queued.push_back({&r, std::move(c)}); }
  std::string const& node_id() const noexcept override { return id; }
  shared_log& log;
  std::string id;
};

// A few nodes, each with its replica of table t1.
struct cluster {
  explicit cluster(std::size_t nodes, table_config cfg = table_cfg()) {
    for (std::size_t i = 0; i < nodes; ++i) {
      seqs.push_back(std::make_unique<node_log>(log, "n" + std::to_string(i + 1)));
      rooms.push_back(std::make_unique<room>(cfg, epoch, 1000, nullptr, seqs.back().get()));
      log.replicas.push_back(rooms.back().get());
    }
  }
  room& at(std::size_t i) { return *rooms[i]; }
  // Every answer given on node i so far, in the order given.
  void answer(std::size_t node, room::ticket t, std::string who) {
    at(node).after(t, [this, who = std::move(who)](outcome o) {
      answers.emplace_back(who, o ? std::string(protocol::to_string(o->code)) : "ok");
    });
  }
  void run_ready() {
    for (auto& r : rooms) {
      for (auto& fn : r->take_ready()) fn();
    }
  }
  // The events of each replica since the last call: identical bytes on all.
  std::vector<std::string> events() {
    std::vector<std::string> first;
    for (std::size_t i = 0; i < rooms.size(); ++i) {
      std::vector<std::string> mine;
      for (auto const& b : rooms[i]->take_outbox()) mine.push_back(*b);
      if (i == 0) {
        first = mine;
      } else {
        CHECK(mine == first);
      }
    }
    return first;
  }
  void check_same_state() {
    for (std::size_t i = 1; i < rooms.size(); ++i)
      CHECK(rooms[i]->replica_json() == rooms[0]->replica_json());
  }

  shared_log log;
  std::vector<std::unique_ptr<node_log>> seqs;
  std::vector<std::unique_ptr<room>> rooms;
  std::vector<std::pair<std::string, std::string>> answers;
};

// Ann seated through node 1 and Bob through node 2, their events taken.
std::pair<member, member> seat_two(cluster& cl) {
  auto const ann = member{1, 0, person("ann")};
  auto const bob = member{2, 0, person("bob")};
  cl.at(0).join(ann, t0);
  cl.at(1).join(bob, t0);
  cl.log.deliver();
  cl.events();
  return {ann, bob};
}

std::vector<std::int64_t> seqs_of(std::vector<std::string> const& events) {
  std::vector<std::int64_t> out;
  for (auto const& e : events) out.push_back(doc(e).num("/seq"));
  return out;
}

// --- random command sequences ------------------------------------------------

struct generator {
  std::mt19937_64 rng;
  std::vector<participant> people{person("a"),
                                  person("b"),
                                  person("c"),
                                  person("m", role::moderator, "t1"),
                                  person("x", role::moderator, "t2"),
                                  person("ch", role::chair)};
  std::uint64_t next_id = 0;

  explicit generator(std::uint64_t seed) : rng(seed) {}
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  }
  std::string some_item(char prefix) {
    return std::string(1, prefix) + "-n" + std::to_string(1 + pick(2)) + "-" +
           std::to_string(1 + pick(static_cast<std::size_t>(next_id) + 1));
  }

  // Moderation, now and then: mostly undoing, since a removal refuses the
  // person's later ops and pre-moderation holds the says and insights, leaving little to check.
  command_op moderation_op() {
    auto const who = people[pick(people.size())].id;
    switch (pick(8)) {
      case 0:
        return cmd::hide{pick(2) == 0 ? some_item('m') : some_item('i'), pick(3) != 0};
      // The hosts' plenary commands: a table refuses them, the same on every replica.
      case 5:
        return cmd::move{who, "", "t2", {}};
      case 6:
        return cmd::recall{static_cast<std::int64_t>(pick(3)) * 30, pick(4) == 0};
      case 7:
        return cmd::recall_ended{static_cast<std::int64_t>(pick(3)) * 1000};
      case 1:
        return cmd::mute{who, pick(3) != 0, "why"};
      case 2:
        return cmd::remove_member{{who, pick(4) == 0, "why"}};
      case 3:
        return cmd::premoderate{pick(4) == 0};
      default:
        return cmd::review{pick(2) == 0 ? some_item('m') : some_item('i'), pick(2) == 0};
    }
  }

  // Now and then anonymous: a table refuses it unless its config allows it.
  std::string alias() { return pick(5) == 0 ? "anon-" + std::to_string(pick(3)) : std::string(); }

  room_command next(std::int64_t ts) {
    room_command c;
    auto const who = pick(people.size());
    c.who = people[who];
    // Two connections per person, on two nodes.
    c.conn = "n" + std::to_string(1 + pick(2)) + ":" + std::to_string(who);
    c.origin = "n" + std::to_string(1 + pick(3));
    c.ticket = ++next_id;
    c.ts = ts;
    if (pick(6) == 0) {
      c.op = moderation_op();
      return c;
    }
    switch (pick(21)) {
      case 0:
      case 1:
        c.op = cmd::join{};
        break;
      case 2:
        c.op = cmd::leave{};
        break;
      case 3:
        c.op = cmd::say{some_item('m'), "text " + std::to_string(next_id), alias()};
        break;
      case 4:
        c.op = cmd::hand{pick(3) != 0};
        break;
      case 5:
        c.op = cmd::speaker{pick(4) == 0};
        break;
      case 6:
        c.op = cmd::insight{some_item('i'), "idea " + std::to_string(next_id), alias()};
        break;
      case 7:
      case 8:
        c.op = cmd::vote{some_item('i'), pick(4) != 0};
        break;
      case 9:
        c.op = cmd::del{some_item('m')};
        break;
      case 10:
        c.op = cmd::timer{static_cast<std::int64_t>(pick(3)) * 30};
        break;
      case 11:
        c.op = cmd::timer_ended{ts - static_cast<std::int64_t>(pick(3)) * 1000};
        break;
      case 12:
        c.op = cmd::summary{"summary " + std::to_string(next_id), pick(2) == 0};
        break;
      case 13:
        c.op = cmd::open{pick(3) != 0};
        break;
      case 14:
        c.op = cmd::del_insight{some_item('i')};
        break;
      case 16:
        c.op = cmd::pick{people[pick(people.size())].id};
        break;
      case 17:
        c.op = cmd::end_turn{};
        break;
      case 18:
        c.op = cmd::drop_hand{people[pick(people.size())].id};
        break;
      case 19:
        c.op = cmd::timer_pause{pick(2) == 0};
        break;
      case 20:
        c.op = cmd::timer_extend{static_cast<std::int64_t>(pick(3)) * 30};
        break;
      default:
        // Late in the sequence: an erased participant's every later op is
        // refused, which would leave little else to check.
        if (next_id > 300 && pick(5) == 0)
          c.op = cmd::erase{people[pick(people.size())].id};
        else
          c.op = cmd::say{some_item('m'), "text " + std::to_string(next_id), alias()};
        break;
    }
    return c;
  }
};

}  // namespace

TEST_CASE("random command sequences on three replicas give identical state and events",
          "[room][log][property]") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    generator gen(seed);
    std::vector<std::unique_ptr<room>> replicas;
    for (int i = 0; i < 3; ++i) replicas.push_back(std::make_unique<room>(table_cfg(3), epoch, 40));
    std::unique_ptr<room> late;  // loads a snapshot half way, then the tail
    std::vector<std::string> log;
    std::size_t events = 0, refused = 0;
    // 500 commands: enough that every seed's mix of 21 kinds emits over 40 events.
    for (std::uint64_t lsn = 1; lsn <= 500; ++lsn) {
      auto const c = gen.next(t0 + static_cast<std::int64_t>(lsn) * 1000);
      log.push_back(command_json(c));
      auto const parsed = command_from_json(log.back());
      REQUIRE(parsed);
      REQUIRE(command_json(*parsed) == log.back());
      std::vector<std::string> first_events;
      std::string first_outcome;
      for (std::size_t i = 0; i < replicas.size(); ++i) {
        // Replica 0 applies the command as built, the others as read back from the log.
        auto const o = replicas[i]->apply(lsn, epoch, i == 0 ? c : *parsed);
        std::string const outcome_text = o ? std::string(protocol::to_string(o->code)) : "ok";
        std::vector<std::string> mine;
        for (auto const& b : replicas[i]->take_outbox()) mine.push_back(*b);
        if (i == 0) {
          first_events = mine;
          first_outcome = outcome_text;
          events += mine.size();
          refused += o.has_value();
          if (o) CHECK(mine.empty());  // an error emits nothing
        } else {
          REQUIRE(mine == first_events);
          REQUIRE(outcome_text == first_outcome);
          REQUIRE(replicas[i]->replica_json() == replicas[0]->replica_json());
        }
      }
      if (lsn == 250) {
        late = std::make_unique<room>(table_cfg(3), epoch + 99, 40);
        REQUIRE(late->load_replica(replicas[0]->replica_json()));
      } else if (late) {
        late->apply(lsn, epoch, *parsed);
        late->take_outbox();
      }
      // Seqs stay gapless as clients see them: refused commands take none.
      REQUIRE(replicas[0]->seq() == events);
    }
    REQUIRE(late->replica_json() == replicas[0]->replica_json());
    CHECK(refused > 0);
    CHECK(events > 40);
  }
}

TEST_CASE("two hands raised on two nodes before either is applied: both are in the queue",
          "[room][log][hands]") {
  for (bool reversed : {false, true}) {
    cluster cl(2);
    auto const [ann, bob] = seat_two(cl);
    cl.answer(0, cl.at(0).hand(ann, true, t0), "ann");
    cl.answer(1, cl.at(1).hand(bob, true, t0), "bob");
    cl.log.deliver(reversed);
    cl.run_ready();
    auto const events = cl.events();
    REQUIRE(events.size() == 2);
    doc const first(events[0]), second(events[1]);
    CHECK(first.size("/queue") == 1);
    CHECK(second.size("/queue") == 2);
    CHECK(second.str("/queue/0/id") == (reversed ? "bob" : "ann"));
    CHECK(second.str("/queue/1/id") == (reversed ? "ann" : "bob"));
    CHECK(seqs_of(events) == std::vector<std::int64_t>{3, 4});
    CHECK(cl.answers.size() == 2);
    for (auto const& [who, answer] : cl.answers) CHECK(answer == "ok");
    cl.check_same_state();
  }
}

TEST_CASE("capacity 2, five joins on two nodes at once: two seated, three told full",
          "[room][log][capacity]") {
  cluster cl(2, table_cfg(2));
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto const node = i % 2;
    cl.answer(node, cl.at(node).join(member{i, 0, person("p" + std::to_string(i))}, t0),
              "p" + std::to_string(i));
  }
  cl.log.deliver();
  cl.run_ready();
  auto const events = cl.events();
  REQUIRE(events.size() == 2);
  for (auto const& e : events) CHECK(doc(e).str("/type") == "presence");
  CHECK(seqs_of(events) == std::vector<std::int64_t>{1, 2});
  // The first two in the log are seated (p1 on n2, p2 on n1); the rest are full.
  REQUIRE(cl.answers.size() == 5);
  std::map<std::string, std::string> by_who(cl.answers.begin(), cl.answers.end());
  CHECK(by_who["p1"] == "ok");
  CHECK(by_who["p2"] == "ok");
  for (auto const* p : {"p3", "p4", "p5"}) CHECK(by_who[p] == "full");
  for (auto& r : cl.rooms) CHECK(r->count() == 2);
  // Only the seated connections became members on their nodes.
  CHECK(cl.at(1).has_member(1));
  CHECK(cl.at(0).has_member(2));
  CHECK_FALSE(cl.at(1).has_member(3));
  CHECK_FALSE(cl.at(0).has_member(4));
  cl.check_same_state();
}

TEST_CASE("a leave goes into the log in the leaver's name, seated or still joining",
          "[room][log][membership]") {
  cluster cl(2);
  auto const mod = person("m1", role::moderator, "t1");
  auto& n1 = cl.at(0);
  n1.join(member{1, 1, mod}, t0);
  cl.log.deliver();
  CHECK(n1.has_member(1));
  CHECK(n1.workers() == std::vector<std::uint32_t>{0, 1});
  // The second one leaves before its join has a place in the log.
  n1.join(member{2, 0, person("p2")}, t0);
  n1.leave(1, t0 + 1);
  n1.leave(2, t0 + 2);
  cl.log.deliver();
  CHECK(n1.workers() == std::vector<std::uint32_t>{0, 0});
  for (auto& r : cl.rooms) CHECK(r->count() == 0);

  std::vector<participant> leavers;
  for (auto const& entry : cl.log.log) {
    auto const c = command_from_json(entry);
    REQUIRE(c);
    if (std::holds_alternative<cmd::leave>(c->op)) leavers.push_back(c->who);
  }
  REQUIRE(leavers.size() == 2);
  CHECK(leavers[0].id == "m1");
  CHECK(leavers[0].name == "Name m1");
  CHECK(leavers[0].who == role::moderator);
  CHECK(leavers[0].moderates == "t1");
  CHECK(leavers[1].id == "p2");
  CHECK(leavers[1].name == "Name p2");
  cl.check_same_state();
}

TEST_CASE("ten voters at once on two nodes: votes 1 to 10, the snapshot says 10",
          "[room][log][votes]") {
  cluster cl(2);
  std::vector<member> voters;
  for (std::uint64_t i = 1; i <= 10; ++i) {
    voters.push_back(member{i, 0, person("v" + std::to_string(i))});
    cl.at(i % 2).join(voters.back(), t0);
  }
  cl.log.deliver();
  cl.at(0).add_insight(voters[1], "the idea", t0);
  cl.log.deliver();
  auto const made = cl.events();
  std::string const id = doc(made.back()).str("/id");
  // "i-<node>-<process>-<n>": the process mark is 16 hex digits.
  REQUIRE(id.size() == std::string("i-n1-").size() + 16 + 2);
  REQUIRE(id.starts_with("i-n1-"));
  REQUIRE(id.ends_with("-1"));
  REQUIRE(id.substr(5, 16).find_first_not_of("0123456789abcdef") == std::string::npos);
  for (auto const& v : voters) cl.answer(v.conn % 2, cl.at(v.conn % 2).vote(v, id, t0), v.who.id);
  cl.log.deliver();
  cl.run_ready();
  auto const events = cl.events();
  REQUIRE(events.size() == 10);
  for (std::size_t i = 0; i < events.size(); ++i) {
    doc const e(events[i]);
    CHECK(e.str("/type") == "insight");
    CHECK(e.num("/votes") == static_cast<std::int64_t>(i + 1));
  }
  for (auto const& [who, answer] : cl.answers) CHECK(answer == "ok");
  protocol::json_writer w;
  cl.at(1).write_snapshot(w);
  CHECK(doc(w.release()).num("/insights/0/votes") == 10);
  // A second vote by the same person is refused at apply, on its own node only.
  cl.answers.clear();
  cl.answer(1, cl.at(1).vote(voters[0], id, t0), "again");
  cl.log.deliver();
  cl.run_ready();
  CHECK(cl.events().empty());
  REQUIRE(cl.answers.size() == 1);
  CHECK(cl.answers[0] == std::pair<std::string, std::string>{"again", "forbidden"});
  cl.check_same_state();
}

TEST_CASE("two nodes create one table id at once: the first in the log wins, once",
          "[room][log][create]") {
  cluster cl(2, table_config{std::string(room::plenary_id), "", "", 0, true});
  for (auto& r : cl.rooms) r->set_known_tables({"t1"});
  cl.answer(0, cl.at(0).table_created(table_config{"new", "From n1", "", 2, true}, t0), "n1");
  cl.answer(1, cl.at(1).table_created(table_config{"new", "From n2", "", 9, true}, t0), "n2");
  cl.answer(1, cl.at(1).table_created(table_config{"t1", "Config", "", 0, true}, t0), "t1");
  cl.answer(0, cl.at(0).table_created(table_config{"plenary", "No", "", 0, true}, t0), "p");
  cl.log.deliver();
  cl.run_ready();
  auto const events = cl.events();
  REQUIRE(events.size() == 1);
  CHECK(doc(events[0]).str("/topic") == "From n1");
  std::map<std::string, std::string> by_who(cl.answers.begin(), cl.answers.end());
  CHECK(by_who["n1"] == "ok");
  CHECK(by_who["n2"] == "bad_request");
  CHECK(by_who["t1"] == "bad_request");
  CHECK(by_who["p"] == "bad_request");
  for (auto& r : cl.rooms) {
    auto const created = r->take_created();
    REQUIRE(created.size() == 1);
    CHECK(created[0].capacity == 2);  // every node opens the winner's table
  }
  cl.check_same_state();
}

TEST_CASE("creates past --max-tables on two nodes at once: the log admits the first that fit",
          "[room][log][create][limits]") {
  for (bool reversed : {false, true}) {
    cluster cl(2, table_config{std::string(room::plenary_id), "", "", 0, true});
    for (auto& r : cl.rooms) {
      r->set_known_tables({"t1"});
      r->set_max_tables(3);
    }
    for (int i = 0; i < 6; ++i) {
      auto const id = "new" + std::to_string(i);
      cl.answer(i % 2, cl.at(i % 2).table_created(table_config{id, "T", "", 0, true}, t0), id);
    }
    cl.log.deliver(reversed);
    cl.run_ready();
    auto const events = cl.events();
    REQUIRE(events.size() == 2);
    std::map<std::string, std::string> by_who(cl.answers.begin(), cl.answers.end());
    std::size_t ok = 0, full = 0;
    for (auto const& [id, answer] : by_who) {
      ok += answer == "ok";
      full += answer == "full";
    }
    CHECK(ok == 2);
    CHECK(full == 4);
    for (auto const& e : events) CHECK(by_who[doc(e).str("/table")] == "ok");
    for (auto& r : cl.rooms) CHECK(r->take_created().size() == 2);
    cl.check_same_state();
  }
}

TEST_CASE("one participant's insights from two nodes at once stop at the quota in log order",
          "[room][log][limits]") {
  cluster cl(2);
  member const ann1{1, 0, person("ann")};
  member const ann2{2, 0, person("ann")};
  member const bob{3, 0, person("bob")};
  cl.at(0).join(ann1, t0);
  cl.at(1).join(ann2, t0);
  cl.at(1).join(bob, t0);
  cl.log.deliver();
  cl.events();
  auto const n = room::max_insights_per_participant + 6;
  for (std::size_t i = 0; i < n; ++i) {
    auto const& m = i % 2 ? ann2 : ann1;
    cl.answer(i % 2, cl.at(i % 2).add_insight(m, "idea " + std::to_string(i), t0), "ann");
  }
  cl.answer(1, cl.at(1).add_insight(bob, "bob's", t0), "bob");
  cl.log.deliver();
  cl.run_ready();
  CHECK(cl.events().size() == room::max_insights_per_participant + 1);
  std::size_t ok = 0, full = 0;
  for (auto const& [who, answer] : cl.answers) {
    if (who == "bob") CHECK(answer == "ok");
    if (who != "ann") continue;
    ok += answer == "ok";
    full += answer == "full";
  }
  CHECK(ok == room::max_insights_per_participant);
  CHECK(full == 6);
  cl.check_same_state();
}

TEST_CASE("erasure and the erased person's ops in flight on another node: nothing after it counts",
          "[room][log][erase]") {
  cluster cl(2);
  member const ann{1, 0, person("ann")};
  member const bob{2, 0, person("bob")};
  cl.at(0).join(ann, t0);
  cl.at(1).join(bob, t0);
  cl.log.deliver();
  cl.at(1).add_insight(bob, "bob's", t0);
  cl.log.deliver();
  std::string const id = doc(cl.events().back()).str("/id");
  cl.answer(0, cl.at(0).vote(ann, id, t0), "vote");
  cl.answer(0, cl.at(0).hand(ann, true, t0), "hand");
  cl.at(1).erase_author("ann", t0);
  cl.answer(0, cl.at(0).say(ann, "still here", t0), "say");
  cl.answer(0, cl.at(0).hand(ann, true, t0), "hand again");
  cl.log.deliver();
  cl.run_ready();
  std::vector<std::string> types;
  for (auto const& e : cl.events()) types.push_back(doc(e).str("/type"));
  CHECK(types == std::vector<std::string>{"insight", "hands", "erased", "insight", "hands"});
  std::map<std::string, std::string> by_who(cl.answers.begin(), cl.answers.end());
  CHECK(by_who["vote"] == "ok");
  CHECK(by_who["say"] == "forbidden");
  CHECK(by_who["hand again"] == "forbidden");
  for (auto& r : cl.rooms) {
    CHECK(r->erased("ann"));
    CHECK(r->take_erased() == std::vector<std::string>{"ann"});
    protocol::json_writer w;
    r->write_snapshot(w);
    doc const snap(w.release());
    CHECK(snap.num("/insights/0/votes") == 0);
    CHECK(snap.size("/hands") == 0);
  }
  cl.check_same_state();
}

TEST_CASE("a failure nobody waits for reaches nobody; each error reaches its own client",
          "[room][log][answers]") {
  cluster cl(1);
  auto const ann = member{1, 0, person("ann")};
  auto const bob = member{2, 0, person("bob")};
  cl.at(0).join(ann, t0);
  cl.at(0).join(bob, t0);
  cl.log.deliver();
  // Bob's leave could not be sequenced (Redis down): nobody waits for it.
  auto const gone = cl.at(0).leave(bob.conn, t0);
  cl.log.queued.clear();
  cl.at(0).failed(gone, {error_code::unavailable, "Redis is unreachable; try again"});
  // Ann's message, sequenced later, is answered ok.
  cl.answer(0, cl.at(0).say(ann, "hello", t0), "ann");
  // And a refused vote answers its own sender with its own error.
  cl.answer(0, cl.at(0).vote(ann, "i-none", t0), "vote");
  cl.log.deliver();
  cl.run_ready();
  REQUIRE(cl.answers.size() == 2);
  CHECK(cl.answers[0] == std::pair<std::string, std::string>{"ann", "ok"});
  CHECK(cl.answers[1] == std::pair<std::string, std::string>{"vote", "not_found"});
}

TEST_CASE("a command the replica was loaded past answers unavailable, not silence",
          "[room][log][answers]") {
  cluster cl(2);
  auto const ann = member{1, 0, person("ann")};
  cl.at(0).join(ann, t0);
  cl.log.deliver();
  cl.answer(0, cl.at(0).say(ann, "hello", t0), "ann");
  // The command gets its place, but this replica never sees it: it loads a
  // snapshot taken after it instead (a gap beyond the stream).
  auto const queued = std::exchange(cl.log.queued, {});
  ++cl.log.lsn;
  auto const c = command_from_json(command_json(queued[0].c));
  cl.at(1).apply(cl.log.lsn, epoch, *c);
  cl.at(0).sequenced(queued[0].c.ticket, epoch, cl.log.lsn);
  CHECK(cl.answers.empty());  // still waiting: it may yet arrive
  REQUIRE(cl.at(0).load_replica(cl.at(1).replica_json()));
  cl.run_ready();
  REQUIRE(cl.answers.size() == 1);
  CHECK(cl.answers[0] == std::pair<std::string, std::string>{"ann", "unavailable"});
  cl.at(0).take_outbox();
  cl.at(1).take_outbox();
  cl.check_same_state();
}

TEST_CASE("the log's text form reads back every op and refuses damaged entries",
          "[room][log][codec]") {
  generator gen(7);
  for (int i = 0; i < 200; ++i) {
    auto const c = gen.next(t0 + i);
    auto const json = command_json(c);
    auto const back = command_from_json(json);
    REQUIRE(back);
    CHECK(command_json(*back) == json);
  }
  for (char const* bad :
       {"", "{", "[]", "{\"op\":\"fly\"}", "{\"op\":\"say\",\"text\":3}",
        "{\"op\":\"hand\",\"who\":{\"role\":\"king\"}}", "{\"op\":\"report\",\"table\":\"t1\"}"}) {
    INFO(bad);
    CHECK_FALSE(command_from_json(bad));
  }
  // The reaper's leave, as the Lua script writes it.
  auto const reaped =
      command_from_json(R"({"op":"leave","origin":"","ticket":0,"conn":"n1:7","ts":5})");
  REQUIRE(reaped);
  CHECK(std::holds_alternative<cmd::leave>(reaped->op));
  CHECK(reaped->conn == "n1:7");
  CHECK(reaped->ts == 5);
}

namespace {

table_config plenary_cfg() {
  return table_config{std::string(room::plenary_id), "Plenary", "", 0, true};
}

}  // namespace

TEST_CASE("a recall's countdown ends once though every node's countdown fires",
          "[room][log][hosts]") {
  cluster nodes(3, plenary_cfg());
  auto const chair = person("ch", role::chair);
  nodes.answer(0, nodes.at(0).recall(person("a"), cmd::recall{60, false}, t0), "participant");
  nodes.answer(1, nodes.at(1).recall(chair, cmd::recall{0, true}, t0), "cancel none");
  nodes.answer(2, nodes.at(2).recall(chair, cmd::recall{60, false}, t0), "chair");
  nodes.log.deliver();
  nodes.run_ready();
  auto events = nodes.events();
  REQUIRE(events.size() == 1);
  CHECK(doc(events[0]).str("/type") == "recall");
  CHECK(doc(events[0]).num("/ends_at") == t0 + 60'000);
  CHECK(doc(events[0]).str("/by/id") == "ch");
  CHECK_FALSE(doc(events[0]).boolean("/ended"));
  using answer = std::pair<std::string, std::string>;
  CHECK(nodes.answers == std::vector<answer>{{"participant", "forbidden"},
                                             {"cancel none", "not_found"},
                                             {"chair", "ok"}});
  for (auto& r : nodes.rooms) CHECK(r->recall_ends_at() == t0 + 60'000);

  // Every node's countdown runs out, and one of them again late: one end.
  for (auto& r : nodes.rooms) r->recall_expired(t0 + 60'000, t0 + 60'001);
  nodes.log.deliver(GENERATE(false, true));
  nodes.at(0).recall_expired(t0 + 60'000, t0 + 60'002);  // ended here already: nothing
  nodes.log.deliver();
  events = nodes.events();
  REQUIRE(events.size() == 1);
  CHECK(doc(events[0]).boolean("/ended"));
  CHECK(doc(events[0]).num("/ends_at") == t0 + 60'000);
  for (auto& r : nodes.rooms) {
    CHECK(r->take_recalled());  // each node takes its own connections off the tables
    CHECK_FALSE(r->take_recalled());
    CHECK(r->recall_ends_at() == 0);
  }
  nodes.check_same_state();
}

TEST_CASE("a recall called off or set again: the old countdown's end changes nothing",
          "[room][log][hosts]") {
  cluster nodes(2, plenary_cfg());
  auto const chair = person("ch", role::chair);
  nodes.at(0).recall(chair, cmd::recall{60, false}, t0);
  nodes.log.deliver();
  nodes.at(1).recall(chair, cmd::recall{120, false}, t0 + 1000);  // set again
  nodes.at(0).recall_expired(t0 + 60'000, t0 + 60'000);           // the first's end
  nodes.log.deliver();
  CHECK(nodes.at(0).recall_ends_at() == t0 + 121'000);
  nodes.at(1).recall(chair, cmd::recall{0, true}, t0 + 2000);  // called off
  nodes.at(0).recall_expired(t0 + 121'000, t0 + 121'000);
  nodes.log.deliver();
  auto const events = nodes.events();
  REQUIRE(events.size() == 3);
  CHECK(doc(events[1]).num("/ends_at") == t0 + 121'000);
  CHECK(doc(events[2]).num("/ends_at") == 0);
  CHECK_FALSE(doc(events[2]).boolean("/ended"));
  for (auto& r : nodes.rooms) {
    CHECK_FALSE(r->take_recalled());
    CHECK(r->recall_ends_at() == 0);
  }
  // At once (0 s): ended in the same apply, on every replica.
  nodes.at(1).recall(chair, cmd::recall{0, false}, t0 + 3000);
  nodes.log.deliver();
  auto const now = nodes.events();
  REQUIRE(now.size() == 1);
  CHECK(doc(now[0]).boolean("/ended"));
  for (auto& r : nodes.rooms) CHECK(r->take_recalled());
}

TEST_CASE("a move reaches every replica of the plenary; a refused one reaches none",
          "[room][log][hosts]") {
  cluster nodes(2, plenary_cfg());
  for (auto& r : nodes.rooms) r->set_known_tables({"t1", "t2"});
  auto const chair = person("ch", role::chair);
  nodes.answer(0, nodes.at(0).move(person("m", role::moderator, "t1"), {"a", "", "t2", {}}, t0),
               "moderator");
  nodes.answer(0, nodes.at(0).move(chair, {"a", "", "t9", {}}, t0), "unknown table");
  nodes.answer(1, nodes.at(1).move(chair, {"", "Name a", "t2", {}}, t0), "by name");
  nodes.log.deliver();
  nodes.run_ready();
  using answer = std::pair<std::string, std::string>;
  CHECK(nodes.answers == std::vector<answer>{{"moderator", "forbidden"},
                                             {"unknown table", "not_found"},
                                             {"by name", "ok"}});
  CHECK(nodes.events().empty());  // nothing in the plenary's history
  for (auto& r : nodes.rooms) {
    auto const orders = r->take_moves();
    REQUIRE(orders.size() == 1);
    CHECK(orders[0].what.name == "Name a");
    CHECK(orders[0].what.table == "t2");
    CHECK(orders[0].by.id == "ch");
  }
}

// A node lets go of a replica nobody there uses (the Redis engine after its
// linger): the room keeps its config only, and a load from another replica's
// snapshot brings it back equal. It refuses while a member is here, and the
// ids its node stamps go on from where they were (a new message never takes
// an old one's id, which a delete would then hit).
TEST_CASE("a replica let go drops its state and loads it back whole", "[room][log][shed]") {
  cluster cl(2);
  auto const [ann, bob] = seat_two(cl);
  cl.at(1).say(bob, "from bob", t0);
  for (int i = 0; i < 300; ++i) cl.at(0).say(ann, "message " + std::to_string(i), t0 + i);
  cl.at(0).hand(ann, true, t0);
  cl.log.deliver();
  cl.run_ready();
  auto const first_id = doc(cl.events().at(0)).str("/id");
  REQUIRE_FALSE(first_id.empty());
  CHECK_FALSE(cl.at(1).shed());  // bob is here
  cl.at(1).leave(bob.conn, t0);
  cl.log.deliver();
  cl.run_ready();
  cl.events();
  auto const before = cl.at(1).replica_json();
  REQUIRE(cl.at(1).shed());
  CHECK(cl.at(1).log_position() == 0);
  CHECK(cl.at(1).epoch() == 0);
  CHECK(cl.at(1).history().empty());
  CHECK(cl.at(1).count() == 0);
  CHECK(cl.at(1).config().id == "t1");
  auto const after = cl.at(1).replica_json();
  WARN("a let-go replica's state: " << before.size() << " bytes before, " << after.size()
                                    << " after");
  CHECK(after.size() * 20 < before.size());
  CHECK_FALSE(cl.at(0).shed());  // ann is here

  // The log goes on without node 2's replica, then it loads a snapshot.
  cl.log.replicas.pop_back();
  cl.at(0).say(ann, "while let go", t0);
  cl.log.deliver();
  cl.log.replicas.push_back(&cl.at(1));
  REQUIRE(cl.at(1).load_replica(cl.at(0).replica_json()));
  cl.at(0).take_outbox();
  cl.check_same_state();
  auto const bob2 = member{3, 0, person("bob")};
  cl.at(1).join(bob2, t0);
  cl.log.deliver();
  cl.at(1).say(bob2, "from bob again", t0);
  cl.log.deliver();
  auto const ev = cl.events();
  REQUIRE(ev.size() == 2);
  CHECK(doc(ev[1]).str("/text") == "from bob again");
  CHECK(doc(ev[1]).str("/id") != first_id);
  cl.check_same_state();
}
