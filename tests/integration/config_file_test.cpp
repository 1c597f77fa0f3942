// The config file and the environment: every setting can come from a flag,
// a ROUNDTABLE_<KEY> variable or a `key = value` line of the --config file, in
// that precedence over the defaults; --print-config shows what won, secrets
// masked; an unknown key or a bad value in any source is a start error naming
// the key as that source spells it. The `token` subcommand finds the secret the
// same way, and the packaged roundtable.conf names every option.
#include "server/auth/jwt.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <ctime>
#include <fstream>
#include <sstream>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

struct run_result {
  int status = -1;
  std::string output;
};

// The server run to its exit with `env` (NAME=VALUE) in its environment.
run_result run(std::vector<std::string> env, std::vector<std::string> const& args) {
  env.insert(env.begin(), "env");
  env.push_back(server_path());
  env.insert(env.end(), args.begin(), args.end());
  child_process p(env);
  run_result r;
  r.status = p.wait(10s);
  r.output = p.wait_output();
  return r;
}

bool exited_with(run_result const& r, int code) {
  return r.status != -1 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == code;
}

bool has_line(std::string const& text, std::string const& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

std::string write(temp_dir const& dir, std::string const& name, std::string const& text) {
  auto const path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("flags over environment over the config file over the defaults", "[config]") {
  temp_dir tmp;
  auto const file = write(tmp, "roundtable.conf",
                          "# a comment\n"
                          "port = 1111\n"
                          "max-tables = 9\n"
                          "rate-limit = 7\n"
                          "rate-burst = 8\n"
                          "secret = file-secret-value\n"
                          "allow-origin = https://file-a.example\n"
                          "allow-origin = https://file-b.example\n"
                          "ephemeral = true\n");
  auto const r = run(
      {"ROUNDTABLE_RATE_LIMIT=17", "ROUNDTABLE_RATE_BURST=18", "ROUNDTABLE_SECRET=env-secret-value",
       "ROUNDTABLE_NOT_AN_OPTION=x", "ROUNDTABLE_HISTORY="},
      {"--config", file, "--rate-burst", "28", "--allow-origin", "https://flag.example",
       "--print-config"});
  INFO(r.output);
  REQUIRE(exited_with(r, 0));
  CHECK(has_line(r.output, "port = 1111"));                          // file over default
  CHECK(has_line(r.output, "max-tables = 9"));                       // file over default
  CHECK(has_line(r.output, "history = 1000"));                       // an empty variable is unset
  CHECK(has_line(r.output, "rate-limit = 17"));                      // env over file
  CHECK(has_line(r.output, "rate-burst = 28"));                      // flag over env and file
  CHECK(has_line(r.output, "allow-origin = https://flag.example"));  // a list is replaced
  CHECK_FALSE(has_line(r.output, "allow-origin = https://file-a.example"));
  CHECK(has_line(r.output, "ephemeral = true"));
  CHECK(has_line(r.output, "secret = ********"));
  CHECK(r.output.find("secret-value") == std::string::npos);
  CHECK(r.output.find("listening") == std::string::npos);

  // What it prints is a config file that reads back to the same settings.
  auto const printed = write(tmp, "printed.conf", r.output);
  auto const again = run({}, {"--config", printed, "--print-config"});
  CHECK(exited_with(again, 0));
  CHECK(again.output == r.output);
}

TEST_CASE("a flag repeated: the last one wins, a list grows", "[config]") {
  auto const r =
      run({}, {"--port", "9", "--port", "10", "--data-dir", "d", "--ephemeral", "--allow-origin",
               "https://a.example", "--allow-origin", "https://b.example", "--print-config"});
  INFO(r.output);
  REQUIRE(exited_with(r, 0));
  CHECK(has_line(r.output, "port = 10"));
  CHECK(has_line(r.output, "ephemeral = true"));
  CHECK(has_line(r.output, "allow-origin = https://a.example"));
  CHECK(has_line(r.output, "allow-origin = https://b.example"));
}

TEST_CASE("an unknown key or a bad value in the file or the environment", "[config]") {
  temp_dir tmp;
  struct bad_case {
    std::vector<std::string> env;
    std::string file_text;  // empty: no --config
    std::string named;      // what the one line must name
  };
  std::vector<bad_case> const cases{
      {{}, "prot = 7\n", "prot"},
      {{}, "port = x\n", "port"},
      {{}, "max-tables = 1001\n", "max-tables"},
      {{}, "allow-origin = app.example\n", "allow-origin"},
      {{}, "ephemeral = maybe\n", "ephemeral"},
      {{}, "config = other.conf\n", "config"},
      {{}, "print-config = true\n", "print-config"},
      {{}, "port 7\n", "port 7"},
      {{"ROUNDTABLE_MAX_TABLES=0"}, "", "ROUNDTABLE_MAX_TABLES"},
      {{"ROUNDTABLE_LOG_LEVEL=loud"}, "", "ROUNDTABLE_LOG_LEVEL"},
      {{"ROUNDTABLE_CONFIG=" + tmp.path() + "/missing.conf"}, "", "missing.conf"},
  };
  for (auto const& c : cases) {
    std::vector<std::string> args{"--ephemeral"};
    std::string file;
    if (!c.file_text.empty()) {
      file = write(tmp, "bad.conf", c.file_text);
      args.insert(args.end(), {"--config", file});
    }
    auto const r = run(c.env, args);
    INFO("file: " << c.file_text << "output:\n" << r.output);
    REQUIRE(r.status != -1);  // it exited rather than serving
    CHECK(exited_with(r, 2));
    CHECK(r.output.find(c.named) != std::string::npos);
    if (!file.empty()) CHECK(r.output.find(file) != std::string::npos);
    CHECK(r.output.find("listening") == std::string::npos);
  }
}

TEST_CASE("a server started from a config file serves with its settings", "[config]") {
  temp_dir tmp;
  // The file's port would fail to bind: the flag server_process adds wins.
  auto const file = write(tmp, "roundtable.conf",
                          "port = 1\n"
                          "ephemeral = true\n"
                          "api-key = file-key\n"
                          "metrics-key = file-metrics\n");
  server_process srv({"--config", file}, {"env", "ROUNDTABLE_METRICS_KEY=env-metrics"});
  CHECK(http_get(srv.port, "/api/report", {{"X-Api-Key", "file-key"}}).status == 200);
  CHECK(http_get(srv.port, "/api/report", {{"X-Api-Key", "other"}}).status != 200);
  CHECK(http_get(srv.port, "/metrics", {{"Authorization", "Bearer env-metrics"}}).status == 200);
  CHECK(http_get(srv.port, "/metrics", {{"Authorization", "Bearer file-metrics"}}).status != 200);
}

TEST_CASE("token reads the secret from --config, under ROUNDTABLE_SECRET and --secret",
          "[config]") {
  temp_dir tmp;
  auto const file = write(tmp, "roundtable.conf", "secret = file-secret-0123456789\n");
  auto const token_with = [&](std::vector<std::string> env, std::vector<std::string> extra) {
    std::vector<std::string> args{"token", "--role", "chair", "--name", "Ada"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(std::move(env), args);
    INFO(r.output);
    REQUIRE(exited_with(r, 0));
    return r.output.substr(0, r.output.find('\n'));
  };
  auto const signed_by = [](std::string const& token, std::string const& secret) {
    return roundtable::auth::verify(token, secret, std::time(nullptr)).ok;
  };
  CHECK(signed_by(token_with({}, {"--config", file}), "file-secret-0123456789"));
  CHECK(signed_by(token_with({"ROUNDTABLE_CONFIG=" + file}, {}), "file-secret-0123456789"));
  CHECK(signed_by(token_with({"ROUNDTABLE_SECRET=env-secret-0123456789"}, {"--config", file}),
                  "env-secret-0123456789"));
  CHECK(signed_by(token_with({}, {"--config", file, "--secret", "flag-secret-0123456789"}),
                  "flag-secret-0123456789"));

  // A config without a secret, or one that does not read: exit 2 naming why.
  auto const empty = write(tmp, "empty.conf", "port = 9\n");
  auto const none = run({}, {"token", "--role", "chair", "--name", "Ada", "--config", empty});
  CHECK(exited_with(none, 2));
  CHECK(none.output.find("no secret") != std::string::npos);
  auto const bad = write(tmp, "bad.conf", "scret = x\n");
  auto const unread = run({}, {"token", "--role", "chair", "--name", "Ada", "--config", bad});
  CHECK(exited_with(unread, 2));
  CHECK(unread.output.find("scret") != std::string::npos);
}

TEST_CASE("the packaged roundtable.conf names every option and reads", "[config]") {
  std::ifstream in(std::string(ROUNDTABLE_SOURCE_DIR) + "/packaging/roundtable.conf");
  std::stringstream text;
  text << in.rdbuf();
  auto conf = text.str();
  REQUIRE(!conf.empty());
  // Every setting --help lists is in it, set or commented with its default.
  auto const help = run({}, {"--help"}).output;
  auto const settings = help.substr(help.find("options (flags"));
  int named = 0;
  for (std::size_t at = settings.find("  --"); at != std::string::npos;
       at = settings.find("  --", at + 1)) {
    auto const key = settings.substr(at + 4, settings.find_first_of(" \n", at + 4) - at - 4);
    INFO(key);
    CHECK((conf.find("\n" + key + " = ") != std::string::npos ||
           conf.find("\n# " + key + " = ") != std::string::npos));
    ++named;
  }
  CHECK(named > 25);
  // It reads (its web-root and data-dir are the package's: here, temp dirs).
  temp_dir tmp;
  auto replace_value = [&](std::string const& key, std::string const& value) {
    auto const at = conf.find("\n" + key + " = ");
    REQUIRE(at != std::string::npos);
    conf.replace(at + 1, conf.find('\n', at + 1) - at - 1, key + " = " + value);
  };
  replace_value("web-root", tmp.path());
  replace_value("data-dir", tmp.path() + "/data");
  auto const r = run({}, {"--config", write(tmp, "roundtable.conf", conf), "--print-config"});
  INFO(r.output);
  CHECK(exited_with(r, 0));
  CHECK(has_line(r.output, "port = 8080"));
  CHECK(has_line(r.output, "data-dir = " + tmp.path() + "/data"));
}
