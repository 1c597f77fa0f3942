// HS256 JWT verification and minting. The order of checks in verify() is deliberate:
// size, shape, header (alg), signature, and only then the payload's claims, so a token
// that is not ours costs one HMAC at most and its payload is never interpreted.
#include "server/auth/jwt.hpp"

#include "server/auth/digest.hpp"

#include "protocol/json_writer.hpp"
#include "protocol/parse.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <simdjson.h>

#include <array>
#include <cassert>
#include <stdexcept>

namespace roundtable::auth {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for a base64url character, -1 for anything else.
int sextet(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

using digest = std::array<unsigned char, 32>;

digest hmac_sha256(std::string_view key, std::string_view data) {
  // OpenSSL 3's HMAC() refuses a null key pointer even with length 0; never pass one.
  static unsigned char const empty_key = 0;
  void const* key_ptr = key.empty() ? static_cast<void const*>(&empty_key) : key.data();
  digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<unsigned char const*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

verify_result fail(std::string error) {
  verify_result r;
  r.error = std::move(error);
  return r;
}

// Parses `json` as one JSON object into `out` (which `parser` owns). simdjson needs
// padding after the input, hence the copy into `padded`.
bool parse_object(simdjson::dom::parser& parser, simdjson::padded_string& padded,
                  std::string_view json, simdjson::dom::object& out) {
  padded = simdjson::padded_string(json);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return false;
  return doc.get_object().get(out) == simdjson::SUCCESS;
}

// Header: alg must be exactly HS256; typ, when present, exactly JWT. `crit` names
// extensions the verifier must understand (RFC 7515 4.1.11); we understand none.
std::string check_header(simdjson::dom::object const& header) {
  bool have_alg = false;
  bool have_typ = false;
  for (auto field : header) {
    if (field.key == "alg") {
      std::string_view alg;
      if (have_alg || field.value.get_string().get(alg) != simdjson::SUCCESS) {
        return "malformed token header";
      }
      if (alg != "HS256") return "unsupported alg";
      have_alg = true;
    } else if (field.key == "typ") {
      std::string_view typ;
      if (have_typ || field.value.get_string().get(typ) != simdjson::SUCCESS) {
        return "malformed token header";
      }
      if (typ != "JWT") return "unsupported typ";
      have_typ = true;
    } else if (field.key == "crit") {
      return "unsupported crit header";
    }
  }
  if (!have_alg) return "unsupported alg";
  return {};
}

// One string claim of 1..64 bytes; `seen` catches duplicates, which would otherwise
// let two parsers of the same token disagree on its meaning.
std::string take_string(simdjson::dom::element value, std::string_view name, bool& seen,
                        std::string& out) {
  std::string_view s;
  if (seen) return "duplicate claim '" + std::string(name) + "'";
  seen = true;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    return "claim '" + std::string(name) + "' must be a string";
  }
  if (s.empty() || s.size() > 64) {
    return "claim '" + std::string(name) + "' must be 1 to 64 bytes";
  }
  out.assign(s);
  return {};
}

// One integer claim (a NumericDate); get_int64 refuses doubles (1.7e9) and
// values beyond int64.
std::string take_int(simdjson::dom::element value, std::string_view name, bool& seen,
                     std::int64_t& out) {
  if (seen) return "duplicate claim '" + std::string(name) + "'";
  seen = true;
  if (value.get_int64().get(out) != simdjson::SUCCESS) {
    return "claim '" + std::string(name) + "' must be an integer";
  }
  return {};
}

// A name from a token is shown to everyone like a `hello` name: it passes the
// same label check (no control characters, trimmed, not blank). The subject
// must already be in that form, since it identifies the person.
std::string check_labels(claims& c) {
  std::string_view name = c.name;
  if (protocol::check_label(name, protocol::limits::name) != protocol::label_problem::none)
    return "claim 'name' must be a non-blank name without control characters";
  c.name.assign(name);
  std::string_view sub = c.sub;
  if (protocol::check_label(sub, protocol::limits::name) != protocol::label_problem::none ||
      sub.size() != c.sub.size())
    return "claim 'sub' must not contain control characters or surrounding spaces";
  return {};
}

std::string read_claims(simdjson::dom::object const& payload, claims& out) {
  bool have_sub = false, have_name = false, have_role = false, have_table = false, have_exp = false,
       have_iat = false, have_nbf = false, table_is_string = false;
  std::string role_text, table;
  for (auto field : payload) {
    std::string error;
    if (field.key == "sub") {
      error = take_string(field.value, "sub", have_sub, out.sub);
    } else if (field.key == "name") {
      error = take_string(field.value, "name", have_name, out.name);
    } else if (field.key == "role") {
      error = take_string(field.value, "role", have_role, role_text);
    } else if (field.key == "table") {
      // Checked later, only for a moderator: other roles may carry any table claim.
      if (have_table) return "duplicate claim 'table'";
      have_table = true;
      std::string_view s;
      table_is_string = field.value.get_string().get(s) == simdjson::SUCCESS;
      if (table_is_string) table.assign(s);
    } else if (field.key == "exp") {
      error = take_int(field.value, "exp", have_exp, out.exp);
    } else if (field.key == "iat") {
      error = take_int(field.value, "iat", have_iat, out.iat);
    } else if (field.key == "nbf") {
      error = take_int(field.value, "nbf", have_nbf, out.nbf);
    }
    if (!error.empty()) return error;
  }
  if (!have_sub) return "missing claim 'sub'";
  if (!have_name) return "missing claim 'name'";
  if (!have_role) return "missing claim 'role'";
  if (!have_exp) return "missing claim 'exp'";
  if (auto error = check_labels(out); !error.empty()) return error;
  auto r = parse_role(role_text);
  if (!r) return "unknown role";
  out.who = *r;
  if (out.who == role::moderator) {
    if (!have_table) return "missing claim 'table' for a moderator";
    if (!table_is_string || table.empty() || table.size() > 64) {
      return "claim 'table' must be a string of 1 to 64 bytes";
    }
    out.table = std::move(table);
  }
  return {};
}

}  // namespace

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::participant:
      return "participant";
    case role::moderator:
      return "moderator";
    case role::chair:
      return "chair";
  }
  return "participant";
}

std::optional<role> parse_role(std::string_view s) noexcept {
  if (s == "participant") return role::participant;
  if (s == "moderator") return role::moderator;
  if (s == "chair") return role::chair;
  return std::nullopt;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = byte(i) << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
  } else if (rest == 2) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  // A final group of one character cannot carry a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xFF);
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

verify_result verify(std::string_view token, std::string_view secret, std::int64_t now) {
  if (secret.empty()) return fail("no token secret configured");
  if (token.size() > max_token_size) return fail("token too large");

  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail("malformed token: expected three segments");
  }
  auto header_text = base64url_decode(token.substr(0, dot1));
  auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) {
    return fail("malformed token: bad base64url");
  }

  simdjson::dom::parser parser;
  simdjson::padded_string padded;
  simdjson::dom::object header;
  if (!parse_object(parser, padded, *header_text, header)) {
    return fail("malformed token header");
  }
  if (auto error = check_header(header); !error.empty()) return fail(std::move(error));

  digest expected = hmac_sha256(secret, token.substr(0, dot2));
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return fail("bad signature");
  }

  simdjson::dom::object payload;
  if (!parse_object(parser, padded, *payload_text, payload)) {
    return fail("malformed token payload");
  }
  verify_result result;
  if (auto error = read_claims(payload, result.value); !error.empty()) {
    return fail(std::move(error));
  }
  auto const& c = result.value;
  if (now >= c.exp) return fail("token expired");
  // A token valid for decades is a key that never expires; one issued or valid
  // only in the future was minted on a wrong clock or meant for later.
  if (c.exp - now > max_token_lifetime) return fail("token lifetime too long");
  if (c.iat > now + max_clock_skew) return fail("token issued in the future");
  if (now < c.nbf) return fail("token not yet valid");
  result.ok = true;
  return result;
}

std::string mint(claims const& c, std::string_view secret) {
  assert(!secret.empty() && "a token signed with an empty secret is worthless");
  protocol::json_writer header;
  header.begin_object().field("alg", "HS256").field("typ", "JWT").end_object();
  protocol::json_writer payload;
  payload.begin_object()
      .field("sub", std::string_view(c.sub))
      .field("name", std::string_view(c.name))
      .field("role", to_string(c.who));
  if (!c.table.empty()) payload.field("table", std::string_view(c.table));
  if (c.iat != 0) payload.field("iat", c.iat);
  payload.field("exp", c.exp).end_object();

  std::string token = base64url_encode(header.str());
  token += '.';
  token += base64url_encode(payload.str());
  digest sig = hmac_sha256(secret, token);
  token += '.';
  token +=
      base64url_encode(std::string_view(reinterpret_cast<char const*>(sig.data()), sig.size()));
  return token;
}

std::string random_text(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return base64url_encode(raw);
}

std::string keyed_digest(std::string_view secret, std::string_view data) {
  auto const d = hmac_sha256(secret, data);
  return base64url_encode(std::string_view(reinterpret_cast<char const*>(d.data()), d.size()));
}

std::string random_secret() {
  return random_text(32);
}

}  // namespace roundtable::auth
