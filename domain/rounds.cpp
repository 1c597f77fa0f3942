// Networking rounds' grouping (see rounds.hpp). The random draws use
// std::mt19937_64, whose sequence the standard fixes, and our own shuffle
// (std::shuffle's is the library's choice): same seed, same groups on every node.
#include "domain/rounds.hpp"

#include <algorithm>
#include <random>

namespace roundtable::rounds {

namespace {

std::pair<std::string, std::string> ordered(std::string const& a, std::string const& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

// Draws to try before keeping the one with the fewest repeated pairs: the
// greedy pick avoids most repeats alone, a few more draws the rest.
constexpr int draws = 16;

void shuffle(std::vector<std::string>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

// One draw: fills each group with, in turn, the first person left, then the
// person left who met the fewest of the group so far (the earliest on a tie).
std::vector<std::vector<std::string>> draw(std::vector<std::string> left,
                                           std::vector<std::size_t> const& sizes,
                                           met_pairs const& met) {
  std::vector<std::vector<std::string>> groups;
  for (auto const want : sizes) {
    std::vector<std::string> g{left.front()};
    left.erase(left.begin());
    while (g.size() < want) {
      std::size_t best = 0;
      std::size_t best_repeats = SIZE_MAX;
      for (std::size_t i = 0; i < left.size() && best_repeats > 0; ++i) {
        std::size_t const r = static_cast<std::size_t>(
            std::count_if(g.begin(), g.end(), [&](auto const& m) { return met.met(m, left[i]); }));
        if (r < best_repeats) {
          best = i;
          best_repeats = r;
        }
      }
      g.push_back(left[best]);
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(best));
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

}  // namespace

bool met_pairs::met(std::string const& a, std::string const& b) const {
  return known_.count(ordered(a, b)) != 0;
}

void met_pairs::add(std::string const& a, std::string const& b) {
  auto p = ordered(a, b);
  if (!known_.insert(p).second) return;
  order_.push_back(std::move(p));
  if (order_.size() > limit_) {
    known_.erase(order_.front());
    order_.pop_front();
  }
}

void met_pairs::clear() {
  order_.clear();
  known_.clear();
}

void met_pairs::forget(std::string const& id) {
  auto const has = [&](auto const& p) { return p.first == id || p.second == id; };
  std::erase_if(order_, has);
  std::erase_if(known_, has);
}

std::vector<std::size_t> group_sizes(std::size_t n, std::size_t size, std::size_t max_groups) {
  if (n < 2 || size == 0 || max_groups == 0) return {};
  std::size_t groups = std::max<std::size_t>(1, (2 * n + size) / (2 * size));
  while (groups > 1 && n / groups < 2) --groups;
  if (groups > max_groups) return std::vector<std::size_t>(max_groups, size);
  std::vector<std::size_t> sizes(groups, n / groups);
  for (std::size_t i = 0; i < n % groups; ++i) ++sizes[groups - 1 - i];
  return sizes;
}

std::size_t repeated_pairs(std::vector<std::vector<std::string>> const& groups,
                           met_pairs const& met) {
  std::size_t repeats = 0;
  for (auto const& g : groups) {
    for (std::size_t i = 0; i < g.size(); ++i) {
      for (std::size_t j = i + 1; j < g.size(); ++j) repeats += met.met(g[i], g[j]) ? 1 : 0;
    }
  }
  return repeats;
}

std::vector<std::vector<std::string>> form_groups(std::vector<std::string> people, std::size_t size,
                                                  std::uint64_t seed, met_pairs const& met,
                                                  std::size_t max_groups) {
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  auto const sizes = group_sizes(people.size(), size, max_groups);
  if (sizes.empty()) return {};
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::string>> best;
  std::size_t best_repeats = SIZE_MAX;
  for (int i = 0; i < draws && best_repeats > 0; ++i) {
    shuffle(people, rng);
    auto groups = draw(people, sizes, met);
    auto const repeats = repeated_pairs(groups, met);
    if (repeats < best_repeats) {
      best = std::move(groups);
      best_repeats = repeats;
    }
  }
  return best;
}

}  // namespace roundtable::rounds
