// The transport under a hostile peer: raw sockets held open from one address
// (closed at accept over the per-address cap), a server out of file
// descriptors (the listener backs off and serves again), and a client that
// sends its request one byte at a time (closed by the handshake timeout). In
// each case a legitimate client from another address still gets through.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

// A WebSocket client from `source` that says hello; true when it is welcomed.
bool hello_from(int port, char const* source) {
  raw_ws c(port, 0, source);
  if (c.handshake().status != 101) return false;
  c.send_text(R"({"op":"hello","rid":1,"name":"Legit"})");
  auto const reply = c.read_line(5000ms);
  return reply && reply->find("\"ok\":true") != std::string::npos;
}

// How many of `sockets` the server has closed: a read returns the end of the
// stream (or a reset) within `wait`.
std::size_t closed_by_server(std::vector<std::unique_ptr<raw_ws>>& sockets,
                             std::chrono::milliseconds wait) {
  std::size_t closed = 0;
  for (auto& s : sockets) {
    s->read_frame(wait);
    if (s->eof()) ++closed;
    wait = 50ms;  // the first wait covers them all
  }
  return closed;
}

}  // namespace

TEST_CASE("raw sockets over the per-address cap are closed at accept", "[transport][security]") {
  // Few descriptors: without the cap, 300 idle sockets would exhaust them
  // and nobody could connect until the handshake timeout.
  server_process srv({"--ephemeral", "--threads", "1", "--max-connections-per-ip", "40",
                      "--handshake-timeout", "120"},
                     {"prlimit", "--nofile=160", "--"});
  std::vector<std::unique_ptr<raw_ws>> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(std::make_unique<raw_ws>(srv.port));
  auto const closed = closed_by_server(idle, 2000ms);
  CHECK(closed >= 260);  // all but the 40 the cap admits
  CHECK(closed <= 261);  // (one may be the readiness probe's, still closing)
  CHECK(hello_from(srv.port, "127.0.0.2"));
  raw_ws m(srv.port, 0, "127.0.0.2");
  auto const metrics = m.http("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto const at = metrics.body.find("\nroundtable_refused_accept_total ");
  REQUIRE(at != std::string::npos);
  auto const refused = std::atoll(metrics.body.c_str() + at + 33);
  CHECK(refused >= 260);
  CHECK(refused <= 261);
  CHECK(srv.proc->output().find("accept failed") == std::string::npos);
}

TEST_CASE("out of file descriptors, the listener backs off and serves again",
          "[transport][security]") {
  server_process srv({"--ephemeral", "--threads", "1", "--max-connections-per-ip", "1000"},
                     {"prlimit", "--nofile=64", "--"});
  {
    std::vector<std::unique_ptr<raw_ws>> idle;
    for (int i = 0; i < 120; ++i) idle.push_back(std::make_unique<raw_ws>(srv.port));
    srv.proc->wait_for_line("accept failed", 5s);
    std::this_thread::sleep_for(3s);  // some thirty retries while still out of descriptors
  }                                   // the sockets close: the server's ends of them close too
  CHECK(hello_from(srv.port, "127.0.0.2"));
  CHECK(hello_from(srv.port, "127.0.0.1"));
  // One warning per streak of failures, not one per retry.
  auto const out = srv.proc->output();
  std::size_t warnings = 0;
  for (auto p = out.find("accept failed"); p != std::string::npos;
       p = out.find("accept failed", p + 1))
    ++warnings;
  CHECK(warnings < 10);
}

TEST_CASE("a request sent one byte at a time is cut off by the handshake timeout",
          "[transport][security]") {
  server_process srv({"--ephemeral", "--handshake-timeout", "2"});
  for (bool upgrade : {false, true}) {
    INFO((upgrade ? "upgrade" : "plain GET"));
    raw_ws slow(srv.port);
    std::string const req =
        upgrade ? slow.upgrade_request()
                : "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(200, 'p') + "\r\n\r\n";
    // 200 bytes at 4 a second would take 50 s; the server must not wait.
    std::size_t sent = 0;
    while (sent < req.size() && slow.send_raw(req.substr(sent, 1))) {
      ++sent;
      slow.read_frame(250ms);
      if (slow.eof()) break;
    }
    CHECK(slow.eof());
    CHECK(sent < req.size());
  }
  CHECK(hello_from(srv.port, "127.0.0.1"));
}
