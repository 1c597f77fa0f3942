// The outcome of a room command the way the node reads it in the room unit
// tests: after(), then take_ready() (the memory engine has applied it already).
#pragma once

#include "domain/room.hpp"

#include <catch2/catch.hpp>

namespace roundtable {

inline outcome outcome_of(room& r, room::ticket t) {
  outcome o;
  bool answered = false;
  r.after(t, [&](outcome x) {
    o = std::move(x);
    answered = true;
  });
  for (auto& fn : r.take_ready()) fn();
  REQUIRE(answered);
  return o;
}

}  // namespace roundtable
