// Who is seated at a table, per person, kept up to date as each connection
// joins and leaves, so that what the lobby and the chair's `balance` read of a
// table costs a lookup rather than a walk over everyone seated: how many
// people (a person with two tabs counts once), the stakeholder mix, whether the
// table's moderator is here, who may be moved, the most recently seated
// first, and what each seated person said of themselves (the snapshot's and
// presence's `stakeholder` and `expertise`). A join or a leave costs O(log n)
// in the people seated plus the person's own connections; movable() alone
// walks, once per call.
#pragma once

#include "domain/balance_plan.hpp"
#include "domain/participant.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace roundtable {

class seating {
 public:
  seating() = default;
  // order_ points into people_: a copy would point into the original.
  seating(seating const&) = delete;
  seating& operator=(seating const&) = delete;
  seating(seating&&) noexcept = default;
  seating& operator=(seating&&) noexcept = default;

  // Connection `key` of `p` is seated at log position `at`; `moderates`: p
  // moderates this table. `said` is what p said at this join (it replaces
  // what an earlier tab said; no stakeholder: not counted in the mix).
  void sit(std::string const& key, participant const& p, std::uint64_t at, bool moderates,
           profile const& said);
  // Connection `key` of the person `id` left. False when that was their last
  // connection here.
  bool stand(std::string const& key, std::string const& id);
  // What the seated person `id` said of themselves changed (their profile was
  // erased: empty). Nothing when they are not seated.
  void describe(std::string const& id, profile const& said);
  void clear();

  std::size_t people() const noexcept { return people_.size(); }
  // What a seated person said of themselves; null when `id` is not seated.
  profile const* said(std::string const& id) const;
  std::map<std::string, std::int64_t> const& mix() const noexcept { return mix_; }
  bool moderator_seated() const noexcept { return moderating_ > 0; }
  // Participants (not moderators nor the chair), the most recently seated
  // first; equal positions (restored without them) by id. Each one's name is
  // that of their connection with the greatest key.
  std::vector<balance_person> movable() const;

 private:
  struct seat {
    std::string key;
    std::uint64_t at = 0;
    std::string name;
    bool movable = false;  // a participant's connection
    bool moderates = false;
  };
  struct person {
    std::vector<seat> seats;  // one per connection here: few
    profile said;
    std::optional<std::uint64_t> ordered_at;  // their place in order_, if movable
  };
  // Position descending, then id ascending.
  struct latest_first {
    bool operator()(std::pair<std::uint64_t, std::string> const& a,
                    std::pair<std::uint64_t, std::string> const& b) const {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    }
  };
  void count(std::string const& stakeholder, std::int64_t delta);
  void reorder(std::string const& id, person& p);

  // By participant id. Hashed: a joiner's snapshot looks up everyone seated.
  std::unordered_map<std::string, person> people_;
  std::map<std::string, std::int64_t> mix_;
  // The movable people; a person's node in people_ stays where it is.
  std::map<std::pair<std::uint64_t, std::string>, person const*, latest_first> order_;
  std::size_t moderating_ = 0;  // connections of this table's moderators
};

}  // namespace roundtable
