// Tokens for tests against a server started with a known `--secret`: a
// correctly signed token of any role, valid for an hour from now.
#pragma once

#include "server/auth/jwt.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace roundtable::test {

inline std::string mint_for(std::string_view secret, auth::role r, std::string sub,
                            std::string name, std::string table = {}) {
  auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return auth::mint({std::move(sub), std::move(name), r, std::move(table), now + 3600}, secret);
}

}  // namespace roundtable::test
