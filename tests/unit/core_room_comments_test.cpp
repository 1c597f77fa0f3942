// Unit tests of comments after the event in the room domain (domain/room.hpp,
// room_apply_comments.cpp): a comment is held, the chair alone approves or
// rejects it, every bound refuses with its code and leaves the room exactly as
// it was, erasure drops held comments and blanks the name of approved ones,
// and comments survive the durable state and the log's text form.
#include "domain/room.hpp"

#include "tests/unit/answering_room.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t first_epoch = 3;
constexpr std::int64_t t0 = 1'700'000'000'000;

// A table with ann's insight i1 (ann no longer seated: comments come after).
class commented_table : public answering_room {
 public:
  commented_table()
      : answering_room(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100) {
    member const ann_m{1, 0, ann};
    REQUIRE_FALSE(answer(join(ann_m, t0)));
    REQUIRE_FALSE(answer(add_insight(ann_m, "an idea", t0)));
    take_outbox();
  }
  outcome post(participant const& p, std::string id, std::string text, std::string insight = {}) {
    return answer(comment(p, cmd::comment{std::move(id), std::move(insight), std::move(text)}, t0));
  }
  outcome decide(participant const& p, std::string id, bool approve) {
    return answer(review_comment(p, cmd::comment_review{std::move(id), approve}, t0 + 1));
  }

  participant ann{"ann", "Ann", role::participant, {}};
  participant bob{"bob", "Bob", role::participant, {}};
  participant mod{"mod", "Grace", role::moderator, "t1"};
  participant chair{"chair", "Chair", role::chair, {}};
};

}  // namespace

TEST_CASE("a comment is held; the chair approves or rejects it; nobody else may",
          "[room][comments]") {
  commented_table r;
  REQUIRE_FALSE(r.post(r.ann, "c1", "on the idea", "i1"));
  REQUIRE_FALSE(r.post(r.bob, "c2", "on the table"));
  CHECK(r.events().empty());  // no event: held comments are the chair's only
  REQUIRE(r.comments().size() == 2);
  CHECK_FALSE(r.comments()[0].approved);
  CHECK(r.comments()[0].insight == "i1");
  CHECK(r.comments()[0].by.name == "Ann");
  CHECK(r.comments()[0].ts == t0);

  auto const state = r.state_json();
  for (auto const* p : {&r.ann, &r.mod}) {
    auto const o = r.decide(*p, "c1", true);
    REQUIRE(o);
    CHECK(o->code == error_code::forbidden);
  }
  CHECK(r.state_json() == state);
  REQUIRE_FALSE(r.decide(r.chair, "c1", true));
  REQUIRE_FALSE(r.decide(r.chair, "c2", false));
  REQUIRE(r.comments().size() == 1);
  CHECK(r.comments()[0].approved);
  // Decided already: the later decision finds nothing waiting.
  for (auto const* id : {"c1", "c2"}) {
    auto const o = r.decide(r.chair, id, false);
    REQUIRE(o);
    CHECK(o->code == error_code::not_found);
  }
  CHECK(r.events().empty());
}

TEST_CASE("comment bounds refuse with their code and change nothing", "[room][comments]") {
  commented_table r;
  for (std::size_t i = 0; i < room::max_comments_per_person; ++i)
    REQUIRE_FALSE(r.post(r.ann, "a" + std::to_string(i), "text"));
  auto const state = r.state_json();
  struct bad {
    participant who;
    std::string id, text, insight;
    error_code code;
  };
  std::vector<bad> const cases = {
      {r.ann, "a9", "one more", "", error_code::full},
      {r.bob, "b1", std::string(room::max_comment_text + 1, 'x'), "", error_code::bad_request},
      {r.bob, "b1", "", "", error_code::bad_request},
      {r.bob, "", "no id", "", error_code::bad_request},
      {r.bob, "a0", "same id", "", error_code::bad_request},
      {r.bob, "b1", "on nothing", "i9", error_code::not_found},
  };
  for (auto const& b : cases) {
    INFO(b.id << " " << b.text.substr(0, 20));
    auto const o = r.post(b.who, b.id, b.text, b.insight);
    REQUIRE(o);
    CHECK(o->code == b.code);
    CHECK(r.state_json() == state);
  }
  // A rejected comment frees its author's place.
  REQUIRE_FALSE(r.decide(r.chair, "a0", false));
  CHECK_FALSE(r.post(r.ann, "a9", "a better one"));

  // The table's held queue: past it, anyone is refused.
  commented_table full;
  for (std::size_t i = 0; i < room::max_held_comments; ++i) {
    participant p{"p" + std::to_string(i), "P", role::participant, {}};
    REQUIRE_FALSE(full.post(p, "c" + std::to_string(i), "text"));
  }
  auto const o = full.post(full.bob, "last", "text");
  REQUIRE(o);
  CHECK(o->code == error_code::full);
  REQUIRE_FALSE(full.decide(full.chair, "c0", true));
  CHECK_FALSE(full.post(full.bob, "last", "text"));
}

TEST_CASE("erasure drops held comments and blanks the name of approved ones", "[room][comments]") {
  commented_table r;
  REQUIRE_FALSE(r.post(r.ann, "c1", "approved"));
  REQUIRE_FALSE(r.post(r.ann, "c2", "held"));
  REQUIRE_FALSE(r.decide(r.chair, "c1", true));
  r.erase_author("ann", t0 + 2);
  r.take_ready();
  REQUIRE(r.comments().size() == 1);
  CHECK(r.comments()[0].id == "c1");
  CHECK(r.comments()[0].by.name.empty());
  CHECK(r.state_json().find("Ann") == std::string::npos);
}

TEST_CASE("comments survive the durable state and travel in the log's text form",
          "[room][comments][state]") {
  commented_table r;
  REQUIRE_FALSE(r.post(r.ann, "c1", "a \"quoted\"\nline", "i1"));
  REQUIRE_FALSE(r.post(r.bob, "c2", "held"));
  REQUIRE_FALSE(r.decide(r.chair, "c1", true));
  auto const state = r.state_json();
  std::vector<history_entry> history(r.history().begin(), r.history().end());
  room back(table_config{"t1", "Topic", "Grace", 0, true}, first_epoch, 100);
  back.restore(r.seq(), state, history);
  CHECK(back.state_json() == state);
  REQUIRE(back.comments().size() == 2);
  CHECK(back.comments()[0].approved);
  CHECK(back.comments()[0].text == "a \"quoted\"\nline");
  CHECK(back.comments()[0].by.id == "ann");
  CHECK_FALSE(back.comments()[1].approved);

  room_command c{"n1", 7, "", r.ann, t0, cmd::comment{"c9", "i1", "x \"y\""}};
  auto const back_c = command_from_json(command_json(c));
  REQUIRE(back_c);
  auto const* op = std::get_if<cmd::comment>(&back_c->op);
  REQUIRE(op);
  CHECK(op->id == "c9");
  CHECK(op->insight == "i1");
  CHECK(op->text == "x \"y\"");
  room_command d{"n1", 8, "", r.chair, t0, cmd::comment_review{"c9", false}};
  auto const back_d = command_from_json(command_json(d));
  REQUIRE(back_d);
  auto const* rv = std::get_if<cmd::comment_review>(&back_d->op);
  REQUIRE(rv);
  CHECK(rv->id == "c9");
  CHECK_FALSE(rv->approve);
}
