// The participation picture of one table: per minute how many people sat there
// and how much they said, where the people who sat down came from (the hops),
// and how long they stayed. The room feeds it while it applies its log, from
// the commands' timestamps and nothing else, so every replica holds the same
// picture; it is part of the room state (durable, replicated) and bounded.
#pragma once

#include "protocol/json_writer.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace simdjson::dom {
class element;
}

namespace roundtable {

class table_picture {
 public:
  // Minutes of samples kept: 12 hours, a long day's event with margin. Past
  // it the oldest minute goes (counted in dropped_minutes): the state, which
  // every change rewrites, stays within 720 small samples.
  static constexpr std::size_t max_minutes = 720;
  // Stays are counted per whole minute in a histogram of this many buckets
  // (a longer stay counts in the last): the median needs no list of stays.
  static constexpr std::int64_t max_stay_minutes = 720;
  static constexpr std::int64_t minute_ms = 60'000;
  // Where a person came from when nothing else is known: their first seat
  // (the lobby), or back from the plenary after leaving a table.
  static constexpr std::string_view from_lobby = "lobby";
  static constexpr std::string_view from_plenary = "plenary";

  struct sample {
    std::int64_t minute = 0;          // ms since the Unix epoch / minute_ms
    std::uint32_t peak = 0;           // the most people seated during the minute
    std::uint32_t seated = 0;         // at its end (so far, for the latest)
    std::uint32_t contributions = 0;  // messages and insights posted
  };
  struct stay_summary {
    std::uint64_t count = 0;  // stays, ended or still going
    std::int64_t total_ms = 0;
    std::int64_t median_minutes = 0;  // whole minutes
    std::int64_t person_minutes() const { return (total_ms + minute_ms / 2) / minute_ms; }
    std::int64_t mean_minutes() const {
      return count == 0 ? 0
                        : (total_ms / static_cast<std::int64_t>(count) + minute_ms / 2) / minute_ms;
    }
  };
  // Whether an origin is a table (an arrival from it is a hop).
  static bool is_table(std::string_view from) { return from != from_lobby && from != from_plenary; }

  // A participant's first connection here sat down at `ts`, coming from
  // `from` (a table id, from_lobby or from_plenary; empty: a connection that
  // resumed its seat, no arrival).
  void sat(std::string const& who, std::int64_t ts, std::string const& from);
  // The participant's last connection here left at `ts`.
  void left(std::string const& who, std::int64_t ts);
  void contributed(std::int64_t ts);

  // Views for the report.
  std::deque<sample> const& samples() const noexcept { return samples_; }
  std::uint64_t dropped_minutes() const noexcept { return dropped_; }
  // Arrivals by where they came from.
  std::map<std::string, std::uint64_t> const& arrivals() const noexcept { return arrivals_; }
  // Arrivals from other tables.
  std::uint64_t hops_in() const;
  std::size_t seated() const noexcept { return seated_.size(); }
  // Ended stays and the open ones, measured to the latest time the picture
  // took (a seat, a leave or a contribution here): the same on every replica,
  // whenever the report is built.
  stay_summary stays() const;

  // The state's `picture` object; `replica` adds who is seated now (live
  // connections: a restarted process has none, and their stays end unmeasured).
  void write(protocol::json_writer& w, bool replica) const;
  void read(simdjson::dom::element const& e, bool replica);

 private:
  // Starts the samples up to `ts`'s minute (a clock behind the latest sample
  // counts in it), and returns the latest.
  sample& at(std::int64_t ts);
  void end_stay(std::int64_t since, std::int64_t ts);
  void count_seated();

  std::deque<sample> samples_;  // one per minute, oldest first, no gaps
  std::uint64_t dropped_ = 0;
  std::map<std::string, std::uint64_t> arrivals_;
  std::map<std::string, std::int64_t> seated_;          // participant id -> since
  std::map<std::int64_t, std::uint64_t> stay_minutes_;  // ended stays per whole minute
  std::uint64_t stays_ = 0;                             // ended
  std::int64_t stayed_ms_ = 0;
  std::int64_t latest_ = 0;  // the latest ts applied
};

}  // namespace roundtable
