// The engines a contract test runs against: "memory" (embedded) and "redis"
// (a redis-server of the test's own on a free port). Use with Catch2's
// GENERATE so one test body covers both.
#pragma once

#include "tests/support/process.hpp"

#include <memory>
#include <string>
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
