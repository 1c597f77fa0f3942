// Comments after the event: people who took part (their guest or participant
// token, as `hello` takes it) comment on a table's outcomes or on one of its
// insights; each comment is held until the chair approves it, then shown on
// /outcomes and in /api/outcomes with its author's display name. A comment
// is a command in its table's log (room_apply_comments.cpp), so it is as
// durable as the table (the store, or Redis) and the same on every node.
//   POST /api/outcomes/comments {table, insight?, text}   Bearer token
//   GET  /api/outcomes/comments?status=held|approved     admin
//   POST /api/outcomes/comments/ID {decision: approve|reject}   admin
#pragma once

#include "server/http_routes.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace roundtable {

class node;

// One comment as the pages and the chair see it: a display name, no id.
struct comment_view {
  std::string table, id, insight, text;
  std::string by;  // "erased" for a participant erased on request
  std::int64_t ts = 0;
  bool approved = false;
};

// Every table's comments, read on each table's home in turn; `then` runs on
// worker `w`.
void collect_comments(node& n, std::uint32_t w,
                      std::function<void(std::vector<comment_view>)> then);

// POST /api/outcomes/comments: the caller's token decides who speaks.
void post_comment(node& n, std::uint32_t worker, http_request req, http_done done);
// The admin routes, already authorized: the list, and a decision on `id`.
void list_comments(node& n, std::uint32_t worker, http_request req, http_done done);
void review_comment(node& n, std::uint32_t worker, std::string id, http_request req,
                    http_done done);

}  // namespace roundtable
