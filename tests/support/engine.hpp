// The engines a contract test runs against: "memory" (embedded) and "redis"
// (a redis-server of the test's own on a free port). Use with Catch2's
// GENERATE so one test body covers both.
#pragma once

#include "tests/support/process.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace roundtable::test {

class engine_under_test {
 public:
  explicit engine_under_test(std::string name) : name_(std::move(name)) {
    if (name_ == "redis") redis_ = std::make_unique<redis_process>();
  }
  std::string const& name() const noexcept { return name_; }
  // Server arguments selecting this engine, then `extra`.
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a;
    if (redis_) {
      a = {"--redis", "redis://127.0.0.1:" + std::to_string(redis_->port)};
    } else {
      a = {"--ephemeral"};
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  redis_process* redis() noexcept { return redis_.get(); }

 private:
  std::string name_;
  std::unique_ptr<redis_process> redis_;
};

// A server on one engine, started with `extra` after the engine's arguments.
struct engine_server {
  engine_server(std::string const& name, std::vector<std::string> const& extra)
      : engine(name), proc(engine.args(extra)), port(proc.port) {}
  engine_under_test engine;
  server_process proc;
  int port;
};

// Two Redis engine nodes, A and B, sharing one redis-server, each started
// with `args`.
struct two_nodes {
  explicit two_nodes(std::vector<std::string> const& args)
      : a(with_node(args, "A")), b(with_node(args, "B")) {}
  redis_process redis;
  std::string url = "redis://127.0.0.1:" + std::to_string(redis.port);
  server_process a;
  server_process b;
  std::pair<int, int> ports{a.port, b.port};

 private:
  std::vector<std::string> with_node(std::vector<std::string> args, std::string const& id) const {
    args.insert(args.end(), {"--redis", url, "--node-id", id});
    return args;
  }
};

// A redis-server of its own and `n` nodes on it (node ids n0, n1, ...), each
// started with `args`: the setup of the tests that race across nodes.
struct redis_nodes {
  redis_nodes(int n, std::vector<std::string> const& args) {
    for (int i = 0; i < n; ++i) {
      auto a = args;
      a.insert(a.end(), {"--redis", "redis://127.0.0.1:" + std::to_string(redis.port), "--node-id",
                         "n" + std::to_string(i)});
      nodes.push_back(std::make_unique<server_process>(std::move(a)));
      ports.push_back(nodes.back()->port);
    }
  }
  redis_process redis;
  std::vector<std::unique_ptr<server_process>> nodes;
  std::vector<int> ports;
};

}  // namespace roundtable::test
