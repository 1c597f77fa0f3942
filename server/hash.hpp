// A stable hash of a room id: the same on every node, build and run (unlike
// std::hash), well spread in its low bits, so `% n` picks a room's home worker
// and its Redis shard evenly.
#pragma once

#include <cstdint>
#include <string_view>

namespace roundtable {

constexpr std::uint64_t stable_hash(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  // FNV's low bits are weak: finish with the splitmix64 mixer.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace roundtable
