// The session report: per table the topic, the
// moderator, the published summary, the insights ranked by votes, how many took
// part and how many messages; the plenary's reports and broadcasts in order.
// Room state is read on each room's home thread, one room after another.
#pragma once

#include "domain/room_picture.hpp"
#include "server/http_routes.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace roundtable {

class node;

// What a report needs of one room, copied on its home thread.
struct room_digest {
  std::string id, topic, moderator;
  bool open = true;
  std::string summary;  // published
  std::string draft;
  struct change {
    std::string status, note, into;
    std::string by;  // display name; "erased" for a participant erased on request
    std::int64_t ts = 0;
  };
  struct insight {
    std::string id, text, by;
    std::size_t votes = 0;
    std::string status, note, into;
    std::vector<change> history;  // oldest first
  };
  std::vector<insight> insights;  // ranked
  struct poll {
    std::string id, question;
    std::vector<std::string> options;
    std::vector<std::uint64_t> counts;  // per option
    bool multiple = false, open = true;
    std::size_t voters = 0;
  };
  std::vector<poll> polls;  // in creation order
  std::size_t participants = 0;
  std::size_t speakers = 0;  // posted at least one message
  std::size_t messages = 0;  // in view: neither deleted nor hidden
  std::size_t deleted_messages = 0;
  std::size_t hidden = 0;  // messages and insights a moderator hid
  // Who sat there per stakeholder group (each person once, whoever named one),
  // and the table roles held: (role, display name), by role.
  std::map<std::string, std::size_t> mix;
  std::vector<std::pair<std::string, std::string>> roles;
  table_picture picture;  // occupancy and contributions per minute, arrivals, stays
  std::string goal;       // from the event config
  std::vector<std::string> questions;
  std::vector<std::string> reports;     // plenary: report events (JSON), in order
  std::vector<std::string> broadcasts;  // plenary: broadcast events (JSON), in order
  std::string phase;
  std::uint64_t epoch = 0;
  std::vector<std::string> events;  // archive only: the room's events, deletions applied
};

struct session_digest {
  std::string event_id, title, phase;
  std::vector<room_digest> tables;
  room_digest plenary;
};

std::string report_json(session_digest const& d);
// People who left each table for another, by table id (the hops out): the
// other tables' arrivals from it.
std::map<std::string, std::uint64_t> hops_out(session_digest const& d);
std::string report_markdown(session_digest const& d);

// Collects a digest of every room, then calls `then` on worker `w`. With
// `events`, each room's events come too: from the durable store when there is
// one (the whole session), else the history window.
void collect_digest(node& n, std::uint32_t w, bool events,
                    std::function<void(session_digest)> then);

// The whole session as JSON (GET /api/archive).
std::string archive_json(session_digest const& d);

}  // namespace roundtable
