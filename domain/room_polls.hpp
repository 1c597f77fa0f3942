// What a room keeps of its polls and reactions (rules in room_apply_polls.cpp).
// The counts are derived state: every replica computes them from the ballots
// and reactions it applied in log order, so only their delivery is coalesced
// (room::take_coalesced), never their truth.
#pragma once

#include "domain/participant.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace roundtable {

struct poll_entry {
  std::string id;
  std::string question;
  std::vector<std::string> options;
  bool multiple = false;
  bool live = true;  // false: participants see the counts once it is closed
  bool open = true;
  participant by;
  std::int64_t ts = 0;
  // One ballot per participant id: option indexes, ascending.
  std::map<std::string, std::vector<std::int64_t>> ballots;

  // Votes per option, in the options' order.
  std::vector<std::uint64_t> counts() const {
    std::vector<std::uint64_t> out(options.size(), 0);
    for (auto const& [who, choices] : ballots) {
      for (auto const c : choices) ++out[static_cast<std::size_t>(c)];
    }
    return out;
  }
};

// The reactions on one message or report: each participant's one emoji.
struct reaction_entry {
  std::string item;
  std::map<std::string, std::string> by;  // participant id -> emoji

  std::map<std::string, std::uint64_t> counts() const {
    std::map<std::string, std::uint64_t> out;
    for (auto const& [who, emoji] : by) ++out[emoji];
    return out;
  }
};

// A coalesced event for this node's members of the room: `poll_results` or
// `reactions`, without seq (the counts are state every replica holds; the
// event only tells it). `moderators_only`: the live counts of a poll that
// shows its results at close, for those who may run the room.
struct coalesced_event {
  buffer json;
  bool moderators_only = false;
};

}  // namespace roundtable
