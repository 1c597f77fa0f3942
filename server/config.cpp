// Command-line parsing and event config loading.
#include "server/config.hpp"

#include "protocol/json_writer.hpp"

#include <simdjson.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace roundtable {

std::string table_json(table_config const& t, std::string_view extra) {
  protocol::json_writer w;
  w.begin_object()
      .field("table", t.id)
      .field("topic", t.topic)
      .field("moderator", t.moderator)
      .field("capacity", t.capacity)
      .field("open", t.open);
  w.end_object();
  auto s = w.release();
  s.pop_back();  // reopen the object for `extra`
  s += extra;
  s += '}';
  return s;
}

std::optional<table_config> table_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return std::nullopt;
  table_config t;
  std::string_view s;
  if (e["table"].get(s) || s.empty()) return std::nullopt;
  t.id = s;
  if (!e["topic"].get(s)) t.topic = s;
  if (!e["moderator"].get(s)) t.moderator = s;
  std::int64_t cap = 0;
  if (!e["capacity"].get(cap)) t.capacity = cap;
  bool open = true;
  if (!e["open"].get(open)) t.open = open;
  return t;
}

event_config demo_event() {
  event_config e;
  e.tables = {
      {"synergies", "Synergies and sustainability", "Moderator of Synergies", 0, true},
      {"big-data", "Big data for open governance", "Moderator of Big data", 0, true},
      {"inclusiveness", "Inclusiveness", "Moderator of Inclusiveness", 0, true},
  };
  return e;
}

namespace {

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 64 || s == room::plenary_id) return false;
  for (char c : s) {
    bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool not_empty(std::string_view s) {
  return !s.empty();
}

bool node_id(std::string_view s) {
  return s.size() <= 32 && s != room::plenary_id && valid_id(s);
}

bool ip_address(std::string_view s) {
  std::string const z(s);
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

bool directory(std::string_view s) {
  std::error_code ec;
  return std::filesystem::is_directory(std::filesystem::path(s), ec);
}

// An allowlist entry is compared with the browser's Origin header, which is
// scheme://host[:port] with no path: anything else would never match.
bool origin(std::string_view s) {
  if (s == "*") return true;
  auto const sep = s.find("://");
  if (sep == std::string_view::npos) return false;
  auto const scheme = s.substr(0, sep);
  auto const host = s.substr(sep + 3);
  return (scheme == "http" || scheme == "https") && !host.empty() &&
         host.find_first_of("/?# ") == std::string_view::npos;
}

bool log_level(std::string_view s) {
  return s == "debug" || s == "info" || s == "warn" || s == "error";
}

}  // namespace

event_config load_event(std::string const& path) {
  auto fail = [&](std::string const& what) {
    throw std::runtime_error("event config " + path + ": " + what);
  };
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) fail("cannot read the file");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) fail("not valid JSON");
  event_config e;
  std::string_view s;
  if (!doc["id"].get(s)) e.id = s;
  if (!doc["title"].get(s)) e.title = s;
  if (!doc["phase"].get(s)) e.phase = s;
  simdjson::dom::array tables;
  if (doc["tables"].get(tables)) fail("'tables' must be an array");
  for (auto t : tables) {
    table_config c;
    if (t["id"].get(s) || !valid_id(s)) fail("each table needs an id of [A-Za-z0-9_.:-], 1 to 64");
    c.id = s;
    if (t["topic"].get(s)) fail("table " + c.id + " needs a topic");
    c.topic = s;
    if (!t["moderator"].get(s)) c.moderator = s;
    std::int64_t cap = 0;
    if (!t["capacity"].get(cap)) {
      if (cap < 0) fail("table " + c.id + ": capacity must be 0 or more");
      c.capacity = cap;
    }
    bool open = true;
    if (!t["open"].get(open)) c.open = open;
    for (auto const& other : e.tables) {
      if (other.id == c.id) fail("table id " + c.id + " appears twice");
    }
    e.tables.push_back(std::move(c));
  }
  return e;
}

std::string usage() {
  return R"(usage: roundtable-server [options]
       roundtable-server token --role R [--table T] --name N [--sub ID] [--ttl SECONDS] [--secret S]

  --bind ADDR              address to listen on (default 127.0.0.1)
  --port N                 port; 0 picks a free one (default 8080)
  --threads N              I/O threads, one io_context each (default: cores)
  --history N              events kept per room for resume (default 1000)
  --event FILE             event config JSON (default: the built-in demo event)
  --web-root DIR           the web-client folder served at / (default: the source tree's)
  --secret S               JWT HS256 secret; turns auth on (env ROUNDTABLE_SECRET)
  --api-key K              key for the HTTP admin API (env ROUNDTABLE_API_KEY)
  --metrics-key K          /metrics requires "Authorization: Bearer K" (env ROUNDTABLE_METRICS_KEY)
  --data-dir DIR           durable store folder (default ./roundtable-data)
  --ephemeral              keep everything in memory only (same as --data-dir "")
  --redis URL              use the Redis engine (redis://HOST:PORT); repeat or comma-separate
                           to shard rooms over several Redis instances
  --node-id ID             this node's name in Redis (default: generated)
  --presence-ttl S         a dead node's members leave presence within S seconds (default 30)
  --allow-origin O         allow a browser Origin (repeatable)
  --send-queue-bytes N     per-connection send queue bound (default 1048576)
  --rate-limit N           messages per second per connection (default 20; 0: off)
  --rate-burst N           token bucket size (default 40)
  --max-connections-per-ip N  (default 200)
  --handshake-timeout S    close a connection whose request or upgrade takes longer (default 10)
  --max-tables N           tables an event may hold, for create_table (default 100)
  --idle-timeout S         close connections silent this long (default 60)
  --log-level L            debug, info, warn, error (default info)
)";
}

options parse_options(int argc, char** argv) {
  options o;
  if (char const* s = std::getenv("ROUNDTABLE_SECRET")) o.secret = s;
  if (char const* s = std::getenv("ROUNDTABLE_API_KEY")) o.api_key = s;
  if (char const* s = std::getenv("ROUNDTABLE_METRICS_KEY")) o.metrics_key = s;
#ifdef ROUNDTABLE_DEFAULT_WEB_ROOT
  o.web_root = ROUNDTABLE_DEFAULT_WEB_ROOT;
#endif
  for (int i = 0; i < argc; ++i) {
    std::string_view const flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
      return argv[++i];
    };
    // A whole number in [lo, hi]; anything else names the flag and its range.
    auto number = [&](long long lo, long long hi) -> long long {
      auto const v = value();
      char* end = nullptr;
      errno = 0;
      long long const n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno == ERANGE || n < lo || n > hi) {
        throw std::invalid_argument(std::string(flag) + " needs a whole number from " +
                                    std::to_string(lo) + " to " + std::to_string(hi) + ", got '" +
                                    v + "'");
      }
      return n;
    };
    auto text = [&](bool (*ok)(std::string_view), char const* what) {
      auto v = value();
      if (!ok(v))
        throw std::invalid_argument(std::string(flag) + " needs " + what + ", got '" + v + "'");
      return v;
    };
    if (flag == "--help" || flag == "-h") {
      std::cout << usage();
      std::exit(0);
    } else if (flag == "--bind") {
      o.bind = text(ip_address, "an IPv4 or IPv6 address");
    } else if (flag == "--port") {
      o.port = static_cast<unsigned short>(number(0, 65535));
    } else if (flag == "--threads") {
      o.threads = static_cast<unsigned>(number(0, option_limits::threads));
    } else if (flag == "--history") {
      o.history = static_cast<std::size_t>(number(1, option_limits::history));
    } else if (flag == "--event") {
      o.event_file = value();
    } else if (flag == "--web-root") {
      o.web_root = text(directory, "an existing folder");
    } else if (flag == "--secret") {
      o.secret = text(not_empty, "a non-empty secret");
    } else if (flag == "--api-key") {
      o.api_key = text(not_empty, "a non-empty key");
    } else if (flag == "--metrics-key") {
      o.metrics_key = text(not_empty, "a non-empty key");
    } else if (flag == "--data-dir") {
      o.data_dir = value();
    } else if (flag == "--ephemeral") {
      o.data_dir.clear();
    } else if (flag == "--redis") {
      // Repeatable, or a comma-separated list: rooms are sharded over them.
      auto const v = value();
      std::size_t start = 0;
      while (start <= v.size()) {
        auto const comma = v.find(',', start);
        auto const part =
            v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!part.empty()) o.redis.push_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (flag == "--node-id") {
      o.node_id = text(node_id, "1 to 32 characters of [A-Za-z0-9_.:-]");
    } else if (flag == "--presence-ttl") {
      o.presence_ttl = std::chrono::seconds(number(1, option_limits::seconds));
    } else if (flag == "--allow-origin") {
      o.allow_origins.push_back(text(origin, "* or an origin like https://host[:port]"));
    } else if (flag == "--send-queue-bytes") {
      o.send_queue_bytes = static_cast<std::size_t>(
          number(option_limits::min_send_queue, option_limits::max_send_queue));
    } else if (flag == "--rate-limit") {
      o.rate_per_second = static_cast<double>(number(0, option_limits::rate));
    } else if (flag == "--rate-burst") {
      o.rate_burst = static_cast<double>(number(1, option_limits::rate));
    } else if (flag == "--max-connections-per-ip") {
      o.max_connections_per_ip = static_cast<std::size_t>(number(1, option_limits::connections));
    } else if (flag == "--handshake-timeout") {
      o.handshake_timeout = std::chrono::seconds(number(1, option_limits::seconds));
    } else if (flag == "--max-tables") {
      o.max_tables = static_cast<std::size_t>(number(1, option_limits::tables));
    } else if (flag == "--idle-timeout") {
      o.idle_timeout = std::chrono::seconds(number(1, option_limits::seconds));
    } else if (flag == "--log-level") {
      o.log_level = text(log_level, "debug, info, warn or error");
    } else {
      throw std::invalid_argument("unknown option " + std::string(flag) + " (see --help)");
    }
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace roundtable
