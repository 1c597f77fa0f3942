// Server configuration: the start options with their defaults (read from
// flags, environment and a config file by server/options.cpp), and the event
// (title, phases, tables) loaded from a JSON file or the built-in demo.
#pragma once

#include "domain/room.hpp"
#include "protocol/json_writer.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roundtable {

// One step of the event's agenda: the id the `phase` op names, and its label
// in each language the event was written for, e.g. {"en", "Keynote"}.
struct agenda_item {
  std::string id;
  std::vector<std::pair<std::string, std::string>> label;  // (language, text), in file order
};

// What a table is for, from the event config: shown in the lobby, the table
// view and the reports. Bounded so the lobby every `hello` carries stays small.
struct table_guide {
  static constexpr std::size_t max_questions = 5;   // a table discusses a handful
  static constexpr std::size_t max_goal = 200;      // one line, like a topic
  static constexpr std::size_t max_question = 300;  // one sentence
  std::string goal;
  std::vector<std::string> questions;
};

struct event_config {
  std::string id = "opengov-2019";
  std::string title = "OpenGoV Co-production & Co-creation";
  std::string phase = "keynote";
  // House rules, shown at join and at every table so that moderation is open
  // about what it hides and why; empty: none.
  std::string rules;
  // Every table (and the plenary) takes anonymous contributions; a table's own
  // "anonymous" overrides it.
  bool anonymous = false;
  std::vector<table_config> tables;
  std::map<std::string, table_guide> guides;  // by table id; tables without one have none
  // The guide of `table`, empty when it has none.
  table_guide const& guide(std::string const& table) const {
    static table_guide const none;
    auto it = guides.find(table);
    return it == guides.end() ? none : it->second;
  }
  // With an agenda, `phase` takes one of its ids; without, any name.
  std::vector<agenda_item> agenda;
  // The stakeholder groups a participant may name at hello (none: the
  // question is not asked), and the roles a moderator may give at a table.
  std::vector<std::string> stakeholders;
  std::vector<std::string> roles = {"rapporteur", "note-taker", "timekeeper"};
};

// Stakeholder groups and table roles per event: both go to everyone at every
// hello and a table's mix names each group, so a short list; each name fits a
// badge (1 to 64 bytes, one line).
inline constexpr std::size_t max_people_labels = 20;

// House rules: a short text, read by everyone at every hello.
inline constexpr std::size_t max_rules_bytes = 2000;

// Steps in an agenda: it goes to everyone in every `hello`, and a day's
// programme has a dozen steps at most.
inline constexpr std::size_t max_agenda = 50;

// Whether the `phase` op may name `phase`: any name without an agenda.
bool on_agenda(event_config const& e, std::string_view phase);
// The agenda as JSON: [{"id", "label": {language: text}}].
void write_agenda(protocol::json_writer& w, std::vector<agenda_item> const& agenda);

// A table's config as JSON ({"table","topic","moderator","capacity"} plus
// `extra` fields, e.g. ,"order":3), and back; nullopt when unreadable.
std::string table_json(table_config const& t, std::string_view extra = {});
std::optional<table_config> table_from_json(std::string_view json);

// A table or node id: 1 to 64 of [A-Za-z0-9_.:-], and not the plenary's.
bool valid_id(std::string_view s);

// The demo event shaped like the seed session: a plenary and three tables.
event_config demo_event();
// Reads an event config file (format in README.md). Throws std::runtime_error
// with the file name and the problem.
event_config load_event(std::string const& path);

// Upper (and some lower) bounds of the start options; a value outside is a
// start error (exit 2), each bound's reason in README.md.
namespace option_limits {
inline constexpr long long threads = 256;            // far above any core count we run on
inline constexpr long long history = 1'000'000;      // events per room held in memory
inline constexpr long long seconds = 86'400;         // timeouts and TTLs: one day
inline constexpr long long min_send_queue = 65'536;  // one largest message must fit
inline constexpr long long max_send_queue = 1LL << 30;
inline constexpr long long rate = 1'000'000;         // messages per second per connection
inline constexpr long long connections = 1'000'000;  // per client address
// Tables per event: every hello carries the lobby, so it must stay small enough
// to fit the send queue beside a snapshot.
inline constexpr long long tables = 1'000;
// Redis replicas an op waits for: more than a sentinel set-up ever runs.
inline constexpr long long replicas = 16;
// How long an op's reply may wait for them: beyond a minute it is an outage.
inline constexpr long long wait_ms = 60'000;
inline constexpr long long linger_ms = 3'600'000;  // an hour: past it, keep the replica (0)
}  // namespace option_limits

struct options {
  std::string bind = "127.0.0.1";
  unsigned short port = 8080;                // 0: any free port (printed)
  unsigned threads = 0;                      // 0: one per core
  std::size_t history = 1000;                // events kept per room for resume
  std::optional<std::string> event_file;     // empty: the demo event
  std::string web_root;                      // the web-client folder
  std::string secret;                        // JWT HS256 secret; empty: demo mode
  std::string api_key;                       // HTTP admin API key; empty: API off
  std::string metrics_key;                   // Bearer key for /metrics; empty: open
  std::string data_dir = "roundtable-data";  // SQLite store folder; empty: in memory only
  std::vector<std::string> allow_origins;    // extra allowed Origins besides own and localhost
  // The TCP peer is a reverse proxy: a connection's client address is the last
  // entry of its X-Forwarded-For, and the accept-time socket cap is the proxy's.
  bool trust_proxy = false;
  // PEM files: the certificate chain and its key. Set: the port serves https
  // and wss only (TLS 1.2+); SIGHUP reads them again.
  std::string tls_cert;
  std::string tls_key;
  // Redis shards (redis://HOST:PORT or sentinel://HOST:PORT[,HOST:PORT]/MASTER);
  // empty: memory engine.
  std::vector<std::string> redis;
  // Set: an op's reply waits until this many Redis replicas hold its log entry
  // (WAIT), at most redis_wait_timeout; fewer answer `unavailable`.
  int redis_wait_replicas = 0;
  std::chrono::milliseconds redis_wait_timeout{100};
  std::string node_id;  // names this node in Redis; empty: generated
  // How long a node's connections stay in Redis presence without a refresh: a
  // dead node's members leave within this (refreshed every sixth of it).
  std::chrono::seconds presence_ttl{30};
  // Redis engine: a node lets a table's replica go (stops applying its log)
  // this long after its last use here; 0 keeps every room on every node.
  std::chrono::milliseconds replica_linger{30'000};

  // Limits, each with its reason in README.md.
  std::size_t send_queue_bytes = 1 << 20;  // per connection; over it: close 1008
  double rate_per_second = 20;             // token bucket refill; 0 disables
  double rate_burst = 40;                  // token bucket size
  std::size_t max_connections_per_ip = 200;
  std::size_t max_tables = 100;  // tables in the event, config and run time alike
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds idle_timeout{60};
  std::string log_level = "info";
};

// The options from argv (without the program name), the environment
// (ROUNDTABLE_<KEY>, e.g. ROUNDTABLE_RATE_LIMIT) and the `--config` file, in
// that precedence over the defaults. Throws std::invalid_argument on an
// unknown key or a bad value, naming it as its source spells it (`--port`,
// `ROUNDTABLE_PORT`, `FILE: port`). `--help` prints usage and exits;
// `--print-config` prints effective_config() and exits.
options parse_options(int argc, char** argv);
std::string usage();
// The options as a config file that parse_options reads back, secrets masked.
std::string effective_config(options const& o);

}  // namespace roundtable
