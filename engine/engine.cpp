// Epochs and the choice of engine.
#include "engine/engine.hpp"

#include "engine/memory_engine.hpp"
#include "engine/redis_engine.hpp"

#include <chrono>
#include <mutex>
#include <random>

namespace roundtable {

std::uint64_t new_epoch() {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex m;
  auto const ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::lock_guard lock(m);
  return ((ms << 10) | (rng() & 0x3FF)) & ((1ULL << 53) - 1);
}

std::unique_ptr<engine> make_engine(engine_host& host, engine_settings s) {
  if (!s.redis.empty()) return std::make_unique<redis_engine>(host, std::move(s));
  return std::make_unique<memory_engine>(host, s);
}

}  // namespace roundtable
