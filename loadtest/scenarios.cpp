// The scenarios and the harness they share: participant creation spread over the loop
// threads, bounded parallel connection set-up, the per-second progress line, draining
// in-flight messages, the end-of-run tail check and the CPU/RSS readings that show the
// generator is not the bottleneck.
#include "loadtest/scenarios.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

namespace loadtest {

namespace {

using namespace std::chrono_literals;

double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

double cpu_seconds_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](timeval v) { return static_cast<double>(v.tv_sec) + v.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// utime + stime of another process from /proc/PID/stat; -1 when unreadable.
double cpu_seconds_of(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto const paren = all.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(all.substr(paren + 2));
  std::string f;
  double utime = 0, stime = 0;
  // Fields after the command name start at field 3 (state); utime is 14, stime 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rss_kb_of(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string ms(std::uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fms", static_cast<double>(ns) / 1e6);
  return buf;
}

std::vector<std::string> table_names(options const& opt) {
  if (!opt.table_names.empty()) return opt.table_names;
  std::vector<std::string> names;
  for (int i = 1; i <= opt.tables; ++i) names.push_back("t" + std::to_string(i));
  return names;
}

class harness {
 public:
  explicit harness(options const& opt) : opt_(opt), pool_(opt.threads, opt.tls) {
    for (int i = 0; i < opt.threads; ++i) stats_.push_back(std::make_unique<thread_stats>());
  }
  ~harness() {
    pool_.stop();
    people_.clear();  // before the pool: the connections belong to its contexts
  }

  participant& add(std::string table) {
    auto const i = static_cast<int>(people_.size());
    participant_config cfg;
    cfg.proto = opt_.proto;
    cfg.host = opt_.host;
    cfg.port = opt_.ports[static_cast<std::size_t>(i) % opt_.ports.size()];
    cfg.thread = i % opt_.threads;
    cfg.tag = i;
    cfg.table = std::move(table);
    cfg.message_size = opt_.message_size;
    people_.push_back(std::make_unique<participant>(pool_, *stats_[cfg.thread], std::move(cfg)));
    return *people_.back();
  }

  std::vector<std::unique_ptr<participant>>& people() { return people_; }
  loop_pool& pool() { return pool_; }

  std::uint64_t sum(thread_stats::counter thread_stats::*m) const {
    std::uint64_t n = 0;
    for (auto const& s : stats_) n += ((*s).*m).load(std::memory_order_relaxed);
    return n;
  }

  // Starts participants [from, end) with at most connect_concurrency handshakes in flight
  // (a burst of thousands overflows the listen backlog and costs SYN retries).
  bool connect_from(std::size_t from, std::string& err) {
    auto const total = people_.size() - from;
    auto const ready0 = sum(&thread_stats::ready);
    auto const failed0 = sum(&thread_stats::failed);
    auto const start = clock::now();
    auto last_print = start;
    std::size_t next = from;
    for (;;) {
      auto const ready = sum(&thread_stats::ready) - ready0;
      auto const failed = sum(&thread_stats::failed) - failed0;
      if (failed > 0) {
        err = std::to_string(failed) + " of " + std::to_string(total) + " connections failed";
        return false;
      }
      if (ready == total) return true;
      while (next < people_.size() &&
             (next - from) - ready < static_cast<std::size_t>(opt_.connect_concurrency)) {
        people_[next++]->start();
      }
      if (seconds_since(start) > opt_.connect_timeout) {
        err =
            "connect timeout: " + std::to_string(ready) + " of " + std::to_string(total) + " ready";
        return false;
      }
      if (clock::now() - last_print >= 1s) {
        last_print = clock::now();
        std::printf("connecting: %zu/%zu ready\n", static_cast<std::size_t>(ready), total);
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  void merged(histogram thread_stats::*m, histogram& out) const {
    out.reset();
    for (auto const& s : stats_) out.merge((*s).*m);
  }

  // The per-second progress line; rates over the last interval, latency cumulative.
  void progress(double elapsed, std::uint64_t& prev_sent, std::uint64_t& prev_delivered,
                double interval) {
    auto const sent = sum(&thread_stats::sent);
    auto const delivered = sum(&thread_stats::delivered);
    histogram h;
    merged(&thread_stats::delivery, h);
    std::printf(
        "[%5.1fs] conns %zu sent/s %.0f deliveries/s %.0f p50 %s p99 %s max %s | err %llu "
        "loss %llu dup %llu ooo %llu closed %llu hops %llu\n",
        elapsed, static_cast<std::size_t>(sum(&thread_stats::ready)),
        static_cast<double>(sent - prev_sent) / interval,
        static_cast<double>(delivered - prev_delivered) / interval, ms(h.percentile(0.5)).c_str(),
        ms(h.percentile(0.99)).c_str(), ms(h.max()).c_str(),
        static_cast<unsigned long long>(sum(&thread_stats::errors)),
        static_cast<unsigned long long>(sum(&thread_stats::losses)),
        static_cast<unsigned long long>(sum(&thread_stats::duplicates)),
        static_cast<unsigned long long>(sum(&thread_stats::out_of_order)),
        static_cast<unsigned long long>(sum(&thread_stats::closed)),
        static_cast<unsigned long long>(sum(&thread_stats::hops)));
    std::fflush(stdout);
    prev_sent = sent;
    prev_delivered = delivered;
  }

  // Runs the progress loop until `until`.
  void run_until(clock::time_point start, clock::time_point until) {
    std::uint64_t ps = sum(&thread_stats::sent), pd = sum(&thread_stats::delivered);
    auto tick = clock::now();
    while (clock::now() < until) {
      auto const next = std::min(tick + 1s, until);
      std::this_thread::sleep_until(next);
      double const interval = std::chrono::duration<double>(clock::now() - tick).count();
      tick = clock::now();
      progress(seconds_since(start), ps, pd, interval);
    }
  }

  // After the measured window: waits until every say was answered and deliveries have
  // been quiet for two seconds (or `expected` arrived), at most 20 s. A server that is
  // behind is still working through its queues (a busy Node peer stalls for over a
  // second at times); stopping early would count its in-flight messages as lost.
  // `fanout` is the number of deliveries each say should cause (0: unknown), so the
  // drain can stop as soon as every message reached every member.
  void drain(std::uint64_t fanout) {
    auto const start = clock::now();
    auto const deadline = start + std::chrono::duration_cast<clock::duration>(
                                      std::chrono::duration<double>(opt_.drain));
    auto last = sum(&thread_stats::delivered);
    auto last_change = clock::now();
    auto last_print = clock::now();
    while (clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      auto const now = sum(&thread_stats::delivered);
      auto const sent = sum(&thread_stats::sent);
      bool const answered = sum(&thread_stats::acked) + sum(&thread_stats::errors) >= sent;
      // Publishers that ran late still send after the window: count them too.
      auto const expected = sent * fanout;
      if (expected && now >= expected && answered) break;
      if (clock::now() - last_print >= 1s) {
        last_print = clock::now();
        std::printf("draining %.1fs: delivered %llu%s%s\n", seconds_since(start),
                    static_cast<unsigned long long>(now), expected ? " of " : "",
                    expected ? std::to_string(expected).c_str() : "");
        std::fflush(stdout);
      }
      if (now != last) {
        last = now;
        last_change = clock::now();
      } else if (answered && clock::now() - last_change > 2s) {
        break;
      }
    }
  }

  // After the threads stopped: each member still in a room should have reached the
  // highest seq anyone in that room saw; the difference is loss at the tail.
  std::uint64_t tail_losses() const {
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> last;
    for (auto const& p : people_) {
      if (!p->is_ready() || p->room().empty()) continue;
      auto& l = last[{p->room(), p->epoch()}];
      l = std::max(l, p->last_seq());
    }
    std::uint64_t lost = 0;
    for (auto const& p : people_) {
      if (!p->is_ready() || p->room().empty() || p->hop_pending()) continue;
      auto const l = last[{p->room(), p->epoch()}];
      if (l > p->last_seq()) lost += static_cast<std::uint64_t>(l - p->last_seq());
    }
    return lost;
  }

  void collect(result& out) const {
    out.sent = sum(&thread_stats::sent);
    out.acked = sum(&thread_stats::acked);
    out.delivered = sum(&thread_stats::delivered);
    out.errors = sum(&thread_stats::errors);
    out.rate_limited = sum(&thread_stats::rate_limited);
    out.losses = sum(&thread_stats::losses);
    out.duplicates = sum(&thread_stats::duplicates);
    out.out_of_order = sum(&thread_stats::out_of_order);
    out.epoch_changes = sum(&thread_stats::epoch_changes);
    out.early = sum(&thread_stats::early);
    out.stray = sum(&thread_stats::stray);
    out.closed = sum(&thread_stats::closed);
    out.failed = sum(&thread_stats::failed);
    out.hops = sum(&thread_stats::hops);
    merged(&thread_stats::delivery, out.delivery);
    merged(&thread_stats::hop, out.hop);
    merged(&thread_stats::rtt, out.rtt);
    merged(&thread_stats::ack, out.ack);
    out.connections = static_cast<int>(people_.size());
  }

  void reset_rtt() {
    for (auto& s : stats_) s->rtt.reset();
  }

 private:
  options const& opt_;
  loop_pool pool_;
  std::vector<std::unique_ptr<thread_stats>> stats_;
  std::vector<std::unique_ptr<participant>> people_;
};

double cpu_seconds_of(std::vector<int> const& pids) {
  if (pids.empty()) return -1;
  double total = 0;
  for (int pid : pids) {
    double const s = cpu_seconds_of(pid);
    if (s < 0) return -1;
    total += s;
  }
  return total;
}

// Summed over all server processes (a two-node target shares the connections); -1 when
// any is unreadable.
long rss_kb_of(std::vector<int> const& pids) {
  if (pids.empty()) return -1;
  long total = 0;
  for (int pid : pids) {
    long const kb = rss_kb_of(pid);
    if (kb < 0) return -1;
    total += kb;
  }
  return total;
}

// Measures generator and server CPU over one window.
struct cpu_window {
  explicit cpu_window(std::vector<int> const& pids)
      : pids_(pids), self0_(cpu_seconds_self()), server0_(cpu_seconds_of(pids)) {}
  void close(result& out) const {
    out.gen_cpu_s = cpu_seconds_self() - self0_;
    if (server0_ >= 0) out.server_cpu_s = cpu_seconds_of(pids_) - server0_;
  }
  std::vector<int> pids_;
  double self0_;
  double server0_;
};

// Lets the server finish the work the connection ramp caused (presence and occupancy
// events to every member) so the measured window starts in a steady state.
void settle(options const& opt) {
  if (opt.settle > 0) std::this_thread::sleep_for(std::chrono::duration<double>(opt.settle));
}

// Adds tables x members participants (member j of table k at index k*members + j) and
// connects them; false (with out.setup_error) on failure.
bool populate(harness& h, options const& opt, std::vector<std::string> const& names, result& out) {
  for (auto const& name : names) {
    for (int j = 0; j < opt.members; ++j) h.add(name);
  }
  std::printf("connecting %zu participants (%zu tables x %d)\n", h.people().size(), names.size(),
              opt.members);
  if (!h.connect_from(0, out.setup_error)) {
    out.setup_failed = true;
    return false;
  }
  return true;
}

void start_publishers(harness& h, options const& opt, std::size_t tables, clock::time_point t0,
                      clock::time_point until) {
  auto const total = static_cast<double>(tables) * opt.publishers;
  double const period_ns = 1e9 / opt.rate;
  int n = 0;
  for (std::size_t k = 0; k < tables; ++k) {
    for (int j = 0; j < opt.publishers && j < opt.members; ++j, ++n) {
      participant* p = h.people()[k * static_cast<std::size_t>(opt.members) + j].get();
      // Stagger the publishers evenly over one period so sends do not arrive in bursts.
      auto const first =
          t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns * n / total));
      h.pool().post(p->thread(),
                    [p, rate = opt.rate, first, until] { p->publish(rate, first, until); });
    }
  }
}

// One hopper's schedule: a hop every `interval` to a random other table.
void schedule_hop(loop_pool& pool, participant* p, std::vector<std::string> const* names,
                  clock::time_point when, clock::time_point until,
                  std::chrono::nanoseconds interval, std::uint64_t rng) {
  if (when >= until) return;
  pool.at(p->thread(), when, [&pool, p, names, when, until, interval, rng]() mutable {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    auto const n = names->size();
    auto pick = static_cast<std::size_t>(rng % n);
    if ((*names)[pick] == p->room()) pick = (pick + 1) % n;
    p->hop_to((*names)[pick]);
    schedule_hop(pool, p, names, when + interval, until, interval, rng);
  });
}

}  // namespace

void run_fanout(options const& opt, result& out) {
  out.scenario = "fanout";
  auto const names = table_names(opt);
  harness h(opt);
  if (!populate(h, opt, names, out)) return;
  settle(opt);
  cpu_window cpu(opt.server_pids);
  auto const t0 = clock::now() + 100ms;
  auto const until =
      t0 + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.duration));
  start_publishers(h, opt, names.size(), t0, until);
  h.run_until(t0, until);
  out.seconds = opt.duration;
  out.window_delivered = h.sum(&thread_stats::delivered);
  h.drain(static_cast<std::uint64_t>(opt.members));
  cpu.close(out);
  h.pool().stop();
  h.collect(out);
  out.expected = out.sent * static_cast<std::uint64_t>(opt.members);
  out.losses += h.tail_losses();
}

void run_hop(options const& opt, result& out) {
  out.scenario = "hop";
  auto const names = table_names(opt);
  harness h(opt);
  if (!populate(h, opt, names, out)) return;
  settle(opt);
  cpu_window cpu(opt.server_pids);
  auto const t0 = clock::now() + 100ms;
  auto const until =
      t0 + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.duration));
  start_publishers(h, opt, names.size(), t0, until);
  auto const interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(opt.hop_interval));
  std::uint64_t rng = 0x9e3779b97f4a7c15ULL;
  for (std::size_t k = 0; k < names.size(); ++k) {
    for (int j = opt.publishers; j < opt.members; ++j) {
      participant* p = h.people()[k * static_cast<std::size_t>(opt.members) + j].get();
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      auto const first = t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                  (rng >> 11) % static_cast<std::uint64_t>(interval.count())));
      schedule_hop(h.pool(), p, &names, first, until, interval, rng | 1);
    }
  }
  h.run_until(t0, until);
  out.seconds = opt.duration;
  out.window_delivered = h.sum(&thread_stats::delivered);
  h.drain(0);
  cpu.close(out);
  h.pool().stop();
  h.collect(out);
  out.losses += h.tail_losses();
}

void run_broadcast(options const& opt, result& out) {
  out.scenario = "broadcast";
  // Everyone is in the plenary after hello; a table costs a presence event per join to
  // every member, which dominates the ramp-up at thousands of clients.
  std::string const table = opt.room == "plenary" ? std::string() : opt.room;
  harness h(opt);
  auto const start = clock::now();
  cpu_window cpu(opt.server_pids);
  int clients = 0;
  while (clients + opt.step <= opt.max_clients && seconds_since(start) < opt.duration) {
    auto const from = h.people().size();
    for (int i = 0; i < opt.step; ++i) h.add(table);
    std::string err;
    if (!h.connect_from(from, err)) {
      out.setup_error = "at " + std::to_string(clients + opt.step) + " clients: " + err;
      std::printf("stopping: %s\n", out.setup_error.c_str());
      break;
    }
    clients += opt.step;
    // Let the presence events of this step's joins settle before timing.
    std::this_thread::sleep_for(500ms);
    h.reset_rtt();
    step_result step;
    step.clients = clients;
    int const senders = std::min(opt.senders, clients);
    for (int r = 0; r < opt.rounds; ++r) {
      auto const seen0 = h.sum(&thread_stats::own_seen);
      for (int s = 0; s < senders; ++s) {
        participant* p = h.people()[static_cast<std::size_t>(s)].get();
        h.pool().post(p->thread(), [p] { p->say_now(); });
      }
      auto const deadline = clock::now() + 5s;
      while (h.sum(&thread_stats::own_seen) < seen0 + static_cast<std::uint64_t>(senders) &&
             clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
      }
      auto const seen = h.sum(&thread_stats::own_seen) - seen0;
      if (seen < static_cast<std::uint64_t>(senders)) step.missing += senders - seen;
    }
    histogram rtt;
    h.merged(&thread_stats::rtt, rtt);
    step.samples = rtt.count();
    step.p50_ns = rtt.percentile(0.5);
    step.p95_ns = rtt.percentile(0.95);
    step.p99_ns = rtt.percentile(0.99);
    step.max_ns = rtt.max();
    // A round trip that never completed counts as over the limit.
    if (step.missing) step.p95_ns = std::max<std::uint64_t>(step.p95_ns, 5'000'000'000ULL);
    out.steps.push_back(step);
    std::printf("[%5.1fs] clients %d round trip p50 %s p95 %s p99 %s max %s missing %llu\n",
                seconds_since(start), clients, ms(step.p50_ns).c_str(), ms(step.p95_ns).c_str(),
                ms(step.p99_ns).c_str(), ms(step.max_ns).c_str(),
                static_cast<unsigned long long>(step.missing));
    std::fflush(stdout);
    if (static_cast<double>(step.p95_ns) > opt.limit_ms * 1e6) break;
    out.score = clients;
  }
  out.seconds = seconds_since(start);
  h.drain(0);
  cpu.close(out);
  h.pool().stop();
  h.collect(out);
  out.losses += h.tail_losses();
  if (clients == 0) out.setup_failed = true;
}

void run_idle(options const& opt, result& out) {
  out.scenario = "idle";
  harness h(opt);
  out.server_rss_before_kb = rss_kb_of(opt.server_pids);
  for (int i = 0; i < opt.connections; ++i) h.add("");
  std::printf("connecting %d idle connections\n", opt.connections);
  if (!h.connect_from(0, out.setup_error)) {
    out.setup_failed = true;
    return;
  }
  cpu_window cpu(opt.server_pids);
  auto const t0 = clock::now();
  // A second for the server to settle (lazy allocations, presence coalescing).
  h.run_until(t0, t0 + std::chrono::duration_cast<clock::duration>(
                           std::chrono::duration<double>(std::max(1.0, opt.duration))));
  out.server_rss_after_kb = rss_kb_of(opt.server_pids);
  out.seconds = seconds_since(t0);
  cpu.close(out);
  h.pool().stop();
  h.collect(out);
  if (out.server_rss_before_kb >= 0 && out.server_rss_after_kb >= 0 && opt.connections > 0) {
    out.bytes_per_connection =
        static_cast<double>(out.server_rss_after_kb - out.server_rss_before_kb) * 1024.0 /
        opt.connections;
  }
}

}  // namespace loadtest
