// Driving an io_context from a test thread: run handlers until a condition
// holds, with a limit that only stops a broken test from hanging.
#pragma once

#include <chrono>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace roundtable::test {

// Runs `io` until `done()` holds or `limit` passes; returns `done()`.
template <class Done>
bool run_until(boost::asio::io_context& io, Done done,
               std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  auto const deadline = std::chrono::steady_clock::now() + limit;
  // The previous call's guard, when it went, may have stopped an idle `io`.
  if (io.stopped()) io.restart();
  auto guard = boost::asio::make_work_guard(io);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Keeps `io` running for `d`, whatever happens.
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  run_until(
      io, [] { return false; }, d);
}

}  // namespace roundtable::test
