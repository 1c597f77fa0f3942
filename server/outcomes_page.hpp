// The public follow-up of a session: what became of every table's insights.
// `GET /api/outcomes` (JSON) and `GET /outcomes` (a server-written HTML page,
// English or `?lang=fr`) need no login and carry no token and no personal data
// beyond display names; both are cacheable (ETag, revalidated). The chair's
// `POST /api/outcomes` sets a status through the room's log like the
// `outcome` op. Approved comments (outcome_comments.hpp) show under their
// insight, or under their table when they are about the table as a whole.
#pragma once

#include "server/http_routes.hpp"
#include "server/outcome_comments.hpp"
#include "server/report.hpp"

#include <string>
#include <string_view>

namespace roundtable {

class node;

// The page's text with &, <, >, " and ' escaped: every user text goes
// through it, so markup in an insight or a note is shown, never run.
std::string html_escape(std::string_view s);

// `comments`: the approved ones, shown under their insight or their table.
std::string outcomes_json(session_digest const& d, std::vector<comment_view> const& comments);
// `lang`: "fr" for French, anything else English.
std::string outcomes_html(session_digest const& d, std::vector<comment_view> const& comments,
                          std::string_view lang);

// GET /api/outcomes and GET /outcomes (no auth).
void serve_outcomes(node& n, std::uint32_t worker, http_request req, http_done done);
// POST /api/outcomes {table, insight, status, note, into?}, already authorized.
void post_outcome(node& n, std::uint32_t worker, http_request req, http_done done);

}  // namespace roundtable
