// Checks of what a resume replayed: the seqs of one room's replayed events,
// one by one, so that a replay that skipped or repeated an event fails (a
// search of the hello reply's text would still find a skipped message in the
// snapshot).
#pragma once

#include "tests/support/ws_client.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace roundtable::test {

// The seqs of `room`'s events among `lines`, in arrival order.
inline std::vector<std::int64_t> seqs_of(std::deque<message> const& lines,
                                         std::string const& room) {
  std::vector<std::int64_t> out;
  for (auto const& m : lines) {
    if (m.type() != "reply" && m.str("room") == room) out.push_back(m.num("seq"));
  }
  return out;
}

// first, first+1, ... last (empty when last < first).
inline std::vector<std::int64_t> seq_range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out;
  for (auto s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// The texts of the messages among `lines`, in arrival order.
inline std::vector<std::string> message_texts(std::deque<message> const& lines) {
  std::vector<std::string> out;
  for (auto const& m : lines) {
    if (m.type() == "message") out.push_back(m.str("text"));
  }
  return out;
}

}  // namespace roundtable::test
