// Unit tests of a subscriber link's channel states (engine/redis/
// subscriptions.hpp), without Redis: what must be sent when, and when a
// waiter runs. A channel let go and wanted again before Redis answered the
// UNSUBSCRIBE is subscribed again only after that answer, and its waiters
// run on the confirmation of that SUBSCRIBE, not of an earlier one.
#include "engine/redis/subscriptions.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using roundtable::redis::subscriptions;

namespace {

void run(std::vector<subscriptions::ready_fn> fns) {
  for (auto& fn : fns) fn();
}

}  // namespace

TEST_CASE("a channel wanted again while its unsubscribe is unanswered waits for the answer",
          "[redis][subscriptions]") {
  subscriptions s;
  CHECK(s.relink().empty());
  int ready = 0;
  CHECK(s.want("room", [&] { ++ready; }));
  CHECK_FALSE(s.delivers("room"));  // not confirmed yet
  run(s.subscribed("room"));
  CHECK(ready == 1);
  CHECK(s.delivers("room"));

  CHECK(s.drop("room"));  // UNSUBSCRIBE goes out
  CHECK_FALSE(s.delivers("room"));
  CHECK_FALSE(s.want("room", [&] { ++ready; }));  // no SUBSCRIBE before the answer
  run(s.ready_now("room"));
  CHECK(ready == 1);
  CHECK(s.unsubscribed("room"));  // the answer: now SUBSCRIBE
  CHECK_FALSE(s.delivers("room"));
  run(s.subscribed("room"));
  CHECK(ready == 2);
  CHECK(s.delivers("room"));
}

TEST_CASE("subscription waiters run once confirmed and are dropped with the link",
          "[redis][subscriptions]") {
  subscriptions s;
  int ready = 0;
  // Link down: wanted, nothing sent, the waiter dropped (the link's coming up
  // is what the engine waits for then).
  CHECK_FALSE(s.want("a", [&] { ++ready; }));
  CHECK(s.relink() == std::vector<std::string>{"a"});
  run(s.subscribed("a"));
  CHECK(ready == 0);
  CHECK(s.delivers("a"));

  // Already subscribed: the waiter is ready at once.
  CHECK_FALSE(s.want("a", [&] { ++ready; }));
  run(s.ready_now("a"));
  CHECK(ready == 1);

  // A waiter queued while joining does not run after the link dropped.
  CHECK(s.want("b", [&] { ++ready; }));
  s.unlink();
  CHECK_FALSE(s.delivers("a"));
  CHECK(s.relink() == std::vector<std::string>{"a", "b"});
  run(s.subscribed("b"));
  CHECK(ready == 1);

  // Dropped while joining: both answers come; it ends off and forgotten.
  CHECK(s.want("c", {}));
  CHECK(s.drop("c"));
  CHECK(s.subscribed("c").empty());
  CHECK_FALSE(s.delivers("c"));
  CHECK_FALSE(s.unsubscribed("c"));
  s.unlink();
  CHECK(s.relink() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("many let-go and hold cycles within one round trip end subscribed once",
          "[redis][subscriptions]") {
  subscriptions s;
  s.relink();
  REQUIRE(s.want("t", {}));
  run(s.subscribed("t"));
  int subscribes = 0, unsubscribes = 0;
  for (int i = 0; i < 100; ++i) {
    unsubscribes += s.drop("t") ? 1 : 0;
    subscribes += s.want("t", {}) ? 1 : 0;
  }
  CHECK(unsubscribes == 1);
  CHECK(subscribes == 0);
  CHECK(s.unsubscribed("t"));
  run(s.subscribed("t"));
  CHECK(s.delivers("t"));
}
