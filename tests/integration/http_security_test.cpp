// The HTTP surface of a real server, as an outsider sees it: the headers on
// every response, the admin API's refusals (each leaving the state as it was),
// /metrics with and without --metrics-key, secrets kept out of the logs, and
// the modes of what the server creates on disk.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/ws_client.hpp"

#include "server/auth/jwt.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <ctime>
#include <filesystem>

#include <sys/stat.h>

using namespace roundtable::test;
namespace auth = roundtable::auth;
namespace fs = std::filesystem;

namespace {

constexpr char const* secret = "s3cret-jwt-key-for-tests-0123456789";
constexpr char const* api_key = "api-key-for-tests-9876543210";

// One request over a raw socket: `head` is the request line and headers
// without the final CRLF; Connection: close and Content-Length are added.
http_response_head request(int port, std::string const& head, std::string const& body = {}) {
  raw_ws s(port);
  return s.http(head + "\r\nHost: 127.0.0.1:" + std::to_string(port) +
                "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
}

std::string token(auth::role r, std::string table = {}, std::int64_t ttl = 3600) {
  auto const now = static_cast<std::int64_t>(std::time(nullptr));
  return auth::mint(
      {"u-" + std::string(auth::to_string(r)), "Someone", r, std::move(table), now + ttl, now},
      secret);
}

}  // namespace

TEST_CASE("every HTTP response carries the security headers", "[http][security]") {
  server_process srv({"--ephemeral"});
  auto const own = "127.0.0.1:" + std::to_string(srv.port);
  for (std::string const head :
       {"GET / HTTP/1.1", "GET /app.js HTTP/1.1", "GET /sdk/roundtable.js HTTP/1.1",
        "GET /healthz HTTP/1.1", "GET /metrics HTTP/1.1", "GET /missing HTTP/1.1",
        "GET /api/report HTTP/1.1", "POST / HTTP/1.1", "GET /ws HTTP/1.1"}) {
    INFO(head);
    auto const res = request(srv.port, head);
    REQUIRE(res.status != 0);
    auto const csp = res.header("content-security-policy");
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("connect-src 'self' ws://" + own + " wss://" + own) != std::string::npos);
    CHECK(csp.find("unsafe") == std::string::npos);
    CHECK(res.header("x-content-type-options") == "nosniff");
    CHECK(res.header("referrer-policy") == "no-referrer");
  }
  // A Host that tries to add a directive is left out of the policy.
  raw_ws s(srv.port);
  auto const res = s.http("GET / HTTP/1.1\r\nHost: x; script-src *\r\nConnection: close\r\n\r\n");
  CHECK(res.header("content-security-policy").find("script-src *") == std::string::npos);
  CHECK(res.header("content-security-policy").find("connect-src 'self';") == std::string::npos);
  CHECK(res.header("content-security-policy").ends_with("connect-src 'self'"));
}

TEST_CASE("the admin API refuses what it should, and the refusals change nothing",
          "[http][security]") {
  server_process srv({"--ephemeral", "--secret", secret, "--api-key", api_key});
  std::string const key = std::string("X-Api-Key: ") + api_key;
  std::string const json = "Content-Type: application/json";
  auto post = [&](std::string const& path, std::vector<std::string> const& headers,
                  std::string const& body) {
    std::string head = "POST " + path + " HTTP/1.1";
    for (auto const& h : headers) head += "\r\n" + h;
    return request(srv.port, head, body);
  };
  std::string const broadcast = R"({"text":"refused?"})";

  SECTION("credentials: none or wrong is 401, a valid token of another role 403") {
    CHECK(request(srv.port, "GET /api/report HTTP/1.1").status == 401);
    CHECK(request(srv.port, "GET /api/report HTTP/1.1\r\nX-Api-Key: wrong").status == 401);
    std::string same_length(std::string(api_key).size(), 'k');
    CHECK(request(srv.port, "GET /api/report HTTP/1.1\r\nX-Api-Key: " + same_length).status == 401);
    CHECK(request(srv.port, "GET /api/report HTTP/1.1\r\nAuthorization: Bearer x.y.z").status ==
          401);
    auto const expired = token(auth::role::chair, {}, -10);
    CHECK(
        request(srv.port, "GET /api/report HTTP/1.1\r\nAuthorization: Bearer " + expired).status ==
        401);
    auto const mod = request(srv.port, "GET /api/report HTTP/1.1\r\nAuthorization: Bearer " +
                                           token(auth::role::moderator, "synergies"));
    CHECK(mod.status == 403);
    CHECK(mod.body.find("\"forbidden\"") != std::string::npos);
    CHECK(request(srv.port, "GET /api/report HTTP/1.1\r\nAuthorization: Bearer " +
                                token(auth::role::participant))
              .status == 403);
    CHECK(post("/api/broadcast",
               {json, "Authorization: Bearer " + token(auth::role::moderator, "synergies")},
               broadcast)
              .status == 403);
    CHECK(request(srv.port,
                  "GET /api/report HTTP/1.1\r\nAuthorization: Bearer " + token(auth::role::chair))
              .status == 200);
    CHECK(request(srv.port, "GET /api/report HTTP/1.1\r\n" + key).status == 200);
  }
  SECTION("method, size, syntax and content type") {
    auto const wrong_method = request(srv.port, "GET /api/broadcast HTTP/1.1\r\n" + key);
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.header("allow") == "POST");
    CHECK(request(srv.port, "DELETE /api/report HTTP/1.1\r\n" + key).status == 405);
    CHECK(request(srv.port, "PUT /api/tables HTTP/1.1\r\n" + key).status == 405);
    CHECK(request(srv.port, "POST /api/archive HTTP/1.1\r\n" + key).status == 405);
    CHECK(
        post("/api/broadcast", {key, json}, R"({"text":")" + std::string(100 * 1024, 'x') + R"("})")
            .status == 413);
    CHECK(post("/api/broadcast", {key, json}, R"({"text":)").status == 400);
    CHECK(post("/api/broadcast", {key, json}, "[1,2]").status == 400);
    CHECK(post("/api/tables", {key, json}, R"({"table":"x","topic":)").status == 400);
    CHECK(post("/api/broadcast", {key, "Content-Type: text/plain"}, broadcast).status == 415);
    CHECK(
        post("/api/broadcast", {key, "Content-Type: application/x-www-form-urlencoded"}, broadcast)
            .status == 415);
    CHECK(post("/api/broadcast", {key}, broadcast).status == 415);
    CHECK(post("/api/tables", {key, "Content-Type: text/json"},
               R"({"table":"t415","topic":"Refused"})")
              .status == 415);
    // None of them changed anything: no broadcast, no table.
    auto const archive = request(srv.port, "GET /api/archive HTTP/1.1\r\n" + key);
    REQUIRE(archive.status == 200);
    CHECK(archive.body.find("refused?") == std::string::npos);
    CHECK(archive.body.find("t415") == std::string::npos);
    // The control: the same request, well formed, goes through.
    CHECK(post("/api/broadcast", {key, "Content-Type: application/json; charset=utf-8"}, broadcast)
              .status == 200);
    CHECK(request(srv.port, "GET /api/archive HTTP/1.1\r\n" + key).body.find("refused?") !=
          std::string::npos);
  }
}

TEST_CASE("/metrics is open by default and needs the key with --metrics-key", "[http][security]") {
  SECTION("open") {
    server_process srv({"--ephemeral"});
    auto const res = request(srv.port, "GET /metrics HTTP/1.1");
    CHECK(res.status == 200);
    CHECK(res.body.find("roundtable_connections ") != std::string::npos);
  }
  SECTION("with a key") {
    server_process srv({"--ephemeral", "--api-key", api_key, "--metrics-key", "m-key-42"});
    auto const refused = request(srv.port, "GET /metrics HTTP/1.1");
    CHECK(refused.status == 401);
    CHECK(refused.header("www-authenticate") == "Bearer");
    CHECK(refused.body.find("roundtable_") == std::string::npos);
    CHECK(request(srv.port, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer m-key-43").status ==
          401);
    CHECK(request(srv.port, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer m-key-4").status ==
          401);
    // The API key is another secret and does not open /metrics.
    CHECK(request(srv.port, std::string("GET /metrics HTTP/1.1\r\nX-Api-Key: ") + api_key).status ==
          401);
    auto const ok = request(srv.port, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer m-key-42");
    CHECK(ok.status == 200);
    CHECK(ok.body.find("roundtable_connections ") != std::string::npos);
    CHECK(request(srv.port, "GET /healthz HTTP/1.1").status == 200);  // probes stay open
  }
}

TEST_CASE("a whole session logs neither the secret, the API key nor a token", "[http][security]") {
  temp_dir data;
  server_process srv({"--data-dir", data.path() + "/data", "--secret", secret, "--api-key", api_key,
                      "--log-level", "debug"});
  auto const chair = token(auth::role::chair);
  auto const mod = token(auth::role::moderator, "synergies");
  auto const participant = token(auth::role::participant);
  {
    ws_client c(srv.port);
    REQUIRE(c.hello("x", "\"token\":\"" + chair + "\"").boolean("ok"));
    ws_client m(srv.port);
    REQUIRE(m.hello("x", "\"token\":\"" + mod + "\"").boolean("ok"));
    REQUIRE(m.request("join", "\"table\":\"synergies\"").boolean("ok"));
    ws_client p(srv.port);
    REQUIRE(p.hello("x", "\"token\":\"" + participant + "\"").boolean("ok"));
    REQUIRE(p.request("join", "\"table\":\"synergies\"").boolean("ok"));
    REQUIRE(p.request("say", "\"room\":\"synergies\",\"text\":\"hello\"").boolean("ok"));
    // Refusals too: a token signed with the secret's neighbour, a wrong key.
    ws_client bad(srv.port);
    CHECK_FALSE(bad.hello("x", "\"token\":\"" + chair + "x\"").boolean("ok"));
    CHECK(request(srv.port, "GET /?token=" + chair + " HTTP/1.1").status == 200);
    CHECK(request(srv.port, "GET /api/report HTTP/1.1\r\nAuthorization: Bearer " + chair).status ==
          200);
    CHECK(request(srv.port, std::string("GET /api/archive HTTP/1.1\r\nX-Api-Key: ") + api_key)
              .status == 200);
    CHECK(request(srv.port, "GET /api/archive HTTP/1.1\r\nX-Api-Key: " + chair).status == 401);
  }
  srv.proc->signal(SIGTERM);
  CHECK(srv.proc->wait() == 0);
  auto const out = srv.proc->output();
  REQUIRE(out.find("\"msg\":\"stopped\"") != std::string::npos);  // the logs were captured
  CHECK(out.find(secret) == std::string::npos);
  CHECK(out.find(api_key) == std::string::npos);
  for (auto const* t : {&chair, &mod, &participant}) {
    // A token's signature is the part only the secret can make.
    CHECK(out.find(t->substr(t->rfind('.') + 1)) == std::string::npos);
  }
}

TEST_CASE("the data dir is created 0700 and its files 0600", "[http][security]") {
  temp_dir tmp;
  auto const dir = fs::path(tmp.path()) / "fresh" / "data";
  {
    server_process srv({"--data-dir", dir.string()});  // demo mode: the secret is stored there
    ws_client c(srv.port);
    REQUIRE(c.hello("Ada").boolean("ok"));
  }
  auto mode = [](fs::path const& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  CHECK(mode(dir) == 0700);
  CHECK(mode(dir.parent_path()) == 0700);
  std::size_t files = 0;
  for (auto const& e : fs::directory_iterator(dir)) {
    INFO(e.path());
    CHECK(mode(e.path()) == 0600);
    ++files;
  }
  CHECK(files >= 1);
}
