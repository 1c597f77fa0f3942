// Connections counted per client address against a cap, from any thread. The
// listener counts sockets from accept to their upgrade (or close); the node
// counts WebSocket connections. Both share the cap --max-connections-per-ip.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace roundtable {

class address_cap {
 public:
  explicit address_cap(std::size_t limit) : limit_(limit) {}

  // Counts one more connection from `addr`. Returns the cap's own copy of
  // the address, which stays put until that connection's release() (a
  // connection keeps a pointer, not a string); null (and nothing counted)
  // when it already has `limit` of them.
  std::string const* admit(std::string const& addr) {
    std::lock_guard lock(mutex_);
    auto& [key, n] = *counts_.try_emplace(addr, 0).first;
    if (n >= limit_) return nullptr;
    ++n;
    return &key;
  }

  // Undoes one admit() of `addr`.
  void release(std::string const& addr) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(addr);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }

 private:
  std::size_t const limit_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> counts_;
};

}  // namespace roundtable
