// A small asynchronous Redis client on hiredis 0.14 and Asio, for the Redis
// engine: one `connection` is one link to one Redis on one io_context. It
// pipelines commands, converts replies into the owning `reply` value (no
// hiredis pointer ever reaches a caller), does pub/sub, runs Lua scripts by
// SHA with a fallback, and reconnects by itself with backoff, to a fixed
// address or to whatever server Redis Sentinel names master at each attempt.
//
// Threading: a connection and its callbacks belong to the thread running its
// io_context; call it from that thread only. Destroy it before the io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "engine/redis/sentinel.hpp"

namespace roundtable::redis {

// One Redis reply, owned. `integer` is set for `integer`, `str` for `string`,
// `status` and `error`, `elements` for `array`; `nil` has neither.
struct reply {
  enum class kind { nil, integer, string, status, error, array };

  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string str;
  std::vector<reply> elements;

  bool is_error() const noexcept { return type == kind::error; }
  static reply error(std::string message);
};

// The error text of the reply a command gets when it could not be delivered
// or answered: the connection was down when it was issued, or the link
// dropped before its reply came (it may or may not have run).
inline constexpr std::string_view unavailable = "unavailable";

using reply_handler = std::function<void(reply)>;
using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;
using state_handler = std::function<void(bool connected)>;
// Where to connect, asked before every attempt (a fixed address, or the
// sentinels' current master); nullopt: nowhere now, retry after the backoff.
using address_source = std::function<std::optional<endpoint>()>;

struct connection_options {
  // A connect that has not completed by then counts as failed (hiredis 0.14
  // has no async connect timeout; a silent peer would otherwise hang it).
  std::chrono::milliseconds connect_timeout{2000};
  // Retries after a failed connect or a dropped link wait a random time in
  // [0, min(backoff_max, backoff_min * 2^failures)] ("full jitter"), so many
  // nodes losing one Redis do not reconnect in lockstep.
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  // Behind Sentinel: a link counts as up only once ROLE says the server is a
  // master (a sentinel's answer can be stale, and an old master can come back
  // as a replica). Either way, a READONLY error (the server was demoted under
  // an open link) drops the link, so the next attempt asks again.
  bool require_master = false;
};

// A Lua script run by SHA. Cheap to copy; copies share the learned SHA, so
// one script object can serve several connections.
class script {
 public:
  explicit script(std::string lua_source);

  std::string const& source() const noexcept;
  // The SHA1 Redis reported for the source; empty until the first run's
  // SCRIPT LOAD has replied.
  std::string const& sha() const noexcept;

 private:
  friend class connection;
  struct state;
  std::shared_ptr<state> state_;
};

class connection {
 public:
  explicit connection(boost::asio::io_context& io);
  connection(boost::asio::io_context& io, connection_options options);
  // Drops the link at once. Callbacks still pending (replies, posted state
  // changes) are destroyed without being called.
  ~connection();
  connection(connection const&) = delete;
  connection& operator=(connection const&) = delete;

  // Called (posted, never from inside a command() call) each time the link
  // comes up or goes down. A failed attempt while down is not a change.
  void on_state(state_handler handler);
  // Called for each message on a subscribed channel, with views valid only
  // during the call.
  void on_message(message_handler handler);

  // Starts connecting to `host` (an IP address or a name that resolves
  // quickly: hiredis resolves it synchronously) and keeps the link up from
  // then on, reconnecting with backoff whenever it fails or drops.
  // Call once.
  void connect(std::string host, int port);
  // The same, asking `source` for the address before every attempt.
  void connect(address_source source);
  // The address of the current or last attempt.
  endpoint const& peer() const noexcept;

  // Sends `args` (binary-safe, args[0] is the command) and calls `done` with
  // the reply. Replies come in the order commands were issued; any number
  // may be in flight. While the link is down `done` gets the `unavailable`
  // error at once (posted) instead of waiting in a queue. Not allowed on a
  // subscriber connection (one that called subscribe()).
  void command(std::vector<std::string> args, reply_handler done);

  // EVALSHA of `s` with `keys` and `args`. Before the SHA is known and when
  // Redis answers NOSCRIPT (its script cache was flushed or restarted), the
  // script is sent with EVAL instead, which also caches it again.
  void evalsha(script const& s, std::vector<std::string> const& keys,
               std::vector<std::string> const& args, reply_handler done);

  // Pub/sub. The first subscribe() makes this a subscriber connection for
  // good: Redis then accepts only pub/sub commands on it. The channel set is
  // kept here and subscribed again after every reconnect. Messages for a
  // channel stop being delivered as soon as unsubscribe() returns. `ready`
  // runs (posted) once Redis has confirmed the subscription on the current
  // link: what is published after that reaches on_message. It is dropped if
  // the link goes down first (on_state tells of the next link).
  void subscribe(std::string channel, std::function<void()> ready = {});
  void unsubscribe(std::string const& channel);

  bool connected() const noexcept;
  // Connection attempts made so far (the first one included).
  std::uint64_t connect_attempts() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace roundtable::redis
