// A slow consumer at a busy table: one member never reads (tiny receive
// buffer) while another publishes as fast as the server answers. The server
// must cut the slow one off at its send-queue bound (1008, counted in
// /metrics), keep its own memory bounded, and keep delivering every message,
// in order, to a member that does read. Latency figures are printed for
// information only.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("a slow consumer is closed at its queue bound; the others get everything",
          "[slow-consumer]") {
  server_process srv(
      {"--ephemeral", "--threads", "2", "--rate-limit", "0", "--send-queue-bytes", "262144"});
  auto const pid = srv.proc->pid();
  std::string const table = "synergies";
  auto const join = "\"table\":\"" + table + "\"";

  // The slow member: joined, then never reads again.
  raw_ws slow(srv.port, 4096);
  REQUIRE(slow.handshake().status == 101);
  slow.send_text(R"({"op":"hello","rid":1,"name":"Slow"})");
  REQUIRE(slow.read_line());
  slow.send_text(R"({"op":"join","rid":2,"table":"synergies"})");
  for (;;) {
    auto line = slow.read_line();
    REQUIRE(line);
    message m(*line);
    if (m.type() == "reply" && m.num("rid") == 2) break;
  }

  ws_client member(srv.port), publisher(srv.port);
  member.hello("Member");
  auto const snap = member.request("join", join);
  REQUIRE(snap.boolean("ok"));
  publisher.hello("Publisher");
  REQUIRE(publisher.request("join", join).boolean("ok"));
  auto const rss_start = vm_rss_kib(pid);

  // The reading member, on its own thread: checks seq continuity and message order.
  std::atomic<bool> member_done{false};
  std::vector<std::int64_t> latencies_us;
  long received = 0, order_errors = 0, seq_errors = 0;
  // The normal member's progress: the publisher never runs more than a window
  // ahead of it, so it is a reader that keeps up however slow the build (ASan,
  // TSan) makes this test's own client.
  std::atomic<long> progress{0};
  bool member_closed = false;
  std::thread reader([&] {
    std::int64_t next_seq = 0;
    long next_n = 0;
    for (;;) {
      auto m = member.next(15s);
      if (!m) {
        member_closed = member.closed();
        break;
      }
      if (m->str("room") != table) continue;
      auto const seq = m->num("seq");
      if (next_seq != 0 && seq != next_seq) ++seq_errors;
      next_seq = seq + 1;
      if (m->type() != "message" || m->str("/from/name") != "Publisher") continue;
      auto const text = m->str("text");
      if (text.rfind("end", 0) == 0) break;
      // "n=<n> t=<us> pad..."
      long n = 0;
      long long t = 0;
      std::sscanf(text.c_str(), "n=%ld t=%lld", &n, &t);
      if (n != next_n) ++order_errors;
      next_n = n + 1;
      ++received;
      progress = received;
      latencies_us.push_back(now_us() - t);
    }
    member_done = true;
  });

  // Publish until the slow member is cut off, then 200 more; watch the server's RSS.
  std::string const pad(3000, 'p');
  long sent = 0, extra = -1, rss_peak = rss_start;
  long long closes = 0;
  for (; sent < 8000 && extra != 0; ++sent) {
    while (sent - progress.load() > 40 && !member_done) std::this_thread::sleep_for(1ms);
    auto const text = "n=" + std::to_string(sent) + " t=" + std::to_string(now_us()) + " " + pad;
    REQUIRE(publisher.request("say", "\"room\":\"" + table + "\",\"text\":\"" + text + "\"")
                .boolean("ok"));
    if (sent % 100 == 99) {
      publisher.drain(0ms);  // its own events: keep the test's memory flat
      rss_peak = std::max(rss_peak, vm_rss_kib(pid));
      if (extra < 0 && (closes = metric(srv.port, "roundtable_slow_consumer_closes_total")) > 0)
        extra = 200;
    }
    if (extra > 0) --extra;
  }
  REQUIRE(publisher.request("say", "\"room\":\"" + table + "\",\"text\":\"end\"").boolean("ok"));
  reader.join();

  auto const rss_end = vm_rss_kib(pid);
  WARN("slow consumer: " << sent << " messages of ~3 KB published; slow_consumer_closes_total "
                         << closes << "; server VmRSS " << rss_start << " KiB at start, peak "
                         << rss_peak << " KiB, end " << rss_end << " KiB");
  CHECK(closes == 1);  // the slow one, and only it
  CHECK(rss_peak - rss_start < 64 * 1024);

  // The slow member's stream ends: whatever was in flight, then the end of the
  // TCP stream (the close frame itself may never have fitted in).
  std::size_t frames = 0;
  bool close_frame = false;
  unsigned code = 0;
  auto const deadline = std::chrono::steady_clock::now() + 20s;
  while (!slow.eof() && std::chrono::steady_clock::now() < deadline) {
    auto f = slow.read_frame(1s);
    if (!f) continue;
    ++frames;
    if (f->opcode == ws_op::close) {
      close_frame = true;
      code = f->close_code();
      slow.send(control_frame(ws_op::close, close_payload(code)));  // let the server finish
    }
  }
  WARN("slow member read " << frames << " frames after the cut-off; close frame: "
                           << (close_frame ? std::to_string(code) : "none")
                           << "; stream ended: " << slow.eof());
  CHECK(slow.eof());
  slow.close_now();  // the server's teardown waits for our end of the stream
  if (close_frame) CHECK(code == 1008);

  // The reading member got every message, in order, with no seq gap.
  CHECK(member_done);
  CHECK_FALSE(member_closed);
  CHECK(received == sent);
  CHECK(order_errors == 0);
  CHECK(seq_errors == 0);
  if (!latencies_us.empty()) {
    std::sort(latencies_us.begin(), latencies_us.end());
    auto pct = [&](double p) {
      return latencies_us[std::min(latencies_us.size() - 1,
                                   static_cast<std::size_t>(p * latencies_us.size()))];
    };
    WARN("member latency (publish request to receipt, for information): p50 "
         << pct(0.5) << " us, p90 " << pct(0.9) << " us, p99 " << pct(0.99) << " us, max "
         << latencies_us.back() << " us over " << latencies_us.size() << " messages");
  }
  // Left: the member and the publisher (the gauge drops just after the stream ends).
  long long connections = -1;
  for (int i = 0; i < 100 && connections != 2; ++i) {
    connections = metric(srv.port, "roundtable_connections");
    if (connections != 2) std::this_thread::sleep_for(20ms);
  }
  CHECK(connections == 2);
}
