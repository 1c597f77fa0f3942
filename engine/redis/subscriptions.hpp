// The channels a Redis subscriber link wants, and where each stands on the
// current link: what to send when, and when a subscription is confirmed. A
// node loads a room only once Redis has confirmed its channel's subscription
// (its command link is another connection: a command sent there right after
// a SUBSCRIBE may reach Redis first, and what it publishes then reaches
// nobody; a node that let a table go and held it again lost its own command
// that way, and the sender's reply waited for good). One command per channel
// at a time: a channel wanted again while its UNSUBSCRIBE is unanswered sends
// its SUBSCRIBE after that answer, so that the confirmation acted on is the
// one of the last command, never of one that Redis undoes next. Plain logic:
// the connection sends what it is told to and reports what it reads.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace roundtable::redis {

class subscriptions {
 public:
  using ready_fn = std::function<void()>;

  // The channel is wanted; `ready` (if any) runs once a subscription to it is
  // confirmed on the current link (at once if it already is: returned by
  // `ready_now`). Returns whether a SUBSCRIBE must be sent now. While the
  // link is down nothing is sent and `ready` is dropped: relink() subscribes
  // every wanted channel, and whoever waits learns of the link coming up.
  bool want(std::string const& channel, ready_fn ready);
  // The channel is no longer wanted: its messages stop at once. Returns
  // whether an UNSUBSCRIBE must be sent now.
  bool drop(std::string_view channel);
  // A confirmed SUBSCRIBE: the waiters to run now.
  std::vector<ready_fn> subscribed(std::string_view channel);
  // A confirmed UNSUBSCRIBE: whether the channel is wanted again, so that its
  // SUBSCRIBE must be sent now.
  bool unsubscribed(std::string_view channel);
  // Whether a message read on the channel goes to the handler.
  bool delivers(std::string_view channel) const;
  // The waiters of a channel that is subscribed already (want() queued them).
  std::vector<ready_fn> ready_now(std::string_view channel);

  // A new link: the wanted channels, all to subscribe at once.
  std::vector<std::string> relink();
  // The link is down: nothing is subscribed, waiters are dropped.
  void unlink();

 private:
  enum class stand { off, joining, on, leaving };
  struct channel {
    bool wanted = false;
    stand at = stand::off;
    std::vector<ready_fn> waiters;
  };
  void forget_if_unused(std::map<std::string, channel, std::less<>>::iterator it);

  std::map<std::string, channel, std::less<>> channels_;
  bool up_ = false;
};

}  // namespace roundtable::redis
