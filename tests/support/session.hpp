// What integration tests of a running session share: tokens signed with the
// test's secret, a connection seated at a table, error codes of replies, and
// "every event up to my marker", which makes "nothing else happened" testable
// without sleeping: a marker message said last comes after everything before.
#pragma once

#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace roundtable::test {

// "ok", or the error code of a reply.
inline std::string code_of(message const& reply) {
  return reply.boolean("ok") ? "ok" : reply.str("/error/code");
}

// One connection with its token field, seated at `table` when given.
inline std::unique_ptr<ws_client> seated(int port, std::string const& tok,
                                         std::string const& table) {
  auto c = std::make_unique<ws_client>(port);
  REQUIRE(c->hello("x", tok).boolean("ok"));
  if (!table.empty()) REQUIRE(c->request("join", "\"table\":\"" + table + "\"").boolean("ok"));
  c->drain(std::chrono::milliseconds(50));
  return c;
}

// Everything of `room` that `c` received (events, and seq-less events such as
// coalesced counts) up to its own marker message there, said now.
inline std::vector<message> until_marker(ws_client& c, std::string const& room) {
  static int n = 0;
  auto const mark = "marker-" + std::to_string(++n);
  REQUIRE(c.request("say", "\"room\":\"" + room + "\",\"text\":\"" + mark + "\"").boolean("ok"));
  std::vector<message> out;
  for (;;) {
    auto m = c.next();
    REQUIRE(m);
    if (m->type() == "message" && m->str("text") == mark) return out;
    bool const other_marker = m->str("text").rfind("marker-", 0) == 0;
    if (m->type() != "reply" && m->str("room") == room && !other_marker)
      out.push_back(std::move(*m));
  }
}

}  // namespace roundtable::test
