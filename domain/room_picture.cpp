// The participation picture of a table (room_picture.hpp): the per-minute
// samples, arrivals by origin and the stays, changed in log order and written
// to and read from the room state.
#include "domain/room_picture.hpp"

#include <simdjson.h>

#include <algorithm>

namespace roundtable {

namespace {

std::uint32_t small(std::size_t n) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
}

template <class T>
T num_at(simdjson::dom::element const& e, char const* key, T fallback) {
  T v{};
  return e[key].get(v) ? fallback : v;
}

}  // namespace

table_picture::sample& table_picture::at(std::int64_t ts) {
  latest_ = std::max(latest_, ts);
  auto const minute = ts / minute_ms;
  if (!samples_.empty() && minute <= samples_.back().minute) return samples_.back();
  auto const now = small(seated_.size());
  auto next = samples_.empty() ? minute : samples_.back().minute + 1;
  auto const keep = static_cast<std::int64_t>(max_minutes);
  if (minute - next >= keep) {  // a long quiet spell: only its last minutes are kept
    dropped_ += samples_.size() + static_cast<std::uint64_t>(minute - keep + 1 - next);
    samples_.clear();
    next = minute - keep + 1;
  }
  for (; next <= minute; ++next) samples_.push_back({next, now, now, 0});
  while (samples_.size() > max_minutes) {
    samples_.pop_front();
    ++dropped_;
  }
  return samples_.back();
}

void table_picture::count_seated() {
  auto& s = samples_.back();
  s.seated = small(seated_.size());
  s.peak = std::max(s.peak, s.seated);
}

void table_picture::sat(std::string const& who, std::int64_t ts, std::string const& from) {
  at(ts);
  if (!seated_.emplace(who, ts).second) return;
  if (!from.empty()) ++arrivals_[from];
  count_seated();
}

void table_picture::left(std::string const& who, std::int64_t ts) {
  at(ts);
  auto const it = seated_.find(who);
  if (it == seated_.end()) return;  // sat down before a restart: its stay is not known
  end_stay(it->second, ts);
  seated_.erase(it);
  count_seated();
}

void table_picture::end_stay(std::int64_t since, std::int64_t ts) {
  auto const ms = std::max<std::int64_t>(0, ts - since);
  ++stay_minutes_[std::min(ms / minute_ms, max_stay_minutes)];
  ++stays_;
  stayed_ms_ += ms;
}

void table_picture::contributed(std::int64_t ts) {
  ++at(ts).contributions;
}

std::uint64_t table_picture::hops_in() const {
  std::uint64_t n = 0;
  for (auto const& [from, k] : arrivals_) {
    if (is_table(from)) n += k;
  }
  return n;
}

table_picture::stay_summary table_picture::stays() const {
  auto minutes = stay_minutes_;
  stay_summary out{stays_, stayed_ms_, 0};
  for (auto const& [who, since] : seated_) {
    auto const ms = std::max<std::int64_t>(0, latest_ - since);
    ++minutes[std::min(ms / minute_ms, max_stay_minutes)];
    ++out.count;
    out.total_ms += ms;
  }
  // The lower median: the stay at rank (count + 1) / 2.
  std::uint64_t seen = 0;
  for (auto const& [m, n] : minutes) {
    seen += n;
    if (2 * seen >= out.count) {
      out.median_minutes = m;
      break;
    }
  }
  return out;
}

void table_picture::write(protocol::json_writer& w, bool replica) const {
  w.begin_object()
      .field("dropped", dropped_)
      .field("stays", stays_)
      .field("stayed_ms", stayed_ms_)
      .field("latest", latest_);
  // Samples as [minute, peak, seated, contributions]: 720 of them stay small.
  w.key("samples").begin_array();
  for (auto const& s : samples_) {
    w.begin_array()
        .value(s.minute)
        .value(static_cast<std::uint64_t>(s.peak))
        .value(static_cast<std::uint64_t>(s.seated))
        .value(static_cast<std::uint64_t>(s.contributions))
        .end_array();
  }
  w.end_array().key("arrivals").begin_object();
  for (auto const& [from, n] : arrivals_) w.field(from, n);
  w.end_object().key("stay_minutes").begin_array();
  for (auto const& [m, n] : stay_minutes_) w.begin_array().value(m).value(n).end_array();
  w.end_array();
  if (replica) {
    w.key("seated").begin_object();
    for (auto const& [who, since] : seated_) w.field(who, since);
    w.end_object();
  }
  w.end_object();
}

void table_picture::read(simdjson::dom::element const& e, bool replica) {
  *this = {};
  dropped_ = num_at<std::uint64_t>(e, "dropped", 0);
  stays_ = num_at<std::uint64_t>(e, "stays", 0);
  stayed_ms_ = num_at<std::int64_t>(e, "stayed_ms", 0);
  latest_ = num_at<std::int64_t>(e, "latest", 0);
  simdjson::dom::array a;
  if (!e["samples"].get(a)) {
    for (simdjson::dom::element s : a) {
      simdjson::dom::array row;
      std::int64_t minute = 0;
      std::uint64_t peak = 0, seated = 0, contributions = 0;
      if (s.get(row) || row.at(0).get(minute) || row.at(1).get(peak) || row.at(2).get(seated) ||
          row.at(3).get(contributions))
        continue;
      samples_.push_back({minute, small(peak), small(seated), small(contributions)});
    }
  }
  simdjson::dom::object o;
  if (!e["arrivals"].get(o)) {
    for (auto [from, n] : o) {
      std::uint64_t v = 0;
      if (!n.get(v)) arrivals_.emplace(std::string(from), v);
    }
  }
  if (!e["stay_minutes"].get(a)) {
    for (simdjson::dom::element s : a) {
      simdjson::dom::array row;
      std::int64_t m = 0;
      std::uint64_t n = 0;
      if (!s.get(row) && !row.at(0).get(m) && !row.at(1).get(n)) stay_minutes_[m] = n;
    }
  }
  if (replica && !e["seated"].get(o)) {
    for (auto [who, since] : o) {
      std::int64_t v = 0;
      if (!since.get(v)) seated_.emplace(std::string(who), v);
    }
  }
}

}  // namespace roundtable
