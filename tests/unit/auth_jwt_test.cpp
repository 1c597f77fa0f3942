// Unit tests for the HS256 token module: round trips, expiry at the exact second, forged
// and algorithm-swapped tokens, claim validation, malformed shapes, and two tokens made
// elsewhere (RFC 7515 A.1 and node's crypto) that must verify here.
#include "server/auth/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::auth;

namespace {

constexpr std::string_view secret = "test-secret-0123456789abcdef";
constexpr std::int64_t now = 1'700'000'000;

std::string b64(std::string_view s) {
  return base64url_encode(s);
}

// Signs an arbitrary header and payload with HMAC-SHA256, so a test can build a token
// whose only defect is the one under test (a correct signature over a bad header).
std::string craft(std::string_view header_json, std::string_view payload_json,
                  std::string_view key = secret) {
  std::string input = b64(header_json) + "." + b64(payload_json);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<unsigned char const*>(input.data()), input.size(), md, &len);
  return input + "." + b64(std::string_view(reinterpret_cast<char const*>(md), len));
}

constexpr std::string_view hs256_header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view good_payload =
    R"({"sub":"p1","name":"Ada","role":"participant","exp":1700000100})";

claims sample(role r) {
  claims c;
  c.sub = "p-17";
  c.name = "Grace \"Amazing\" Hopper";
  c.who = r;
  if (r == role::moderator) c.table = "t-4";
  c.exp = now + 3600;
  return c;
}

}  // namespace

TEST_CASE("role names round trip", "[auth]") {
  for (role r : {role::participant, role::moderator, role::chair}) {
    REQUIRE(parse_role(to_string(r)) == r);
  }
  CHECK(to_string(role::chair) == "chair");
  CHECK_FALSE(parse_role("admin"));
  CHECK_FALSE(parse_role("Chair"));
  CHECK_FALSE(parse_role(""));
}

TEST_CASE("base64url matches RFC 4648 vectors and is strict", "[auth]") {
  // RFC 4648 section 10 vectors, with padding removed.
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg");
  CHECK(b64("fo") == "Zm8");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg");
  CHECK(b64("fooba") == "Zm9vYmE");
  CHECK(b64("foobar") == "Zm9vYmFy");
  CHECK(b64("\xfb\xff") == "-_8");  // the two characters that differ from base64
  CHECK(base64url_decode("Zm9vYmE") == std::string("fooba"));
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  CHECK_FALSE(base64url_decode("Zg=="));   // padding
  CHECK_FALSE(base64url_decode("Zm9v+"));  // base64, not base64url
  CHECK_FALSE(base64url_decode("Z"));      // impossible length
  CHECK_FALSE(base64url_decode("Zh"));     // non-zero unused bits ("Zg" is canonical)
}

TEST_CASE("minted tokens verify for each role", "[auth]") {
  for (role r : {role::participant, role::moderator, role::chair}) {
    claims c = sample(r);
    std::string token = mint(c, secret);
    auto result = verify(token, secret, now);
    INFO(to_string(r) << ": " << result.error);
    REQUIRE(result.ok);
    CHECK(result.error.empty());
    CHECK(result.value.sub == c.sub);
    CHECK(result.value.name == c.name);
    CHECK(result.value.who == r);
    CHECK(result.value.table == c.table);
    CHECK(result.value.exp == c.exp);
  }
}

TEST_CASE("minted header is exactly HS256/JWT", "[auth]") {
  std::string token = mint(sample(role::chair), secret);
  auto header = base64url_decode(token.substr(0, token.find('.')));
  REQUIRE(header);
  CHECK(*header == hs256_header);
}

TEST_CASE("a table claim is kept only for a moderator", "[auth]") {
  auto result = verify(
      craft(hs256_header, R"({"sub":"p1","name":"Ada","role":"chair","table":7,"exp":1700000100})"),
      secret, now);
  REQUIRE(result.ok);
  CHECK(result.value.table.empty());
}

TEST_CASE("expiry is strict at the exact second", "[auth]") {
  claims c = sample(role::participant);
  std::string token = mint(c, secret);
  CHECK(verify(token, secret, c.exp - 1).ok);
  auto at = verify(token, secret, c.exp);
  CHECK_FALSE(at.ok);
  CHECK(at.error == "token expired");
  auto later = verify(token, secret, c.exp + 86400);
  CHECK_FALSE(later.ok);
  CHECK(later.error == "token expired");
}

TEST_CASE("forged signatures are refused", "[auth]") {
  std::string token = mint(sample(role::chair), secret);

  SECTION("another secret") {
    auto result = verify(token, "not-the-secret", now);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "bad signature");
  }
  SECTION("a minted token under another secret") {
    auto result = verify(mint(sample(role::chair), "attacker"), secret, now);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "bad signature");
  }
  SECTION("one flipped byte in the signature") {
    auto dot = token.rfind('.');
    auto sig = *base64url_decode(token.substr(dot + 1));
    sig[5] = static_cast<char>(sig[5] ^ 0x01);
    std::string forged = token.substr(0, dot + 1) + b64(sig);
    auto result = verify(forged, secret, now);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "bad signature");
  }
  SECTION("a truncated signature") {
    auto dot = token.rfind('.');
    auto sig = *base64url_decode(token.substr(dot + 1));
    std::string forged = token.substr(0, dot + 1) + b64(sig.substr(0, 16));
    CHECK(verify(forged, secret, now).error == "bad signature");
  }
  SECTION("an empty signature") {
    std::string forged = token.substr(0, token.rfind('.') + 1);
    CHECK(verify(forged, secret, now).error == "bad signature");
  }
  SECTION("the payload swapped for one claiming chair") {
    std::string other = mint(sample(role::participant), secret);
    auto d1 = token.find('.');
    auto d2 = token.rfind('.');
    std::string payload_of_chair = token.substr(d1, d2 - d1);
    std::string spliced =
        other.substr(0, other.find('.')) + payload_of_chair + other.substr(other.rfind('.'));
    CHECK(verify(spliced, secret, now).error == "bad signature");
  }
  SECTION("errors never echo the token or the secret") {
    auto result = verify(token + "x", secret, now);
    CHECK_FALSE(result.ok);
    CHECK(result.error.find(secret) == std::string::npos);
    CHECK(result.error.find(token.substr(0, 20)) == std::string::npos);
  }
}

TEST_CASE("algorithms other than HS256 are refused", "[auth]") {
  SECTION("alg none with an empty signature") {
    std::string token = b64(R"({"alg":"none"})") + "." + b64(good_payload) + ".";
    auto result = verify(token, secret, now);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "unsupported alg");
  }
  SECTION("alg none with typ JWT") {
    std::string token = b64(R"({"alg":"none","typ":"JWT"})") + "." + b64(good_payload) + ".";
    CHECK(verify(token, secret, now).error == "unsupported alg");
  }
  // Signed with the right key over HS256, so only the header is wrong.
  for (std::string_view header :
       {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})", R"({"alg":"hs256"})",
        R"({"typ":"JWT"})", R"({})"}) {
    auto result = verify(craft(header, good_payload), secret, now);
    INFO(header);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "unsupported alg");
  }
  SECTION("typ other than JWT") {
    auto result = verify(craft(R"({"alg":"HS256","typ":"JWE"})", good_payload), secret, now);
    CHECK(result.error == "unsupported typ");
  }
  SECTION("a duplicated alg") {
    auto result = verify(craft(R"({"alg":"HS256","alg":"none"})", good_payload), secret, now);
    CHECK_FALSE(result.ok);
  }
  SECTION("crit extensions") {
    auto result =
        verify(craft(R"({"alg":"HS256","crit":["exp"],"exp":1})", good_payload), secret, now);
    CHECK_FALSE(result.ok);
  }
  SECTION("the crafted header itself is valid when alg is HS256") {
    CHECK(verify(craft(R"({"alg":"HS256"})", good_payload), secret, now).ok);
  }
}

TEST_CASE("claims are validated", "[auth]") {
  auto check = [](std::string_view payload, std::string_view expected) {
    auto result = verify(craft(hs256_header, payload), secret, now);
    INFO(payload);
    CHECK_FALSE(result.ok);
    CHECK(result.error == expected);
  };
  check(R"({"sub":"p1","name":"Ada","role":"admin","exp":1700000100})", "unknown role");
  check(R"({"name":"Ada","role":"chair","exp":1700000100})", "missing claim 'sub'");
  check(R"({"sub":"p1","role":"chair","exp":1700000100})", "missing claim 'name'");
  check(R"({"sub":"p1","name":"Ada","exp":1700000100})", "missing claim 'role'");
  check(R"({"sub":"p1","name":"Ada","role":"chair"})", "missing claim 'exp'");
  check(R"({"sub":"p1","name":"Ada","role":"moderator","exp":1700000100})",
        "missing claim 'table' for a moderator");
  check(R"({"sub":"p1","name":"Ada","role":"moderator","table":"","exp":1700000100})",
        "claim 'table' must be a string of 1 to 64 bytes");
  check(R"({"sub":"p1","name":"Ada","role":"moderator","table":3,"exp":1700000100})",
        "claim 'table' must be a string of 1 to 64 bytes");
  check(R"({"sub":"","name":"Ada","role":"chair","exp":1700000100})",
        "claim 'sub' must be 1 to 64 bytes");
  check(R"({"sub":"p1","name":")" + std::string(65, 'x') + R"(","role":"chair","exp":1700000100})",
        "claim 'name' must be 1 to 64 bytes");
  check(R"({"sub":42,"name":"Ada","role":"chair","exp":1700000100})",
        "claim 'sub' must be a string");
  check(R"({"sub":"p1","name":"Ada","role":"chair","exp":"1700000100"})",
        "claim 'exp' must be an integer");
  check(R"({"sub":"p1","name":"Ada","role":"chair","exp":1.7e9})",
        "claim 'exp' must be an integer");
  check(R"({"sub":"p1","name":"Ada","role":"chair","exp":18446744073709551615})",
        "claim 'exp' must be an integer");
  check(R"({"sub":"p1","sub":"p2","name":"Ada","role":"chair","exp":1700000100})",
        "duplicate claim 'sub'");
  check(R"(["p1","Ada"])", "malformed token payload");
  check("not json", "malformed token payload");

  // 64 bytes is the limit, not 63.
  auto result =
      verify(craft(hs256_header, R"({"sub":")" + std::string(64, 's') +
                                     R"(","name":"Ada","role":"chair","exp":1700000100})"),
             secret, now);
  CHECK(result.ok);
}

TEST_CASE("malformed tokens are refused", "[auth]") {
  std::string token = mint(sample(role::participant), secret);
  auto d1 = token.find('.');
  auto d2 = token.rfind('.');
  std::string h = token.substr(0, d1);
  std::string p = token.substr(d1 + 1, d2 - d1 - 1);
  std::string s = token.substr(d2 + 1);
  REQUIRE(verify(h + "." + p + "." + s, secret, now).ok);

  auto refused = [](std::string const& t, std::string_view expected) {
    auto result = verify(t, secret, now);
    INFO(expected);
    CHECK_FALSE(result.ok);
    CHECK(result.error == expected);
  };
  refused(h + "." + p, "malformed token: expected three segments");
  refused(h + "." + p + "." + s + "." + s, "malformed token: expected three segments");
  refused("", "malformed token: expected three segments");
  refused(h + "." + p + "." + s + "=", "malformed token: bad base64url");
  refused(h + "=." + p + "." + s, "malformed token: bad base64url");
  refused(h + "." + p + "!" + "." + s, "malformed token: bad base64url");
  refused(h + " ." + p + "." + s, "malformed token: bad base64url");
  refused(b64("{not json") + "." + p + "." + s, "malformed token header");
  refused(b64(R"("HS256")") + "." + p + "." + s, "malformed token header");
  refused("." + p + "." + s, "malformed token header");
}

TEST_CASE("oversized tokens are refused before decoding", "[auth]") {
  // A valid token padded with an ignored claim until it passes the limit.
  std::string padding(max_token_size, 'x');
  std::string big = craft(hs256_header, R"({"sub":"p1","name":"Ada","role":"chair","pad":")" +
                                            padding + R"(","exp":1700000100})");
  REQUIRE(big.size() > max_token_size);
  CHECK(verify(big, secret, now).error == "token too large");

  // The same token with less padding, just under the limit, is fine.
  std::string fits = craft(hs256_header, R"({"sub":"p1","name":"Ada","role":"chair","pad":")" +
                                             std::string(2900, 'x') + R"(","exp":1700000100})");
  REQUIRE(fits.size() <= max_token_size);
  CHECK(verify(fits, secret, now).ok);
}

TEST_CASE("an empty secret verifies nothing", "[auth]") {
  std::string token = craft(hs256_header, good_payload, "");
  auto result = verify(token, "", now);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "no token secret configured");
}

TEST_CASE("RFC 7515 appendix A.1 token has a valid signature", "[auth]") {
  // The JWS of RFC 7515 A.1.1, and the key from its JWK ("k", base64url).
  std::string const token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
      "cnVlfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  auto key = base64url_decode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  REQUIRE(key);
  REQUIRE(key->size() == 64);

  // The signature is checked before the claims, so reaching the claim checks proves the
  // HMAC matched; the RFC's payload simply lacks our claims.
  auto result = verify(token, *key, 1300819379);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "missing claim 'sub'");

  std::string wrong_key = *key;
  wrong_key[0] = static_cast<char>(wrong_key[0] ^ 0x80);
  CHECK(verify(token, wrong_key, 1300819379).error == "bad signature");
}

TEST_CASE("a token made by node's crypto verifies", "[auth]") {
  // Produced with node 20:
  //   const b = o => Buffer.from(JSON.stringify(o)).toString("base64url");
  //   const input = b({alg:"HS256",typ:"JWT"}) + "." + b({sub:"p-42",name:"Ada Lovelace",
  //     role:"moderator",table:"t3",exp:2000000000,iat:1700000000});
  //   input + "." + crypto.createHmac("sha256","interop-secret-from-node")
  //                       .update(input).digest("base64url")
  std::string const token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
      ".eyJzdWIiOiJwLTQyIiwibmFtZSI6IkFkYSBMb3ZlbGFjZSIsInJvbGUiOiJtb2RlcmF0b3IiLCJ0YWJsZSI6InQz"
      "IiwiZXhwIjoyMDAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDB9"
      ".kWaLjf3JVr8xdOc0UGGr-ziwnbB9ZKmwA5_rIFoqef0";
  // Checked an hour before its exp: within the longest lifetime a token may have.
  auto result = verify(token, "interop-secret-from-node", 2'000'000'000 - 3600);
  INFO(result.error);
  REQUIRE(result.ok);
  CHECK(result.value.sub == "p-42");
  CHECK(result.value.name == "Ada Lovelace");
  CHECK(result.value.who == role::moderator);
  CHECK(result.value.table == "t3");
  CHECK(result.value.exp == 2000000000);

  // And mint() produces byte for byte what node does for the same claims without iat
  // (same command with `iat` left out of the payload object).
  std::string const node_no_iat =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
      ".eyJzdWIiOiJwLTQyIiwibmFtZSI6IkFkYSBMb3ZlbGFjZSIsInJvbGUiOiJtb2RlcmF0b3IiLCJ0YWJsZSI6InQz"
      "IiwiZXhwIjoyMDAwMDAwMDAwfQ"
      ".gMwL7LWPR2JjymfNLyAIG1FfAWJOOGQ4rQlmPeUkxZg";
  CHECK(result.value.iat == 1700000000);
  auto without_iat = result.value;
  without_iat.iat = 0;
  CHECK(mint(without_iat, "interop-secret-from-node") == node_no_iat);
}

TEST_CASE("random secrets are 32 bytes and differ", "[auth]") {
  std::string a = random_secret();
  std::string b = random_secret();
  auto bytes = base64url_decode(a);
  REQUIRE(bytes);
  CHECK(bytes->size() == 32);
  CHECK(a.size() == 43);
  CHECK(a != b);
  // Usable as a secret as is.
  CHECK(verify(mint(sample(role::chair), a), a, now).ok);
}

TEST_CASE("nbf, iat and far exp are honoured", "[auth]") {
  auto verify_payload = [](std::string_view payload) {
    return verify(craft(hs256_header, payload), secret, now);
  };
  auto const with = [](std::string_view extra) {
    return R"({"sub":"p1","name":"Ada","role":"chair",)" + std::string(extra) + "}";
  };
  SECTION("nbf in the future is refused; reached, it passes") {
    CHECK(verify_payload(with(R"("exp":1700000100,"nbf":1700000001)")).error ==
          "token not yet valid");
    CHECK(verify_payload(with(R"("exp":1700000100,"nbf":1700000000)")).ok);
    CHECK(verify_payload(with(R"("exp":1700000100,"nbf":1)")).ok);
  }
  SECTION("iat ahead of the clock by more than the skew is refused") {
    CHECK(verify_payload(with(R"("exp":1700000100,"iat":1700000061)")).error ==
          "token issued in the future");
    CHECK(verify_payload(with(R"("exp":1700000100,"iat":1700000060)")).ok);
    CHECK(verify_payload(with(R"("exp":1700000100)")).ok);  // iat is optional
  }
  SECTION("iat and nbf must be integers, once") {
    CHECK(verify_payload(with(R"("exp":1700000100,"nbf":"1")")).error ==
          "claim 'nbf' must be an integer");
    CHECK(verify_payload(with(R"("exp":1700000100,"iat":1.5)")).error ==
          "claim 'iat' must be an integer");
    CHECK(verify_payload(with(R"("exp":1700000100,"nbf":1,"nbf":1800000000)")).error ==
          "duplicate claim 'nbf'");
  }
  SECTION("an exp beyond the longest lifetime is refused") {
    CHECK(verify_payload(with(R"("exp":9223372036854775807)")).error == "token lifetime too long");
    CHECK(verify_payload(with(R"("exp":)" + std::to_string(now + max_token_lifetime + 1))).error ==
          "token lifetime too long");
    CHECK(verify_payload(with(R"("exp":)" + std::to_string(now + max_token_lifetime))).ok);
  }
  SECTION("mint writes iat when set, and the token verifies") {
    auto c = sample(role::chair);
    c.iat = now;
    auto const r = verify(mint(c, secret), secret, now);
    REQUIRE(r.ok);
    CHECK(r.value.iat == now);
  }
}

TEST_CASE("names in tokens pass the same checks as hello names", "[auth]") {
  auto verify_claims = [](std::string_view sub, std::string_view name) {
    return verify(
        craft(hs256_header, R"({"sub":")" + std::string(sub) + R"(","name":")" + std::string(name) +
                                R"(","role":"participant","exp":1700000100})"),
        secret, now);
  };
  for (std::string_view bad : {R"(Ada\u0000)", R"(Ada\nLovelace)", R"(A\u001b[31mda)",
                               R"(Ada\u007f)", R"(Ada\u0085)", R"(   )", R"(\u00a0\u200b)"}) {
    INFO(bad);
    CHECK(verify_claims("p1", bad).error ==
          "claim 'name' must be a non-blank name without control characters");
  }
  for (std::string_view bad : {R"(p\u0000)", R"(p\t1)", R"( p1)", R"(p1 )"}) {
    INFO(bad);
    CHECK(verify_claims(bad, "Ada").error ==
          "claim 'sub' must not contain control characters or surrounding spaces");
  }
  auto const trimmed = verify_claims("p1", "  Ada Lovelace ");
  REQUIRE(trimmed.ok);
  CHECK(trimmed.value.name == "Ada Lovelace");
  CHECK(verify_claims("alice@example.org", "Åda 🙂").ok);
}
