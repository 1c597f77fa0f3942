// A log-bucketed latency histogram in nanoseconds: 32 linear sub-buckets per power of
// two, so any recorded value is reported within about 3 % of its true value, in a fixed
// 15 KiB with no allocation while recording. One writer thread per histogram (relaxed
// atomics let the progress line read it from another thread); merge them for totals.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace loadtest {

class histogram {
 public:
  static constexpr int sub_bits = 5;
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int bucket_count = (64 - sub_bits + 1) * sub_count;

  static int index_of(std::uint64_t v) {
    if (v < sub_count) return static_cast<int>(v);
    int const top = 63 - std::countl_zero(v);  // >= sub_bits
    int const shift = top - sub_bits;
    auto const sub = static_cast<int>((v >> shift) & (sub_count - 1));
    return (shift + 1) * sub_count + sub;
  }
  // The smallest value that lands in bucket i.
  static std::uint64_t lower_bound(int i) {
    if (i < sub_count) return static_cast<std::uint64_t>(i);
    int const shift = i / sub_count - 1;
    auto const sub = static_cast<std::uint64_t>(i % sub_count);
    return (sub_count + sub) << shift;
  }
  // A representative value of bucket i (its middle).
  static std::uint64_t middle(int i) {
    std::uint64_t const lo = lower_bound(i);
    std::uint64_t const hi = i + 1 < bucket_count ? lower_bound(i + 1) : lo;
    return lo + (hi - lo) / 2;
  }

  void record(std::uint64_t v) {
    buckets_[index_of(v)].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    if (v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  }

  void merge(histogram const& o) {
    for (int i = 0; i < bucket_count; ++i) {
      auto const n = o.buckets_[i].load(std::memory_order_relaxed);
      if (n) buckets_[i].fetch_add(n, std::memory_order_relaxed);
    }
    count_.fetch_add(o.count(), std::memory_order_relaxed);
    if (o.max() > max()) max_.store(o.max(), std::memory_order_relaxed);
  }

  void reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
    count_.store(0, std::memory_order_relaxed);
    max_.store(0, std::memory_order_relaxed);
  }

  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  std::uint64_t max() const { return max_.load(std::memory_order_relaxed); }

  // The value at quantile q in [0, 1]; 0 when empty. Never above the recorded maximum.
  std::uint64_t percentile(double q) const {
    std::uint64_t total = 0;
    for (auto const& b : buckets_) total += b.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total) + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > total) rank = total;
    std::uint64_t seen = 0;
    for (int i = 0; i < bucket_count; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank) {
        std::uint64_t const m = middle(i);
        return m < max() ? m : max();
      }
    }
    return max();
  }

 private:
  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace loadtest
