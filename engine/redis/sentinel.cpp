// Sentinel look-ups with hiredis's blocking API: a short-lived connection per
// question, since a sentinel is asked only before a connection attempt.
#include "engine/redis/sentinel.hpp"

#include <hiredis/hiredis.h>

#include <charconv>
#include <memory>
#include <stdexcept>
#include <utility>

namespace roundtable::redis {

namespace {

struct context_free {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct reply_free {
  void operator()(void* r) const noexcept { freeReplyObject(r); }
};

std::optional<int> parse_port(std::string_view text) {
  int port = 0;
  auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port <= 0 || port > 65535)
    return std::nullopt;
  return port;
}

std::optional<endpoint> ask_one(endpoint const& s, std::string const& master,
                                std::chrono::milliseconds timeout) {
  auto const us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval const tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  std::unique_ptr<redisContext, context_free> c(
      redisConnectWithTimeout(s.host.c_str(), s.port, tv));
  if (!c || c->err != 0 || redisSetTimeout(c.get(), tv) != REDIS_OK) return std::nullopt;
  std::unique_ptr<void, reply_free> raw(
      redisCommand(c.get(), "SENTINEL get-master-addr-by-name %s", master.c_str()));
  auto const* r = static_cast<redisReply const*>(raw.get());
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return std::nullopt;
  auto const* host = r->element[0];
  auto const* port = r->element[1];
  if (host->type != REDIS_REPLY_STRING || port->type != REDIS_REPLY_STRING) return std::nullopt;
  auto const p = parse_port({port->str, port->len});
  if (!p || host->len == 0) return std::nullopt;
  return endpoint{std::string(host->str, host->len), *p};
}

}  // namespace

endpoint parse_endpoint(std::string_view text, int default_port, std::string_view what) {
  endpoint e;
  e.port = default_port;
  auto const colon = text.rfind(':');
  e.host = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) {
    auto const p = parse_port(text.substr(colon + 1));
    if (!p) throw std::invalid_argument("bad port in " + std::string(what));
    e.port = *p;
  }
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']')
    e.host = e.host.substr(1, e.host.size() - 2);  // [::1]:26379
  if (e.host.empty()) throw std::invalid_argument("no host in " + std::string(what));
  if (e.host == "localhost") e.host = "127.0.0.1";
  return e;
}

sentinel_group parse_sentinel_url(std::string_view url) {
  constexpr std::string_view scheme = "sentinel://";
  std::string const whole(url);
  if (!url.starts_with(scheme)) throw std::invalid_argument("not a sentinel:// URL: " + whole);
  auto rest = url.substr(scheme.size());
  auto const slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size())
    throw std::invalid_argument("no master name after '/' in " + whole);
  sentinel_group g;
  g.master = std::string(rest.substr(slash + 1));
  if (g.master.find_first_of("/ \t\r\n") != std::string::npos)
    throw std::invalid_argument("bad master name in " + whole);
  auto hosts = rest.substr(0, slash);
  while (!hosts.empty()) {
    auto const comma = hosts.find(',');
    g.sentinels.push_back(parse_endpoint(hosts.substr(0, comma), 26379, whole));
    hosts = comma == std::string_view::npos ? std::string_view() : hosts.substr(comma + 1);
  }
  if (g.sentinels.empty()) throw std::invalid_argument("no sentinel in " + whole);
  return g;
}

std::optional<endpoint> ask_sentinels(sentinel_group& group, std::chrono::milliseconds timeout) {
  for (std::size_t i = 0; i < group.sentinels.size(); ++i) {
    if (auto master = ask_one(group.sentinels[i], group.master, timeout)) {
      if (i != 0) std::swap(group.sentinels[0], group.sentinels[i]);
      return master;
    }
  }
  return std::nullopt;
}

}  // namespace roundtable::redis
