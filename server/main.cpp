// roundtable-server: the entry point. Parses flags, loads the event, starts the
// node and the listener, prints the address and (demo mode) the links a chair
// and each table's moderator open to come in, reloads the TLS certificate on
// SIGHUP, and shuts down cleanly on SIGTERM/SIGINT.
// The `token` subcommand mints a token with the configured secret; `--version`
// prints the version.
#include "server/config.hpp"
#include "server/invitation.hpp"
#include "server/log.hpp"
#include "server/net.hpp"
#include "server/node.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/stat.h>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace roundtable;

namespace {

// The secret as the server would find it: --secret over ROUNDTABLE_SECRET over
// the `secret` of the --config file (or of ROUNDTABLE_CONFIG's).
std::string configured_secret(std::optional<std::string> const& config) {
  std::vector<std::string> args{"roundtable-server"};
  if (config) args.insert(args.end(), {"--config", *config});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()) - 1, argv.data() + 1).secret;
}

int mint_token(int argc, char** argv) {
  auth::claims c;
  std::optional<std::string> secret, config;
  std::int64_t ttl = 24 * 3600;
  for (int i = 0; i < argc; ++i) {
    std::string_view const flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "token: " << flag << " needs a value\n";
      return 2;
    }
    std::string const v = argv[++i];
    if (flag == "--role") {
      auto r = auth::parse_role(v);
      if (!r) {
        std::cerr << "token: --role must be participant, moderator or chair\n";
        return 2;
      }
      c.who = *r;
    } else if (flag == "--table") {
      c.table = v;
    } else if (flag == "--name") {
      c.name = v;
    } else if (flag == "--sub") {
      c.sub = v;
    } else if (flag == "--ttl") {
      ttl = std::atoll(v.c_str());
    } else if (flag == "--secret") {
      secret = v;
    } else if (flag == "--config") {
      config = v;
    } else {
      std::cerr << "token: unknown option " << flag << "\n" << usage();
      return 2;
    }
  }
  if (!secret) {
    try {
      secret = configured_secret(config);
    } catch (std::exception const& e) {
      std::cerr << "token: " << e.what() << "\n";
      return 2;
    }
  }
  if (secret->empty()) {
    std::cerr << "token: no secret (--secret, ROUNDTABLE_SECRET or `secret` in --config); in demo "
                 "mode the server prints its tokens at start\n";
    return 2;
  }
  if (c.name.empty() || (c.who == role::moderator && c.table.empty()) || ttl <= 0 ||
      ttl > auth::max_token_lifetime) {
    std::cerr << "token: --name is required, a moderator needs --table, --ttl must be 1 to "
              << auth::max_token_lifetime << " seconds\n";
    return 2;
  }
  if (c.sub.empty())
    c.sub = std::string(auth::to_string(c.who)) + "-" + auth::random_secret().substr(0, 10);
  c.iat = node::now_ms() / 1000;
  c.exp = c.iat + ttl;
  auto const token = auth::mint(c, *secret);
  // The same checks as at `hello`, so a token that would be refused is never handed out.
  if (auto const v = auth::verify(token, *secret, c.iat); !v.ok) {
    std::cerr << "token: " << v.error << "\n";
    return 2;
  }
  std::cout << token << "\n";
  return 0;
}

// Reads the flags, the log level and the event. Returns the exit code when
// they are bad (with a one-line message), nullopt when the server can start.
std::optional<int> read_config(int argc, char** argv, options& opts, event_config& event) {
  try {
    opts = parse_options(argc - 1, argv + 1);
    if (!log::set_level(opts.log_level))
      throw std::invalid_argument("--log-level: debug, info, warn or error");
    event = opts.event_file ? load_event(*opts.event_file) : demo_event();
  } catch (std::runtime_error const& e) {
    std::cerr << "roundtable-server: --event: " << e.what() << "\n";
    return 2;
  } catch (std::exception const& e) {
    std::cerr << "roundtable-server: " << e.what() << "\n";
    return 2;
  }
  return std::nullopt;
}

// Opens the listening socket (and the TLS files). Returns the exit code when
// it cannot, nullopt when `l` listens.
std::optional<int> open_listener(node& n, options const& opts, std::optional<listener>& l) {
  try {
    l.emplace(n);
  } catch (std::invalid_argument const& e) {  // a TLS file that does not load
    std::cerr << "roundtable-server: " << e.what() << "\n";
    return 2;
  } catch (std::exception const& e) {
    std::cerr << "roundtable-server: cannot listen on " << opts.bind << ":" << opts.port << ": "
              << e.what() << "\n";
    return 1;
  }
  return std::nullopt;
}

// Prints where the server listens and, in demo mode, the links a chair and
// each table's moderator open to come in.
void announce(node& n, listener const& l, options const& opts, event_config const& event) {
  auto const host = opts.bind.find(':') != std::string::npos ? "[" + opts.bind + "]" : opts.bind;
  auto const base =
      (l.tls() ? "https://" : "http://") + host + ":" + std::to_string(l.port()) + "/";
  std::cout << "listening on " << host << ":" << l.port() << "\n";
  std::cout << "open " << base << "\n";
  if (n.demo()) {
    // Links, not raw tokens: a link opens the page signed in, and the page
    // takes the token out of its address bar.
    auto const now_s = node::now_ms() / 1000;
    std::cout << "chair link: "
              << invitation::link(base, invitation::chair_token(n.secret(), now_s)) << "\n";
    for (auto const& t : event.tables) {
      std::cout << "moderator link (" << t.id << "): "
                << invitation::link(base, invitation::moderator_token(t, n.secret(), now_s))
                << "\n";
    }
  }
  std::cout << std::flush;
  log::info("started", {{"port", std::to_string(l.port())},
                        {"threads", std::to_string(opts.threads)},
                        {"tables", std::to_string(event.tables.size())},
                        {"auth", n.demo() ? "demo" : "tokens"}});
}

// Reloads the TLS certificate on each SIGHUP; on SIGINT or SIGTERM stops
// listening and shuts the node down, then returns.
void serve_signals(boost::asio::io_context& ioc, boost::asio::signal_set& signals,
                   boost::asio::signal_set& reload, listener& l, node& n) {
  std::function<void()> wait_reload = [&] {
    reload.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      l.reload_tls();
      wait_reload();
    });
  };
  wait_reload();
  signals.async_wait([&](boost::system::error_code, int sig) {
    log::info("stopping", {{"signal", std::to_string(sig)}});
    reload.cancel();
    l.stop();
    n.shutdown();
  });
  ioc.run();
}

}  // namespace

int main(int argc, char** argv) {
  // What the server creates (the data dir, the SQLite files holding the demo
  // secret and every message) is for its own user only: 0700 and 0600.
  ::umask(077);
  if (argc > 1 && std::string_view(argv[1]) == "token") return mint_token(argc - 2, argv + 2);
  if (argc > 1 && std::string_view(argv[1]) == "--version") {
    std::cout << "roundtable-server " << ROUNDTABLE_VERSION << "\n";
    return 0;
  }
  options opts;
  event_config event;
  if (auto const rc = read_config(argc, argv, opts, event)) return *rc;

  // A bad --redis or --data-dir shows only when the node opens them.
  std::unique_ptr<node> owned;
  try {
    owned = std::make_unique<node>(opts, event);
  } catch (std::exception const& e) {
    std::cerr << "roundtable-server: " << e.what() << "\n";
    return 2;
  }
  auto& n = *owned;
  // Caught from before the first connection on: a SIGTERM that comes while the
  // tokens are printed still closes every client with 1001 (asio queues it
  // until the handlers below wait for it).
  boost::asio::io_context signals_ioc;
  boost::asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
  boost::asio::signal_set reload(signals_ioc, SIGHUP);  // with or without TLS: never kills
  std::optional<listener> l;
  if (auto const rc = open_listener(n, opts, l)) return *rc;
  n.start();
  announce(n, *l, opts, event);
  serve_signals(signals_ioc, signals, reload, *l, n);
  log::info("stopped");
  return 0;
}
