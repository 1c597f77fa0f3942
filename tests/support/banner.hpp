// What a demo server prints at start: the invitation links of the chair and of
// each table's moderator. Tests read the token out of a link.
#pragma once

#include "tests/support/process.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace roundtable::test {

// The token of the link on the line holding `label` ("chair link",
// "moderator link (TABLE)"), waiting for that line.
inline std::string printed_token(server_process& srv, std::string_view label) {
  auto line = srv.proc->wait_for_line(label);
  auto const at = line.find("?token=");
  if (at == std::string::npos) throw std::runtime_error("no link on: " + line);
  line.erase(0, at + 7);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace roundtable::test
