// The session report as an HTML page for the organisers (`GET /report`,
// admin-auth like /api/report): per table the report's figures, an occupancy
// timeline, and the hop matrix between tables, each chart an SVG written here
// (no script, no chart library) with a text table beside it for screen readers.
// Readable without colour: hatching, dashes and numbers carry the meaning.
#pragma once

#include "server/report.hpp"

#include <string>

namespace roundtable {

std::string report_html(session_digest const& d);

}  // namespace roundtable
