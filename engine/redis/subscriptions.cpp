// Channel states of a subscriber link (see subscriptions.hpp): off, joining
// (SUBSCRIBE sent), on (confirmed), leaving (UNSUBSCRIBE sent). A channel
// wanted again while leaving waits for the confirmation before its SUBSCRIBE.
#include "engine/redis/subscriptions.hpp"

#include <utility>

namespace roundtable::redis {

bool subscriptions::want(std::string const& name, ready_fn ready) {
  auto& c = channels_[name];
  c.wanted = true;
  if (!up_) return false;
  if (ready) c.waiters.push_back(std::move(ready));
  if (c.at != stand::off) return false;  // joining or on; leaving resends on its answer
  c.at = stand::joining;
  return true;
}

bool subscriptions::drop(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return false;
  auto& c = it->second;
  c.wanted = false;
  c.waiters.clear();
  if (!up_ || (c.at != stand::joining && c.at != stand::on)) {
    forget_if_unused(it);
    return false;
  }
  // Sent while joining too: Redis answers both, in order.
  c.at = stand::leaving;
  return true;
}

std::vector<subscriptions::ready_fn> subscriptions::subscribed(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end() || it->second.at != stand::joining) return {};
  it->second.at = stand::on;
  return std::exchange(it->second.waiters, {});
}

bool subscriptions::unsubscribed(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end() || it->second.at != stand::leaving) return false;
  auto& c = it->second;
  c.at = stand::off;
  if (!c.wanted) {
    forget_if_unused(it);
    return false;
  }
  c.at = stand::joining;
  return true;
}

bool subscriptions::delivers(std::string_view name) const {
  auto it = channels_.find(name);
  return it != channels_.end() && it->second.wanted && it->second.at == stand::on;
}

std::vector<subscriptions::ready_fn> subscriptions::ready_now(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end() || it->second.at != stand::on) return {};
  return std::exchange(it->second.waiters, {});
}

std::vector<std::string> subscriptions::relink() {
  up_ = true;
  std::vector<std::string> out;
  for (auto& [name, c] : channels_) {
    c.at = stand::joining;
    out.push_back(name);
  }
  return out;
}

void subscriptions::unlink() {
  up_ = false;
  for (auto it = channels_.begin(); it != channels_.end();) {
    it->second.at = stand::off;
    it->second.waiters.clear();
    it = it->second.wanted ? std::next(it) : channels_.erase(it);
  }
}

void subscriptions::forget_if_unused(std::map<std::string, channel, std::less<>>::iterator it) {
  if (!it->second.wanted && it->second.at == stand::off) channels_.erase(it);
}

}  // namespace roundtable::redis
