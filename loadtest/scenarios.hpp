// The benchmark scenarios (fanout, hop, broadcast, idle) and the options they share.
// Each scenario connects its participants, drives them for a bounded time, prints a
// progress line every second and returns one result: figures plus the failure counts.
#pragma once

#include "loadtest/participant.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loadtest {

struct options {
  std::string scenario;
  protocol proto = protocol::roundtable;
  std::string host = "127.0.0.1";
  std::vector<std::uint16_t> ports;  // connections go round-robin over these
  std::optional<tls_client> tls;     // wss:// when set
  int threads = 1;
  double duration = 10;  // seconds of measured traffic (upper bound for broadcast)
  double settle = 1;     // seconds between the connection ramp and the measured window
  double drain = 20;     // at most this many seconds for in-flight messages afterwards
  std::string json_file;
  bool strict = false;
  std::vector<int> server_pids;  // CPU and RSS are summed over them
  // fanout / hop
  int tables = 10;
  std::vector<std::string> table_names;  // default t1..tN
  int members = 100;                     // per table
  int publishers = 1;                    // per table
  double rate = 10;                      // messages/s per publisher
  std::size_t message_size = 0;          // pad message texts to this many bytes
  double hop_interval = 2;               // seconds between hops of each hopper
  // broadcast
  std::string room = "plenary";  // or a table, which the clients then join
  int step = 1000;
  int max_clients = 10000;
  int senders = 4;
  int rounds = 5;
  double limit_ms = 500;
  // idle
  int connections = 1000;
  // connection set-up
  int connect_concurrency = 256;  // handshakes in flight at once
  double connect_timeout = 60;    // seconds
};

// One line of a stepped result (broadcast steps).
struct step_result {
  int clients = 0;
  std::uint64_t p50_ns = 0, p95_ns = 0, p99_ns = 0, max_ns = 0;
  std::uint64_t samples = 0, missing = 0;
};

struct result {
  std::string scenario;
  bool setup_failed = false;
  std::string setup_error;
  int connections = 0;
  double seconds = 0;  // measured time
  std::uint64_t sent = 0, acked = 0, delivered = 0, expected = 0;
  std::uint64_t window_delivered = 0;  // delivered by the end of the measured window
  std::uint64_t errors = 0, rate_limited = 0, losses = 0, duplicates = 0, out_of_order = 0;
  std::uint64_t epoch_changes = 0, early = 0, stray = 0, closed = 0, failed = 0, hops = 0;
  histogram delivery;
  histogram hop;
  histogram rtt;
  histogram ack;
  std::vector<step_result> steps;
  int score = 0;  // broadcast: clients under the limit
  double gen_cpu_s = 0;
  double server_cpu_s = -1;
  long server_rss_before_kb = -1, server_rss_after_kb = -1;
  double bytes_per_connection = -1;

  // Deliveries per second inside the measured window (the drain afterwards not counted).
  double throughput() const {
    auto const n = window_delivered ? window_delivered : delivered;
    return seconds > 0 ? static_cast<double>(n) / seconds : 0;
  }
  double send_rate() const { return seconds > 0 ? static_cast<double>(sent) / seconds : 0; }
  // Loss, duplicates, disorder and protocol violations (not rate limiting or slow joins).
  bool correctness_failure() const {
    return losses || duplicates || out_of_order || early || errors > rate_limited || closed;
  }
};

// Each fills `out` (a result holds histograms, which do not move).
void run_fanout(options const& opt, result& out);
void run_hop(options const& opt, result& out);
void run_broadcast(options const& opt, result& out);
void run_idle(options const& opt, result& out);

}  // namespace loadtest
