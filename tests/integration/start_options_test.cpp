// Start options: every flag of server/config.cpp with a bad value makes the
// server exit with status 2 and one line naming the flag, before it listens;
// none aborts, and none starts a node that can never become ready. The same
// flags with good values start a server that is ready.
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

struct start_result {
  int status = -1;
  std::string output;
};

start_result start(std::vector<std::string> args) {
  args.insert(args.begin(), server_path());
  child_process p(std::move(args));
  start_result r;
  r.status = p.wait(10s);
  r.output = p.wait_output();
  return r;
}

// The plain lines of the output: the log's JSON lines (e.g. the static files
// loaded before the data dir is opened) are not the start error.
std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.rfind("{\"ts\":", 0) != 0) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("a bad value for any start option: exit 2 with one line naming it", "[start]") {
  temp_dir tmp;
  auto const a_file = tmp.path() + "/a-file";
  std::ofstream(a_file) << "not a folder";
  auto const not_db = tmp.path() + "/not-a-db";
  std::filesystem::create_directory(not_db);
  std::ofstream(not_db + "/roundtable.db") << std::string(8192, 'x');
  auto const bad_json = tmp.path() + "/event.json";
  std::ofstream(bad_json) << "{\"tables\": [";

  struct bad_case {
    std::string flag;  // the option the one line must name
    std::vector<std::string> args;
  };
  std::vector<bad_case> const cases{
      {"--bind", {"--bind", "not-an-address"}},
      {"--bind", {"--bind", "127.0.0.1:80"}},
      {"--port", {"--port", "65536"}},
      {"--port", {"--port", "-1"}},
      {"--port", {"--port", "80x"}},
      {"--threads", {"--threads", "many"}},
      {"--threads", {"--threads", "100000"}},
      {"--history", {"--history", "0"}},
      {"--history", {"--history", "99999999999999999999999"}},
      {"--event", {"--event", tmp.path() + "/missing.json"}},
      {"--event", {"--event", bad_json}},
      {"--web-root", {"--web-root", tmp.path() + "/missing"}},
      {"--web-root", {"--web-root", a_file}},
      {"--secret", {"--secret", ""}},
      {"--api-key", {"--api-key", ""}},
      {"--metrics-key", {"--metrics-key", ""}},
      {"--handshake-timeout", {"--handshake-timeout", "0"}},
      {"--handshake-timeout", {"--handshake-timeout", "later"}},
      {"--max-tables", {"--max-tables", "0"}},
      {"--max-tables", {"--max-tables", "1001"}},
      {"--max-tables", {"--max-tables", "many"}},
      {"--data-dir", {"--data-dir", a_file}},
      {"--data-dir", {"--data-dir", "/proc/roundtable-cannot-be-here"}},
      {"--data-dir", {"--data-dir", not_db}},
      {"--redis", {"--redis", "redis://127.0.0.1:0"}},
      {"--redis", {"--redis", "redis://127.0.0.1:99999"}},
      {"--redis", {"--redis", "redis://127.0.0.1:port"}},
      {"--redis", {"--redis", "redis://:6379"}},
      {"--redis", {"--redis", "notaurl"}},
      {"--redis", {"--redis", "redis://no-such-host.invalid:6379"}},
      {"--redis", {"--redis", "sentinel://127.0.0.1:26379"}},  // no master name
      {"--redis", {"--redis", "sentinel://127.0.0.1:0/main"}},
      {"--redis", {"--redis", "sentinel:///main"}},
      {"--redis", {"--redis", "sentinel://127.0.0.1:26379,,127.0.0.1:26380/main"}},
      {"--redis", {"--redis", "sentinel://no-such-host.invalid:26379/main"}},
      {"--redis", {"--redis", "redis://127.0.0.1:6379,sentinel://127.0.0.1:1"}},
      {"--redis-wait-replicas", {"--redis-wait-replicas", "-1"}},
      {"--redis-wait-replicas", {"--redis-wait-replicas", "17"}},
      {"--redis-wait-replicas", {"--redis-wait-replicas", "one"}},
      {"--redis-wait-replicas", {"--redis-wait-replicas", "1"}},  // without --redis
      {"--redis-wait-timeout-ms", {"--redis-wait-timeout-ms", "0"}},
      {"--redis-wait-timeout-ms", {"--redis-wait-timeout-ms", "60001"}},
      {"--redis-wait-timeout-ms", {"--redis-wait-timeout-ms", "1s"}},
      {"--node-id", {"--node-id", "has space"}},
      {"--node-id", {"--node-id", ""}},
      {"--node-id", {"--node-id", std::string(33, 'n')}},
      {"--presence-ttl", {"--presence-ttl", "0"}},
      {"--presence-ttl", {"--presence-ttl", "soon"}},
      {"--replica-linger-ms", {"--replica-linger-ms", "-1"}},
      {"--replica-linger-ms", {"--replica-linger-ms", "3600001"}},
      {"--replica-linger-ms", {"--replica-linger-ms", "30s"}},
      {"--allow-origin", {"--allow-origin", "app.example"}},
      {"--allow-origin", {"--allow-origin", "https://app.example/path"}},
      {"--allow-origin", {"--allow-origin", ""}},
      {"--send-queue-bytes", {"--send-queue-bytes", "10"}},
      {"--send-queue-bytes", {"--send-queue-bytes", "1MB"}},
      {"--rate-limit", {"--rate-limit", "-5"}},
      {"--rate-limit", {"--rate-limit", "fast"}},
      {"--rate-burst", {"--rate-burst", "0"}},
      {"--rate-burst", {"--rate-burst", "1.5"}},
      {"--max-connections-per-ip", {"--max-connections-per-ip", "0"}},
      {"--max-connections-per-ip", {"--max-connections-per-ip", "lots"}},
      {"--idle-timeout", {"--idle-timeout", "0"}},
      {"--idle-timeout", {"--idle-timeout", "86401"}},
      {"--log-level", {"--log-level", "loud"}},
      {"--tls-cert", {"--tls-cert", tmp.path() + "/missing.pem", "--tls-key", a_file}},
      {"--tls-key", {"--tls-key", tmp.path() + "/missing.pem", "--tls-cert", a_file}},
      {"--tls-key", {"--tls-cert", a_file}},                        // one without the other
      {"--tls-cert", {"--tls-cert", a_file, "--tls-key", a_file}},  // not PEM
      {"--port", {"--port"}},                                       // a value missing
      {"--thread", {"--thread", "2"}},  // a typo, not a prefix of --threads
      {"stray", {"stray"}},
      {"--ephemeral", {"--ephemeral", "--ephemeral=yes"}},
  };
  for (auto const& c : cases) {
    // A bad data dir or Redis shows only when the node opens them: no
    // --ephemeral around those; the others run without touching the disk.
    auto args = c.args;
    if (c.flag != "--data-dir" && c.flag != "--ephemeral") args.insert(args.begin(), "--ephemeral");
    auto const r = start(args);
    std::string shown;
    for (auto const& a : c.args) shown += a + " ";
    INFO("args: " << shown << "\noutput:\n" << r.output);
    REQUIRE(r.status != -1);  // it exited, and did not start serving
    CHECK(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 2);
    auto const lines = lines_of(r.output);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(c.flag) != std::string::npos);
  }
}

TEST_CASE("every start option with a good value starts a ready server", "[start]") {
  temp_dir data, web;
  std::filesystem::create_directory(web.path() + "/public");
  std::ofstream(web.path() + "/public/index.html") << "<!doctype html><title>t</title>";
  std::vector<std::pair<std::string, std::string>> const good{
      {"--threads", "2"},
      {"--history", "10"},
      {"--web-root", web.path()},
      {"--secret", "s3cret"},
      {"--api-key", "k"},
      {"--metrics-key", "m"},
      {"--data-dir", data.path()},
      {"--node-id", "node-1"},
      {"--presence-ttl", "5"},
      {"--replica-linger-ms", "0"},
      {"--allow-origin", "https://app.example:8443"},
      {"--allow-origin", "*"},
      {"--send-queue-bytes", "65536"},
      {"--rate-limit", "0"},
      {"--rate-burst", "1"},
      {"--max-connections-per-ip", "5"},
      {"--handshake-timeout", "5"},
      {"--max-tables", "10"},
      {"--idle-timeout", "5"},
      {"--log-level", "warn"},
      {"--redis-wait-timeout-ms", "250"},
  };
  std::vector<std::string> args;
  for (auto const& [flag, value] : good) args.insert(args.end(), {flag, value});
  server_process srv(args);
  CHECK(http_get(srv.port, "/readyz").status == 200);
  CHECK(http_get(srv.port, "/").body.find("<title>t</title>") != std::string::npos);
  CHECK(http_get(srv.port, "/api/report", {{"X-Api-Key", "k"}}).status == 200);
  std::filesystem::path const db = data.path() + "/roundtable.db";
  CHECK(std::filesystem::exists(db));
}
