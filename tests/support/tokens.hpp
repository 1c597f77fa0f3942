// Tokens for tests against a server started with a known `--secret`: a
// correctly signed token of any role, valid for an hour from now.
#pragma once

#include "server/auth/jwt.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace roundtable::test {

inline std::string mint_for(std::string_view secret, auth::role r, std::string sub,
                            std::string name, std::string table = {}) {
  auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return auth::mint({std::move(sub), std::move(name), r, std::move(table), now + 3600}, secret);
}

// Server arguments for a test with such tokens: the secret, no rate limit (the
// tests fire ops as fast as they can), then `extra`.
inline std::vector<std::string> secret_server_args(std::string_view secret,
                                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--rate-limit", "0", "--secret", std::string(secret)};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// The `"token":"..."` field of a hello, for participant `sub` named `name`.
inline std::string named_token_field(std::string_view secret, auth::role r, std::string sub,
                                     std::string name, std::string table = {}) {
  return "\"token\":\"" + mint_for(secret, r, std::move(sub), std::move(name), std::move(table)) +
         "\"";
}

// The same for participant `sub` named "Name of <sub>".
inline std::string token_field(std::string_view secret, auth::role r, std::string sub,
                               std::string table = {}) {
  auto name = "Name of " + sub;
  return named_token_field(secret, r, std::move(sub), std::move(name), std::move(table));
}

}  // namespace roundtable::test
