// A table's lobby row as one line of JSON, for the nodes that do not apply the
// table's log (engine::glance_changed out, engine_host::glance_shared in): the
// figures room_slot keeps at a glance, stamped with the replica's place in the
// log, so that a node keeps the newest of the rows that reach it from several
// nodes in any order.
#pragma once

#include "server/node.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace roundtable {

// The home thread of `s`: its figures, at (epoch, lsn) of its replica.
std::string glance_row(room_slot& s, std::uint64_t epoch, std::uint64_t lsn);

// The home thread of `s`: takes a shared row when it is newer than what `s`
// holds (its glance_epoch and glance_lsn); returns whether the lobby row
// changed. A row that does not parse changes nothing.
bool take_glance_row(room_slot& s, std::string_view row);

}  // namespace roundtable
