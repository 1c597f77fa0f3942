// The admin API's own routes under /api/ (the archive, erasure, the report in
// its three forms, tables and broadcasts), already authorized by http_routes.
// The outcome and comment routes live beside their domain (outcomes_page,
// outcome_comments); this file keeps the report's code out of the routing.
#pragma once

#include "server/http_routes.hpp"

#include <cstdint>

namespace roundtable {

class node;

// Answers one admin route, or 404 for an unknown one.
void handle_admin(node& n, std::uint32_t worker, http_request req, http_done done);

}  // namespace roundtable
