// Unit tests of replies held for the engine's confirmation (sequencer::
// confirms(), what --redis-wait-replicas turns on): a command applied on its
// node is answered only once the engine confirms it (sequenced) or fails it,
// whichever order the apply and the confirmation come in; the events go out
// at the apply either way. Without confirms() the apply answers at once.
#include "domain/room.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

constexpr std::uint64_t epoch = 21;
constexpr std::int64_t t0 = 1'700'000'000'000;

// The engine's side by hand: submit() keeps the command for the test to apply.
struct held_log final : sequencer {
  explicit held_log(bool confirming) : confirming_(confirming) {}
  void submit(room&, room_command c) override { queued.push_back(std::move(c)); }
  std::string const& node_id() const noexcept override { return id_; }
  bool confirms() const noexcept override { return confirming_; }
  std::vector<room_command> queued;

 private:
  bool confirming_;
  std::string id_ = "n1";
};

struct fixture {
  explicit fixture(bool confirming)
      : log(confirming),
        r(table_config{"t1", "Topic", "Grace", 0, true}, epoch, 100, nullptr, &log) {
    auto const t = r.join(ann, t0);
    apply_next();
    r.sequenced(t, epoch, lsn);
    r.take_ready();
    r.take_outbox();
  }
  // Applies the oldest queued command at the next log position.
  void apply_next() {
    REQUIRE(!log.queued.empty());
    auto c = log.queued.front();
    log.queued.erase(log.queued.begin());
    r.apply(++lsn, epoch, c);
  }
  // Records the answer to `t` in `answer` when it is given.
  void watch(room::ticket t) {
    r.after(t,
            [this](outcome o) { answer = o ? std::string(protocol::to_string(o->code)) : "ok"; });
  }
  // Runs the answers given so far; the answer to the watched ticket, if any.
  std::optional<std::string> ready() {
    for (auto& fn : r.take_ready()) fn();
    return answer;
  }

  held_log log;
  room r;
  member ann{1, 0, participant{"ann", "Ann", role::participant, ""}};
  std::uint64_t lsn = 0;
  std::optional<std::string> answer;
};

}  // namespace

TEST_CASE("a confirming engine: the reply waits for the confirmation, the event does not",
          "[room][confirm]") {
  fixture f(true);
  auto const t = f.r.say(f.ann, "hello", t0);
  f.watch(t);
  f.apply_next();
  CHECK(f.r.take_outbox().size() == 1);  // the message is out
  CHECK_FALSE(f.ready());                // the reply is not
  f.r.sequenced(t, epoch, f.lsn);
  CHECK(f.ready() == "ok");
}

TEST_CASE("a confirming engine: a failure after the apply answers unavailable", "[room][confirm]") {
  fixture f(true);
  auto const t = f.r.say(f.ann, "hello", t0);
  f.watch(t);
  f.apply_next();
  CHECK_FALSE(f.ready());
  f.r.failed(t, {error_code::unavailable, "not on the replicas"});
  CHECK(f.ready() == "unavailable");
  f.r.sequenced(t, epoch, f.lsn);  // a late confirmation changes nothing
  CHECK(f.r.take_ready().empty());
}

TEST_CASE("a confirming engine: confirmed before the apply, answered at the apply",
          "[room][confirm]") {
  fixture f(true);
  auto const t = f.r.say(f.ann, "hello", t0);
  f.watch(t);
  f.r.sequenced(t, epoch, f.lsn + 1);
  CHECK_FALSE(f.ready());
  f.apply_next();
  CHECK(f.ready() == "ok");
}

TEST_CASE("a confirming engine: a refused op is answered with its error once confirmed",
          "[room][confirm]") {
  fixture f(true);
  member stranger{2, 0, participant{"bo", "Bo", role::participant, ""}};
  auto const t = f.r.say(stranger, "not seated", t0);
  f.watch(t);
  f.apply_next();
  CHECK(f.r.take_outbox().empty());
  CHECK_FALSE(f.ready());
  f.r.sequenced(t, epoch, f.lsn);
  CHECK(f.ready() == "forbidden");
}

TEST_CASE("an engine that does not confirm: the apply answers at once", "[room][confirm]") {
  fixture f(false);
  auto const t = f.r.say(f.ann, "hello", t0);
  f.watch(t);
  f.apply_next();
  CHECK(f.ready() == "ok");
}
