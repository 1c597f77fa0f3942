// A room on the memory engine for unit tests of one rule set: commands apply
// during the operation, and answer() reads the outcome the way the node does
// (after(), then take_ready()); events() and snapshot() parse what it emitted
// and what a joiner with no identity is shown.
#pragma once

#include "domain/room.hpp"
#include "tests/unit/json_doc.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace roundtable {

class answering_room : public room {
 public:
  using room::room;
  outcome answer(ticket t) {
    outcome o;
    bool answered = false;
    after(t, [&](outcome x) {
      o = std::move(x);
      answered = true;
    });
    for (auto& fn : take_ready()) fn();
    REQUIRE(answered);
    return o;
  }
  std::vector<doc> events() {
    std::vector<doc> out;
    for (auto const& b : take_outbox()) out.emplace_back(*b);
    return out;
  }
  doc snapshot() const {
    protocol::json_writer w;
    write_snapshot(w, {});
    return doc(w.release());
  }
};

}  // namespace roundtable
