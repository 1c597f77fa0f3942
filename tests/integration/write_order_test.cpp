// The session writes its data frames itself on the socket, and Beast writes
// its own frames on the same socket (the pong to a ping, the close reply).
// When a data write is under way because the peer reads slowly, a frame
// Beast writes meanwhile must go out after it, whole, never inside it. Here a
// member's socket is filled (a small receive buffer, megabytes of messages
// queued, nothing read), it then sends a ping or a close frame, and reads:
// every frame must be well formed, every message in seq order, the pong
// intact, and nothing after the close frame.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

// Sends hello and a join of `table`, and reads up to the join's reply.
void seat(raw_ws& c, std::string const& name, std::string const& table) {
  REQUIRE(c.handshake().status == 101);
  c.send_text(R"({"op":"hello","rid":1,"name":")" + name + "\"}");
  REQUIRE(c.read_line());
  c.send_text(R"({"op":"join","rid":2,"table":")" + table + "\"}");
  for (;;) {
    auto line = c.read_line();
    REQUIRE(line);
    message m(*line);
    if (m.type() == "reply" && m.num("rid") == 2) return;
  }
}

// What the member read: its frames checked as they came.
struct read_back {
  long messages = 0;     // `message` events, in seq order
  long seq_errors = 0;   // a message whose seq does not follow the previous one
  long bad_frames = 0;   // an opcode other than text, pong or close, or a text not JSON
  long pongs = 0;        // with the ping's payload
  long other_pongs = 0;  // with any other payload (bytes of a data frame inside)
  bool close = false;
  long after_close = 0;  // frames after the close frame
};

read_back read_all(raw_ws& c, long says) {
  read_back r;
  std::int64_t next_seq = 0;
  while (!r.close || !c.eof()) {
    auto f = c.read_frame(10s);
    if (!f) break;
    if (r.close) {
      ++r.after_close;
      continue;
    }
    if (f->opcode == ws_op::pong) {
      ++(f->payload == "p1" ? r.pongs : r.other_pongs);
    } else if (f->opcode == ws_op::close) {
      r.close = true;
    } else if (f->opcode != ws_op::text || !f->fin) {
      ++r.bad_frames;
    } else {
      std::size_t start = 0;
      while (start <= f->payload.size()) {
        auto const end = std::min(f->payload.find('\n', start), f->payload.size());
        try {
          message m(f->payload.substr(start, end - start));
          if (m.type() == "message") {
            if (next_seq != 0 && m.num("seq") != next_seq) ++r.seq_errors;
            next_seq = m.num("seq") + 1;
            ++r.messages;
          }
        } catch (std::exception const&) {
          ++r.bad_frames;
        }
        start = end + 1;
      }
    }
    if (!r.close && r.messages == says && r.pongs == 1) break;
  }
  return r;
}

}  // namespace

TEST_CASE("a control frame waits for the data write under way", "[transport]") {
  // One worker: the publisher's replies leave after the deliveries to the member.
  server_process srv(
      {"--ephemeral", "--threads", "1", "--rate-limit", "0", "--send-queue-bytes", "67108864"});
  std::string const table = "synergies";
  bool const ping = GENERATE(true, false);
  CAPTURE(ping);

  raw_ws member(srv.port, 4096);
  seat(member, "Member", table);
  raw_ws publisher(srv.port);
  seat(publisher, "Publisher", table);

  // About 12 MB for the member: more than the server's send buffer (4 MB at
  // most here) and the member's together, so a write stays under way.
  constexpr long says = 3000;
  std::string const text(3900, 'x');
  std::string burst;
  for (long i = 0; i < says; ++i) {
    burst += encode_frame(text_frame(R"({"op":"say","rid":)" + std::to_string(100 + i) +
                                     R"(,"room":")" + table + R"(","text":")" + text + "\"}"));
  }
  REQUIRE(publisher.send_raw(burst));
  for (long replies = 0; replies < says;) {
    auto line = publisher.read_line(10s);
    REQUIRE(line);
    if (line->find(R"("type":"reply")") != std::string::npos) ++replies;
  }

  // Every message is queued for the member now; Beast answers this frame.
  if (ping) {
    REQUIRE(member.send(control_frame(ws_op::ping, "p1")));
  } else {
    REQUIRE(member.send(control_frame(ws_op::close, close_payload(1000))));
  }
  auto const r = read_all(member, says);
  CHECK(r.bad_frames == 0);
  CHECK(r.seq_errors == 0);
  CHECK(r.other_pongs == 0);
  CHECK(r.after_close == 0);
  if (ping) {
    CHECK(r.pongs == 1);
    CHECK(r.messages == says);
    CHECK_FALSE(r.close);
  } else {
    // The close reply follows what was being written; what was queued behind
    // that write is dropped with the connection.
    CHECK(r.close);
    CHECK(r.messages > 0);
  }
}
