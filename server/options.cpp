// The start options: one description of every option (Boost.Program_options)
// read from three sources with one precedence: flags over the environment
// (ROUNDTABLE_<KEY>) over the `--config` file over the defaults. Every value is
// checked here, and a bad one is an error naming the key as its source spells
// it (`--port`, `ROUNDTABLE_PORT`, `config FILE: port`), so that the server
// exits 2 before it listens rather than running with a setting it ignored.
#include "server/config.hpp"

#include <boost/program_options.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace roundtable {

namespace po = boost::program_options;

namespace {

po::typed_value<std::string>* value(char const* name) {
  return po::value<std::string>()->value_name(name);
}

po::typed_value<std::string>* a_switch() {
  return po::value<std::string>()->zero_tokens();
}

// Every setting a config file, the environment and a flag may hold.
po::options_description settings() {
  po::options_description d("options (flags; also ROUNDTABLE_<KEY> and `key = value` in --config)");
  auto add = d.add_options();
  add("bind", value("ADDR"), "address to listen on (default 127.0.0.1)");
  add("port", value("N"), "port; 0 picks a free one (default 8080)");
  add("threads", value("N"), "I/O threads, one io_context each (default: cores)");
  add("history", value("N"), "events kept per room for resume (default 1000)");
  add("event", value("FILE"), "event config JSON (default: the built-in demo event)");
  add("web-root", value("DIR"), "the web-client folder served at / (default: the source tree's)");
  add("secret", value("S"), "JWT HS256 secret; turns auth on");
  add("api-key", value("K"), "key for the HTTP admin API");
  add("metrics-key", value("K"), "/metrics requires \"Authorization: Bearer K\"");
  add("data-dir", value("DIR"), "durable store folder (default ./roundtable-data)");
  add("ephemeral", a_switch(), "keep everything in memory only (same as --data-dir \"\")");
  add("redis", value("URL"),
      "use the Redis engine (redis://HOST:PORT, or sentinel://HOST:PORT[,HOST:PORT]/MASTER to "
      "follow Redis Sentinel's master); repeat or comma-separate to shard rooms over several");
  add("redis-wait-replicas", value("N"),
      "an op's reply waits until N Redis replicas hold it (WAIT); 0: off (default 0)");
  add("redis-wait-timeout-ms", value("MS"),
      "how long an op waits for those replicas before it answers unavailable (default 100)");
  add("node-id", value("ID"), "this node's name in Redis (default: generated)");
  add("presence-ttl", value("S"), "a dead node's members leave presence within S s (default 30)");
  add("replica-linger-ms", value("MS"),
      "Redis engine: stop applying a table's log MS after this node's last member there left "
      "(default 30000; 0: apply every room's log)");
  add("allow-origin", value("O"), "allow a browser Origin (repeatable)");
  add("tls-cert", value("FILE"), "PEM certificate chain: serve https and wss:// (TLS 1.2+)");
  add("tls-key", value("FILE"), "PEM private key of --tls-cert; SIGHUP reloads both");
  add("trust-proxy", a_switch(),
      "behind a reverse proxy: the client address is the last X-Forwarded-For entry");
  add("send-queue-bytes", value("N"), "per-connection send queue bound (default 1048576)");
  add("rate-limit", value("N"), "messages per second per connection (default 20; 0: off)");
  add("rate-burst", value("N"), "token bucket size (default 40)");
  add("max-connections-per-ip", value("N"), "connections per client address (default 200)");
  add("handshake-timeout", value("S"),
      "close a connection whose request or upgrade takes longer (default 10)");
  add("max-tables", value("N"), "tables an event may hold, for create_table (default 100)");
  add("idle-timeout", value("S"), "close connections silent this long (default 60)");
  add("log-level", value("L"), "debug, info, warn, error (default info)");
  return d;
}

// What only a flag may say: where the file is, and what to do instead of serving.
po::options_description commands() {
  po::options_description d("commands");
  d.add_options()("config", value("FILE"), "read settings from FILE (env ROUNDTABLE_CONFIG)")(
      "print-config", a_switch(), "print the effective settings, secrets masked, and exit")(
      "help,h", a_switch(), "print this help and exit");
  return d;
}

bool not_empty(std::string_view s) {
  return !s.empty();
}

bool anything(std::string_view) {
  return true;
}

bool node_id(std::string_view s) {
  return s.size() <= 32 && valid_id(s);
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

bool file(std::string_view s) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(s), ec);
}

bool log_level(std::string_view s) {
  return s == "debug" || s == "info" || s == "warn" || s == "error";
}

struct text_setting {
  char const* key;
  bool (*ok)(std::string_view);
  char const* what;
  std::string options::*member;
};

constexpr text_setting texts[] = {
    {"bind", ip_address, "an IPv4 or IPv6 address", &options::bind},
    {"web-root", directory, "an existing folder", &options::web_root},
    {"secret", not_empty, "a non-empty secret", &options::secret},
    {"api-key", not_empty, "a non-empty key", &options::api_key},
    {"metrics-key", not_empty, "a non-empty key", &options::metrics_key},
    {"data-dir", anything, "a folder", &options::data_dir},
    {"node-id", node_id, "1 to 32 characters of [A-Za-z0-9_.:-]", &options::node_id},
    {"log-level", log_level, "debug, info, warn or error", &options::log_level},
    {"tls-cert", file, "an existing file", &options::tls_cert},
    {"tls-key", file, "an existing file", &options::tls_key},
};

using seconds = std::chrono::seconds;

struct number_setting {
  char const* key;
  long long lo;
  long long hi;
  void (*set)(options&, long long);
};

constexpr number_setting numbers[] = {
    {"port", 0, 65535, [](options& o, long long n) { o.port = static_cast<unsigned short>(n); }},
    {"threads", 0, option_limits::threads,
     [](options& o, long long n) { o.threads = static_cast<unsigned>(n); }},
    {"history", 1, option_limits::history,
     [](options& o, long long n) { o.history = static_cast<std::size_t>(n); }},
    {"presence-ttl", 1, option_limits::seconds,
     [](options& o, long long n) { o.presence_ttl = seconds(n); }},
    {"send-queue-bytes", option_limits::min_send_queue, option_limits::max_send_queue,
     [](options& o, long long n) { o.send_queue_bytes = static_cast<std::size_t>(n); }},
    {"rate-limit", 0, option_limits::rate,
     [](options& o, long long n) { o.rate_per_second = static_cast<double>(n); }},
    {"rate-burst", 1, option_limits::rate,
     [](options& o, long long n) { o.rate_burst = static_cast<double>(n); }},
    {"max-connections-per-ip", 1, option_limits::connections,
     [](options& o, long long n) { o.max_connections_per_ip = static_cast<std::size_t>(n); }},
    {"handshake-timeout", 1, option_limits::seconds,
     [](options& o, long long n) { o.handshake_timeout = seconds(n); }},
    {"max-tables", 1, option_limits::tables,
     [](options& o, long long n) { o.max_tables = static_cast<std::size_t>(n); }},
    {"idle-timeout", 1, option_limits::seconds,
     [](options& o, long long n) { o.idle_timeout = seconds(n); }},
    {"redis-wait-replicas", 0, option_limits::replicas,
     [](options& o, long long n) { o.redis_wait_replicas = static_cast<int>(n); }},
    {"redis-wait-timeout-ms", 1, option_limits::wait_ms,
     [](options& o, long long n) { o.redis_wait_timeout = std::chrono::milliseconds(n); }},
    {"replica-linger-ms", 0, option_limits::linger_ms,
     [](options& o, long long n) { o.replica_linger = std::chrono::milliseconds(n); }},
};

// A whole number in [lo, hi]; anything else names the key and its range.
long long whole_number(std::string const& v, long long lo, long long hi, std::string const& shown) {
  char* end = nullptr;
  errno = 0;
  long long const n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE || n < lo || n > hi) {
    throw std::invalid_argument(shown + " needs a whole number from " + std::to_string(lo) +
                                " to " + std::to_string(hi) + ", got '" + v + "'");
  }
  return n;
}

// A switch is on when named alone (a flag) or set to true/yes/on/1.
bool switch_value(std::vector<std::string> const& tokens, std::string const& shown) {
  if (tokens.empty()) return true;
  auto const& v = tokens.front();
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  throw std::invalid_argument(shown + " needs true or false, got '" + v + "'");
}

// A comma list of Redis URLs. A sentinel URL holds commas itself
// (sentinel://A:1,B:2/main): it runs to the '/' before its master's name.
std::vector<std::string> redis_urls(std::string const& v) {
  constexpr std::string_view sentinel = "sentinel://";
  std::vector<std::string> out;
  bool open = false;  // the last URL is a sentinel one still missing its '/'
  for (std::size_t start = 0; start <= v.size();) {
    auto const comma = std::min(v.find(',', start), v.size());
    auto piece = v.substr(start, comma - start);
    if (open) {
      out.back() += "," + piece;
    } else if (!piece.empty()) {
      out.push_back(piece);
    }
    auto const& last = out.empty() ? std::string() : out.back();
    open = last.starts_with(sentinel) && last.find('/', sentinel.size()) == std::string::npos &&
           comma < v.size();
    start = comma + 1;
  }
  return out;
}

// One source's settings, applied in its own order (so the last of a repeated
// key wins), over what earlier sources set. A list (redis, allow-origin) named
// in this source replaces the earlier sources' list rather than growing it.
class applier {
 public:
  applier(options& o, std::function<std::string(std::string const&)> shown)
      : o_(o), shown_(std::move(shown)) {}

  void apply(po::parsed_options const& parsed) {
    for (auto const& opt : parsed.options) set(opt.string_key, opt.value);
  }

 private:
  void set(std::string const& key, std::vector<std::string> const& tokens) {
    auto const shown = shown_(key);
    auto const v = tokens.empty() ? std::string() : tokens.front();
    for (auto const& t : texts) {
      if (key != t.key) continue;
      if (!t.ok(v)) throw std::invalid_argument(shown + " needs " + t.what + ", got '" + v + "'");
      o_.*t.member = v;
      return;
    }
    for (auto const& n : numbers) {
      if (key == n.key) return n.set(o_, whole_number(v, n.lo, n.hi, shown));
    }
    if (key == "event") {
      o_.event_file = v;
    } else if (key == "ephemeral") {
      if (switch_value(tokens, shown)) o_.data_dir.clear();
    } else if (key == "trust-proxy") {
      o_.trust_proxy = switch_value(tokens, shown);
    } else if (key == "redis") {
      for (auto& url : redis_urls(v)) list(o_.redis, key).push_back(std::move(url));
    } else if (key == "allow-origin") {
      if (!origin(v))
        throw std::invalid_argument(
            shown + " needs * or an origin like https://host[:port], got '" + v + "'");
      list(o_.allow_origins, key).push_back(v);
    } else {
      // A key in settings() that nothing here reads: a bug, not bad input.
      throw std::logic_error("start option " + key + " is described but never applied");
    }
  }

  std::vector<std::string>& list(std::vector<std::string>& l, std::string const& key) {
    if (replaced_.insert(key).second) l.clear();
    return l;
  }

  options& o_;
  std::function<std::string(std::string const&)> shown_;
  std::set<std::string> replaced_;
};

// ROUNDTABLE_RATE_LIMIT -> rate-limit, for the keys settings() holds; other
// ROUNDTABLE_* names (the unit's ROUNDTABLE_OPTS, the scripts' ROUNDTABLE_SERVER)
// are not ours to judge. An empty variable counts as unset, as in a unit's
// EnvironmentFile with `ROUNDTABLE_SECRET=`.
po::parsed_options from_environment(po::options_description const& desc) {
  auto parsed = po::parse_environment(desc, [&](std::string const& name) -> std::string {
    constexpr std::string_view prefix = "ROUNDTABLE_";
    if (name.rfind(prefix, 0) != 0) return {};
    std::string key = name.substr(prefix.size());
    for (auto& c : key) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    return desc.find_nothrow(key, false) ? key : std::string();
  });
  std::erase_if(parsed.options,
                [](auto const& opt) { return opt.value.empty() || opt.value.front().empty(); });
  return parsed;
}

std::string env_name(std::string const& key) {
  std::string name = "ROUNDTABLE_" + key;
  for (auto& c : name) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

po::parsed_options from_file(std::string const& path, po::options_description const& desc) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("config " + path + ": cannot read the file");
  try {
    return po::parse_config_file(in, desc, false);
  } catch (po::error const& e) {
    throw std::invalid_argument("config " + path + ": " + e.what());
  }
}

}  // namespace

std::string usage() {
  std::ostringstream out;
  out << "usage: roundtable-server [options]\n"
         "       roundtable-server --version\n"
         "       roundtable-server token --role R [--table T] --name N [--sub ID] [--ttl SECONDS] "
         "[--secret S | --config FILE]\n\n"
      << commands() << "\n"
      << settings();
  return out.str();
}

options parse_options(int argc, char** argv) {
  auto const desc = settings();
  po::options_description all;
  all.add(commands()).add(desc);
  po::parsed_options flags(&all);
  try {
    // No guessing: `--thread` is a typo, not `--threads`.
    flags =
        po::command_line_parser(std::vector<std::string>(argv, argv + argc))
            .options(all)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run();
  } catch (po::error const& e) {
    throw std::invalid_argument(std::string(e.what()) + " (see --help)");
  }
  std::optional<std::string> config;
  bool print = false;
  if (char const* s = std::getenv("ROUNDTABLE_CONFIG"); s && *s) config = s;
  for (auto const& opt : flags.options) {
    if (opt.string_key.empty()) {
      throw std::invalid_argument("unexpected argument '" + opt.original_tokens.front() +
                                  "' (see --help)");
    }
    if (opt.string_key == "help") {
      std::cout << usage();
      std::exit(0);
    }
    if (opt.string_key == "print-config") print = true;
    if (opt.string_key == "config") config = opt.value.front();
  }
  std::erase_if(flags.options, [](auto const& opt) {
    return opt.string_key == "config" || opt.string_key == "print-config";
  });

  options o;
#ifdef ROUNDTABLE_DEFAULT_WEB_ROOT
  o.web_root = ROUNDTABLE_DEFAULT_WEB_ROOT;
#endif
  if (config) {
    applier(o, [&](std::string const& key) {
      return "config " + *config + ": " + key;
    }).apply(from_file(*config, desc));
  }
  applier(o, env_name).apply(from_environment(desc));
  applier(o, [](std::string const& key) { return "--" + key; }).apply(flags);
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw std::invalid_argument("--tls-cert and --tls-key go together: give both or neither");
  if (o.redis_wait_replicas > 0 && o.redis.empty())
    throw std::invalid_argument("--redis-wait-replicas needs --redis");
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  if (print) {
    std::cout << effective_config(o);
    std::exit(0);
  }
  return o;
}

std::string effective_config(options const& o) {
  std::ostringstream out;
  auto const masked = [](std::string const& s) { return s.empty() ? s : std::string(8, '*'); };
  auto line = [&](char const* key, auto const& v) { out << key << " = " << v << "\n"; };
  auto optional_line = [&](char const* key, std::string const& v, char const* when_empty) {
    if (v.empty())
      out << "# " << key << ": " << when_empty << "\n";
    else
      line(key, v);
  };
  out << "# roundtable-server settings in effect (flags > ROUNDTABLE_* > --config file > "
         "defaults)\n";
  line("bind", o.bind);
  line("port", o.port);
  line("threads", o.threads);
  line("history", o.history);
  optional_line("event", o.event_file.value_or(""), "none, the built-in demo event");
  optional_line("web-root", o.web_root, "none");
  optional_line("secret", masked(o.secret), "none, demo mode");
  optional_line("api-key", masked(o.api_key), "none, the admin API is off");
  optional_line("metrics-key", masked(o.metrics_key), "none, /metrics is open");
  if (o.data_dir.empty())
    line("ephemeral", "true");
  else
    line("data-dir", o.data_dir);
  for (auto const& r : o.redis) line("redis", r);
  line("redis-wait-replicas", o.redis_wait_replicas);
  line("redis-wait-timeout-ms", o.redis_wait_timeout.count());
  for (auto const& a : o.allow_origins) line("allow-origin", a);
  line("trust-proxy", o.trust_proxy ? "true" : "false");
  optional_line("tls-cert", o.tls_cert, "none, plain http and ws://");
  optional_line("tls-key", o.tls_key, "none");
  optional_line("node-id", o.node_id, "generated");
  line("presence-ttl", o.presence_ttl.count());
  line("replica-linger-ms", o.replica_linger.count());
  line("send-queue-bytes", o.send_queue_bytes);
  line("rate-limit", static_cast<long long>(o.rate_per_second));
  line("rate-burst", static_cast<long long>(o.rate_burst));
  line("max-connections-per-ip", o.max_connections_per_ip);
  line("handshake-timeout", o.handshake_timeout.count());
  line("max-tables", o.max_tables);
  line("idle-timeout", o.idle_timeout.count());
  line("log-level", o.log_level);
  return out.str();
}

}  // namespace roundtable
