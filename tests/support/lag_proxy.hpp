// A TCP proxy for tests, in front of a redis-server: it makes a node's
// subscription lag behind its commands. Every connection it accepts on
// 127.0.0.1 goes on to the target port; the server's bytes to a connection
// whose client sent SUBSCRIBE (a node's subscriber link) reach the client a
// fixed delay after they left the server, in order. Every other connection
// (a node's command link) passes through at once, unless every link is to
// lag. So a PUBLISH that Redis answered on the command link arrives `delay`
// later, as on a loaded network or a Redis busy writing to many subscribers.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

namespace roundtable::test {

class lag_proxy {
 public:
  // Which connections lag: the subscribers, or every one (then the answers on
  // a node's command link lag as well, and its loads take round trips of
  // `delay`).
  enum class lagging { subscribers, every_link };
  // Listening when it returns; `port()` is where clients connect.
  lag_proxy(int target_port, std::chrono::milliseconds delay, lagging which = lagging::subscribers);
  // Closes every connection (both sides) and joins its threads.
  ~lag_proxy();
  lag_proxy(lag_proxy const&) = delete;
  lag_proxy& operator=(lag_proxy const&) = delete;

  int port() const noexcept;
  // The connections accepted so far, and how many of them are delayed: a test
  // checks that the lag it meant to provoke was there.
  std::size_t connections() const;
  std::size_t delayed_connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace roundtable::test
