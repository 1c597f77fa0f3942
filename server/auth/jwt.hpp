// Roundtable's access tokens: JWTs signed with HS256 (HMAC-SHA256) under the server's
// secret. verify() is what `hello` runs on a client's token; mint() is what the server's
// `token` subcommand runs to hand out moderator and chair tokens. Only HS256 is accepted,
// whatever the token's header says, so a forged header cannot pick a weaker algorithm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roundtable::auth {

enum class role { participant, moderator, chair };

// "participant" | "moderator" | "chair": the spelling in tokens and on the wire.
std::string_view to_string(role r) noexcept;
std::optional<role> parse_role(std::string_view s) noexcept;

struct claims {
  std::string sub;   // participant id
  std::string name;  // display name
  role who = role::participant;
  std::string table;     // for a moderator: the table they moderate (required then)
  std::int64_t exp = 0;  // seconds since the Unix epoch
  std::int64_t iat = 0;  // issued at; 0: absent (mint then leaves it out)
  std::int64_t nbf = 0;  // not before; 0: absent
};

// Why a year: a token outlives one event at most; one valid for longer (an
// `exp` of 2^63-1) is a key that never expires, so verify() refuses it.
inline constexpr std::int64_t max_token_lifetime = 366 * 24 * 3600;
// How far `iat` may lie ahead of the verifier's clock: nodes of a cluster
// mint and verify on clocks that differ by a little.
inline constexpr std::int64_t max_clock_skew = 60;

// Longest token verify() looks at; longer ones are refused before any decoding.
inline constexpr std::size_t max_token_size = 4096;

struct verify_result {
  bool ok = false;
  claims value;
  std::string error;  // for humans; never contains the token or the secret
};

// Verifies an HS256 JWT against `secret` at time `now` (seconds since the epoch). No
// leeway: a token is expired when now >= exp, not yet valid when now < nbf. Refused
// too: exp more than max_token_lifetime ahead, iat more than max_clock_skew ahead,
// and a name or sub that fails the label check of `hello` names. The signature is
// checked before the payload is parsed, so unauthenticated bytes never reach the
// claim checks.
verify_result verify(std::string_view token, std::string_view secret, std::int64_t now);

// Signs `c` as an HS256 JWT with header {"alg":"HS256","typ":"JWT"}. `table` is written
// only when non-empty, `iat` only when non-zero. `secret` must not be empty.
std::string mint(claims const& c, std::string_view secret);

// `bytes` random bytes from OpenSSL's RAND_bytes, base64url. random_secret() is 32 of
// them: the secret of a demo server. Both throw std::runtime_error if the generator fails.
std::string random_text(std::size_t bytes);
std::string random_secret();

// Base64url without padding (RFC 4648 section 5), as JWTs use it. decode is strict: it
// refuses '=', characters outside the alphabet, an impossible length, and non-zero
// unused bits, so each byte string has exactly one accepted encoding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace roundtable::auth
