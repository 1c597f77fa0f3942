// Redis Sentinel, the client side: which server is the master of a monitored
// group now. A node given `sentinel://HOST:PORT[,HOST:PORT...]/NAME` asks the
// sentinels before every connection attempt, so a failover (the sentinels
// promote a replica) is followed by the next reconnect; the connection then
// checks with ROLE that the server really is a master (client.hpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace roundtable::redis {

struct endpoint {
  std::string host;
  int port = 6379;
  bool operator==(endpoint const&) const = default;
};

// A sentinel group: the sentinels to ask and the master's name there.
struct sentinel_group {
  std::vector<endpoint> sentinels;
  std::string master;
};

// Parses "HOST:PORT" (port optional, `default_port` then); "localhost" becomes
// 127.0.0.1 (hiredis 0.14 resolves names synchronously). Throws
// std::invalid_argument naming `what` on an empty host or a bad port.
endpoint parse_endpoint(std::string_view text, int default_port, std::string_view what);

// Parses "sentinel://HOST:PORT[,HOST:PORT...]/MASTER" (sentinel port 26379 by
// default). Throws std::invalid_argument with the reason.
sentinel_group parse_sentinel_url(std::string_view url);

// Asks the sentinels in turn (each given `timeout` to connect and answer) for
// the master of `group` (SENTINEL get-master-addr-by-name) and returns the
// first answer; nullopt when none knows it. Blocking: call it from the thread
// that owns the Redis connections, which waits for Redis anyway. A sentinel
// that answers moves to the front of `group.sentinels`, so the next call asks
// it first.
std::optional<endpoint> ask_sentinels(sentinel_group& group, std::chrono::milliseconds timeout);

}  // namespace roundtable::redis
