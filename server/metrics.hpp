// Counters for /metrics. Hot-path counters live per worker (each worker writes
// only its own, relaxed atomics, no sharing of cache lines); /metrics sums them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace roundtable {

struct alignas(64) worker_counters {
  std::atomic<std::uint64_t> connections{0};  // open now
  std::atomic<std::uint64_t> ops_in{0};
  std::atomic<std::uint64_t> events_out{0};  // events emitted by rooms homed here
  std::atomic<std::uint64_t> deliveries{0};  // events pushed into send queues
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> slow_consumer_closes{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> flood_closes{0};
  std::atomic<std::uint64_t> errors{0};  // error replies
};

// Latency from an event's serialization at home to its write completing, in a
// histogram with power-of-two microsecond buckets.
struct latency_histogram {
  static constexpr std::size_t buckets = 24;  // 1 us .. ~8 s
  std::array<std::atomic<std::uint64_t>, buckets> counts{};
  std::atomic<std::uint64_t> sum_us{0};
  void record(std::uint64_t us) noexcept;
};

struct metrics {
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> refused_origin{0};
  std::atomic<std::uint64_t> refused_address{0};
  std::atomic<std::uint64_t> refused_accept{0};  // sockets closed at accept, over the cap
  latency_histogram publish_to_write;
};

}  // namespace roundtable
