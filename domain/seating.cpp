// Who is seated at a table, per person (see seating.hpp).
#include "domain/seating.hpp"

#include <algorithm>

namespace roundtable {

void seating::sit(std::string const& key, participant const& p, std::uint64_t at, bool moderates,
                  profile const& said) {
  auto& who = people_[p.id];
  who.seats.push_back({key, at, p.name, p.who == role::participant, moderates});
  if (moderates) ++moderating_;
  if (who.seats.size() > 1) count(who.said.stakeholder, -1);
  who.said = said;
  count(said.stakeholder, 1);
  reorder(p.id, who);
}

bool seating::stand(std::string const& key, std::string const& id) {
  auto const it = people_.find(id);
  if (it == people_.end()) return false;
  auto& who = it->second;
  auto const s =
      std::find_if(who.seats.begin(), who.seats.end(), [&](seat const& x) { return x.key == key; });
  if (s != who.seats.end()) {
    if (s->moderates) --moderating_;
    who.seats.erase(s);
  }
  reorder(id, who);
  if (!who.seats.empty()) return true;
  count(who.said.stakeholder, -1);
  people_.erase(it);
  return false;
}

void seating::describe(std::string const& id, profile const& said) {
  auto const it = people_.find(id);
  if (it == people_.end()) return;
  count(it->second.said.stakeholder, -1);
  it->second.said = said;
  count(said.stakeholder, 1);
}

profile const* seating::said(std::string const& id) const {
  auto const it = people_.find(id);
  return it == people_.end() ? nullptr : &it->second.said;
}

void seating::clear() {
  people_.clear();
  mix_.clear();
  order_.clear();
  moderating_ = 0;
}

std::vector<balance_person> seating::movable() const {
  std::vector<balance_person> out;
  out.reserve(order_.size());
  for (auto const& [place, who] : order_) {
    seat const* named = nullptr;
    for (auto const& s : who->seats) {
      if (s.movable && (!named || s.key > named->key)) named = &s;
    }
    out.push_back({place.second, named->name});
  }
  return out;
}

void seating::count(std::string const& stakeholder, std::int64_t delta) {
  if (stakeholder.empty()) return;
  auto const it = mix_.try_emplace(stakeholder, 0).first;
  it->second += delta;
  if (it->second == 0) mix_.erase(it);
}

void seating::reorder(std::string const& id, person& p) {
  std::optional<std::uint64_t> latest;
  for (auto const& s : p.seats) {
    if (s.movable) latest = std::max(latest.value_or(0), s.at);
  }
  if (latest == p.ordered_at) return;
  if (p.ordered_at) order_.erase({*p.ordered_at, id});
  if (latest) order_.emplace(std::pair{*latest, id}, &p);
  p.ordered_at = latest;
}

}  // namespace roundtable
