// roundtable-loadgen: command line, the summary a person reads, the JSON a script reads,
// and the exit status (non-zero with --strict on any loss, duplicate, disorder, protocol
// error or dropped connection; 3 when the set-up itself failed).
#include "loadtest/scenarios.hpp"
#include "loadtest/selftest.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace {

using loadtest::options;
using loadtest::result;

void usage() {
  std::puts(
      "usage: roundtable-loadgen SCENARIO [options]\n"
      "scenarios: fanout | hop | broadcast | idle   (or: roundtable-loadgen selftest)\n"
      "common:    --host 127.0.0.1 --port P[,P2...] --protocol roundtable|socketio\n"
      "           --tls-ca FILE (wss://, the server's certificate verified against this CA)\n"
      "           --tls-name NAME (the name its certificate must carry; default --host)\n"
      "           --threads 1 --duration 10 --settle 1 --drain 20 --json FILE --strict "
      "--server-pid "
      "PID[,PID2...]\n"
      "           --connect-concurrency 256 --connect-timeout 60\n"
      "fanout/hop: --tables 10 | --table-names a,b,c  --members 100 (per table)\n"
      "           --publishers 1 (per table) --rate 10 (msgs/s per publisher) --size 0\n"
      "hop:       --hop-interval 2 (seconds; members that do not publish hop)\n"
      "broadcast: --room plenary --step 1000 --max-clients 10000 --senders 4 --rounds 5 --limit-ms "
      "500\n"
      "idle:      --connections 1000 (RSS from /proc/<server-pid>/status)");
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto const c = s.find(',');
    out.emplace_back(s.substr(0, c));
    s = c == std::string_view::npos ? std::string_view{} : s.substr(c + 1);
  }
  return out;
}

// A clear line on stderr before the usage text.
bool bad_option(char const* why) {
  std::fprintf(stderr, "roundtable-loadgen: %s\n", why);
  return false;
}

// Sets an option from a flag's value: an int, a double, a size, a string or
// a comma-separated list of strings.
template <auto member>
bool assign(options& o, std::string const& v) {
  auto& field = o.*member;
  using T = std::remove_reference_t<decltype(field)>;
  if constexpr (std::is_same_v<T, int>) {
    field = std::stoi(v);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    field = split(v);
  } else if constexpr (std::is_same_v<T, double>) {
    field = std::stod(v);
  } else if constexpr (std::is_same_v<T, std::size_t>) {
    field = static_cast<std::size_t>(std::stoul(v));
  } else {
    field = v;
  }
  return true;
}

// An int option where anything below 1 means 1.
template <int options::*member>
bool assign_at_least_one(options& o, std::string const& v) {
  o.*member = std::max(1, std::stoi(v));
  return true;
}

// Every flag that takes a value (but --tls-name, which waits for --tls-ca)
// and what it sets; false for a value it refuses.
using setter = bool (*)(options&, std::string const&);
constexpr std::pair<std::string_view, setter> value_flags[] = {
    {"--host", assign<&options::host>},
    {"--tls-ca",
     [](options& o, std::string const& v) {
       o.tls.emplace().ca_file = v;
       return true;
     }},
    {"--port",
     [](options& o, std::string const& v) {
       o.ports.clear();
       for (auto const& p : split(v)) o.ports.push_back(static_cast<std::uint16_t>(std::stoi(p)));
       return true;
     }},
    {"--protocol",
     [](options& o, std::string const& v) {
       if (v == "roundtable")
         o.proto = loadtest::protocol::roundtable;
       else if (v == "socketio")
         o.proto = loadtest::protocol::socketio;
       else
         return false;
       return true;
     }},
    {"--threads", assign_at_least_one<&options::threads>},
    {"--duration", assign<&options::duration>},
    {"--drain", assign<&options::drain>},
    {"--settle", assign<&options::settle>},
    {"--json", assign<&options::json_file>},
    {"--server-pid",
     [](options& o, std::string const& v) {
       for (auto const& p : split(v)) o.server_pids.push_back(std::stoi(p));
       return true;
     }},
    {"--tables", assign<&options::tables>},
    {"--table-names", assign<&options::table_names>},
    {"--members", assign<&options::members>},
    {"--publishers", assign<&options::publishers>},
    {"--rate", assign<&options::rate>},
    {"--size", assign<&options::message_size>},
    {"--hop-interval", assign<&options::hop_interval>},
    {"--step", assign<&options::step>},
    {"--room", assign<&options::room>},
    {"--max-clients", assign<&options::max_clients>},
    {"--senders", assign<&options::senders>},
    {"--rounds", assign<&options::rounds>},
    {"--limit-ms", assign<&options::limit_ms>},
    {"--connections", assign<&options::connections>},
    {"--connect-concurrency", assign_at_least_one<&options::connect_concurrency>},
    {"--connect-timeout", assign<&options::connect_timeout>},
};

bool parse_args(int argc, char** argv, options& o) {
  if (argc < 2) return false;
  o.scenario = argv[1];
  std::string tls_name;
  for (int i = 2; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (a == "--strict") {
      o.strict = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    std::string const v = argv[++i];
    if (a == "--tls-name") {
      tls_name = v;
      continue;
    }
    auto const* flag = std::find_if(std::begin(value_flags), std::end(value_flags),
                                    [&](auto const& f) { return f.first == a; });
    if (flag == std::end(value_flags) || !flag->second(o, v)) return false;
  }
  if (!o.table_names.empty()) o.tables = static_cast<int>(o.table_names.size());
  if (!tls_name.empty() && !o.tls) return bad_option("--tls-name needs --tls-ca");
  if (o.tls) o.tls->name = tls_name.empty() ? o.host : tls_name;
  if (o.tls && !std::ifstream(o.tls->ca_file)) return bad_option("--tls-ca: cannot read the file");
  return !o.ports.empty() && o.tables > 0 && o.members > 0 && o.rate > 0 && o.duration > 0 &&
         o.step > 0 && o.hop_interval > 0;
}

// Thousands of sockets: lift the soft descriptor limit to the hard one.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

double to_ms(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

void print_latency(char const* what, loadtest::histogram const& h) {
  if (h.count() == 0) return;
  std::printf("%-9s n=%llu p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f ms\n", what,
              static_cast<unsigned long long>(h.count()), to_ms(h.percentile(0.5)),
              to_ms(h.percentile(0.9)), to_ms(h.percentile(0.99)), to_ms(h.percentile(0.999)),
              to_ms(h.max()));
}

void print_summary(options const& o, result const& r) {
  std::printf("\n== %s (%s%s) ==\n", r.scenario.c_str(),
              o.proto == loadtest::protocol::socketio ? "socketio" : "roundtable",
              o.tls ? ", wss" : "");
  if (r.setup_failed) std::printf("SETUP FAILED: %s\n", r.setup_error.c_str());
  std::printf("connections %d, measured %.1f s\n", r.connections, r.seconds);
  std::printf("sent %llu (%.0f/s), acked %llu, delivered %llu (%.0f/s)",
              static_cast<unsigned long long>(r.sent), r.send_rate(),
              static_cast<unsigned long long>(r.acked),
              static_cast<unsigned long long>(r.delivered), r.throughput());
  if (r.expected) std::printf(", expected %llu", static_cast<unsigned long long>(r.expected));
  std::printf("\n");
  print_latency("delivery", r.delivery);
  print_latency("hop", r.hop);
  print_latency("roundtrip", r.rtt);
  print_latency("ack", r.ack);
  if (r.scenario == "broadcast") {
    std::printf("score: %d clients with round-trip p95 under %.0f ms\n", r.score, o.limit_ms);
  }
  if (r.bytes_per_connection >= 0) {
    std::printf("server RSS %ld kB -> %ld kB: %.0f bytes per connection\n", r.server_rss_before_kb,
                r.server_rss_after_kb, r.bytes_per_connection);
  }
  std::printf(
      "errors %llu (rate_limited %llu), losses %llu, duplicates %llu, out_of_order %llu, "
      "early %llu, stray %llu, epoch_changes %llu, closed %llu, failed %llu, hops %llu\n",
      static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.rate_limited),
      static_cast<unsigned long long>(r.losses), static_cast<unsigned long long>(r.duplicates),
      static_cast<unsigned long long>(r.out_of_order), static_cast<unsigned long long>(r.early),
      static_cast<unsigned long long>(r.stray), static_cast<unsigned long long>(r.epoch_changes),
      static_cast<unsigned long long>(r.closed), static_cast<unsigned long long>(r.failed),
      static_cast<unsigned long long>(r.hops));
  std::printf("generator CPU %.2f s", r.gen_cpu_s);
  if (r.server_cpu_s >= 0) std::printf(", server CPU %.2f s", r.server_cpu_s);
  std::printf(" over %.1f s\n", r.seconds);
  std::fflush(stdout);  // keep the loud line after the summary in a shared log
  if (r.losses || r.duplicates || r.out_of_order || r.early) {
    std::fprintf(
        stderr,
        "!!! DELIVERY FAILURE: %llu lost, %llu duplicated, %llu out of order, %llu "
        "before their snapshot !!!\n",
        static_cast<unsigned long long>(r.losses), static_cast<unsigned long long>(r.duplicates),
        static_cast<unsigned long long>(r.out_of_order), static_cast<unsigned long long>(r.early));
  }
}

void json_latency(std::string& s, char const* name, loadtest::histogram const& h) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"%s\":{\"count\":%llu,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"p999_ms\":%.3f,\"max_ms\":%.3f},",
                name, static_cast<unsigned long long>(h.count()), to_ms(h.percentile(0.5)),
                to_ms(h.percentile(0.9)), to_ms(h.percentile(0.99)), to_ms(h.percentile(0.999)),
                to_ms(h.max()));
  s += buf;
}

void json_number(std::string& s, char const* name, double v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "\"%s\":%.6g,", name, v);
  s += buf;
}

bool write_json(options const& o, result const& r) {
  std::string s = "{";
  s += "\"scenario\":";
  loadtest::append_json_string(s, r.scenario);
  s += ",\"protocol\":";
  s += o.proto == loadtest::protocol::socketio ? "\"socketio\"," : "\"roundtable\",";
  s += "\"tls\":";
  s += o.tls ? "true," : "false,";
  s += "\"setup_failed\":";
  s += r.setup_failed ? "true," : "false,";
  s += "\"setup_error\":";
  loadtest::append_json_string(s, r.setup_error);
  s += ",";
  json_number(s, "threads", o.threads);
  json_number(s, "tables", o.tables);
  json_number(s, "members", o.members);
  json_number(s, "publishers", o.publishers);
  json_number(s, "rate", o.rate);
  json_number(s, "connections", r.connections);
  json_number(s, "seconds", r.seconds);
  json_number(s, "sent", static_cast<double>(r.sent));
  json_number(s, "acked", static_cast<double>(r.acked));
  json_number(s, "delivered", static_cast<double>(r.delivered));
  json_number(s, "expected", static_cast<double>(r.expected));
  json_number(s, "window_delivered", static_cast<double>(r.window_delivered));
  json_number(s, "sent_per_s", r.send_rate());
  json_number(s, "deliveries_per_s", r.throughput());
  json_number(s, "errors", static_cast<double>(r.errors));
  json_number(s, "rate_limited", static_cast<double>(r.rate_limited));
  json_number(s, "losses", static_cast<double>(r.losses));
  json_number(s, "duplicates", static_cast<double>(r.duplicates));
  json_number(s, "out_of_order", static_cast<double>(r.out_of_order));
  json_number(s, "early", static_cast<double>(r.early));
  json_number(s, "stray", static_cast<double>(r.stray));
  json_number(s, "epoch_changes", static_cast<double>(r.epoch_changes));
  json_number(s, "closed", static_cast<double>(r.closed));
  json_number(s, "failed", static_cast<double>(r.failed));
  json_number(s, "hops", static_cast<double>(r.hops));
  json_number(s, "generator_cpu_s", r.gen_cpu_s);
  json_number(s, "server_cpu_s", r.server_cpu_s);
  json_number(s, "server_rss_before_kb", static_cast<double>(r.server_rss_before_kb));
  json_number(s, "server_rss_after_kb", static_cast<double>(r.server_rss_after_kb));
  json_number(s, "bytes_per_connection", r.bytes_per_connection);
  json_number(s, "score", r.score);
  json_latency(s, "delivery", r.delivery);
  json_latency(s, "hop", r.hop);
  json_latency(s, "roundtrip", r.rtt);
  json_latency(s, "ack", r.ack);
  s += "\"steps\":[";
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    auto const& st = r.steps[i];
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s{\"clients\":%d,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,"
                  "\"max_ms\":%.3f,\"samples\":%llu,\"missing\":%llu}",
                  i ? "," : "", st.clients, to_ms(st.p50_ns), to_ms(st.p95_ns), to_ms(st.p99_ns),
                  to_ms(st.max_ns), static_cast<unsigned long long>(st.samples),
                  static_cast<unsigned long long>(st.missing));
    s += buf;
  }
  s += "]}\n";
  std::ofstream out(o.json_file);
  out << s;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "selftest") return loadtest::run_selftest();
  options o;
  try {
    if (!parse_args(argc, argv, o)) {
      usage();
      return 2;
    }
  } catch (std::exception const&) {
    usage();
    return 2;
  }
  raise_fd_limit();
  result r;
  try {
    if (o.scenario == "fanout")
      loadtest::run_fanout(o, r);
    else if (o.scenario == "hop")
      loadtest::run_hop(o, r);
    else if (o.scenario == "broadcast")
      loadtest::run_broadcast(o, r);
    else if (o.scenario == "idle")
      loadtest::run_idle(o, r);
    else {
      usage();
      return 2;
    }
  } catch (std::runtime_error const& e) {  // the loop pool's: a CA file that is not PEM
    std::fprintf(stderr, "roundtable-loadgen: %s\n", e.what());
    return 2;
  }
  print_summary(o, r);
  if (!o.json_file.empty() && !write_json(o, r)) {
    std::fprintf(stderr, "cannot write %s\n", o.json_file.c_str());
    return 1;
  }
  if (r.setup_failed) return 3;
  if (o.strict && r.correctness_failure()) return 1;
  return 0;
}
