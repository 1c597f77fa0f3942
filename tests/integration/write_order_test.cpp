// The session writes its data frames itself on the socket, and Beast writes
// its own frames on the same socket (the pong to a ping, the close reply).
// When a data frame is only partly out because the peer reads slowly, a frame
// Beast writes meanwhile must go out after it, whole, never inside it. Here a
// member's socket is filled (a small receive buffer, megabytes of messages
// queued); the member then reads a few megabytes, so that what queued up
// meanwhile leaves as one frame of megabytes, more than the socket takes at
// once, and sends a ping or a close frame while that frame is under way. Then
// it reads the rest: every frame must be well formed, every message in seq
// order, the pong intact, and nothing after the close frame.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <string>
#include <thread>

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

// Appends what the socket gives to `out` until it holds `want` bytes, the
// stream ends or nothing comes for `quiet`. The bytes are the server's
// frames, read as they are on the wire (raw_ws would read whole frames).
void receive(int fd, std::string& out, std::size_t want, std::chrono::milliseconds quiet) {
  char chunk[65536];
  while (out.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return;
    auto const n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return;
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

// The frames in `bytes`, checked one by one.
struct read_back {
  long messages = 0;     // `message` events
  long seq_errors = 0;   // a message whose seq does not follow the previous one
  long bad_frames = 0;   // masked, fragmented, an unknown opcode, a text not JSON
  long pongs = 0;        // with the ping's payload
  long other_pongs = 0;  // with any other payload (bytes of a data frame inside)
  bool close = false;
  std::size_t after_close = 0;  // bytes after the close frame
  std::size_t cut = 0;          // bytes of a last frame that did not arrive whole
};

void check_text(std::string_view payload, read_back& r, std::int64_t& next_seq) {
  std::size_t start = 0;
  while (start <= payload.size()) {
    auto const end = std::min(payload.find('\n', start), payload.size());
    try {
      message m(std::string(payload.substr(start, end - start)));
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

read_back parse(std::string_view bytes) {
  read_back r;
  std::int64_t next_seq = 0;
  while (!bytes.empty()) {
    if (r.close) {
      r.after_close = bytes.size();
      break;
    }
    if (bytes.size() < 2) break;
    auto const b0 = static_cast<unsigned char>(bytes[0]);
    auto const b1 = static_cast<unsigned char>(bytes[1]);
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len >= 126) {
      std::size_t const bytes_of_len = len == 126 ? 2 : 8;
      if (bytes.size() < 2 + bytes_of_len) break;
      len = 0;
      for (std::size_t i = 0; i < bytes_of_len; ++i) {
        len = (len << 8) | static_cast<unsigned char>(bytes[2 + i]);
      }
      header += bytes_of_len;
    }
    if (bytes.size() - header < len) break;
    auto const payload = bytes.substr(header, len);
    bytes.remove_prefix(header + len);
    if ((b0 & 0x80) == 0 || (b1 & 0x80) != 0 || (b0 & 0x70) != 0) {
      ++r.bad_frames;
    } else if ((b0 & 0x0f) == ws_op::pong) {
      ++(payload == "p1" ? r.pongs : r.other_pongs);
    } else if ((b0 & 0x0f) == ws_op::close) {
      r.close = true;
    } else if ((b0 & 0x0f) == ws_op::text) {
      check_text(payload, r, next_seq);
    } else {
      ++r.bad_frames;
    }
  }
  r.cut = bytes.size() - r.after_close;
  return r;
}

}  // namespace

TEST_CASE("a control frame waits for the data frame under way", "[transport]") {
  // One worker: the publisher's replies leave after the deliveries to the member.
  server_process srv(
      {"--ephemeral", "--threads", "1", "--rate-limit", "0", "--send-queue-bytes", "67108864"});
  std::string const table = "synergies";
  bool const ping = GENERATE(true, false);
  CAPTURE(ping);

  // The publisher first: the member's stream then starts with the messages.
  raw_ws publisher(srv.port);
  seat(publisher, "Publisher", table);
  raw_ws member(srv.port, 4096);
  seat(member, "Member", table);

  // About 12 MB for the member, more than the server's send buffer (4 MB at
  // most here) and the member's together.
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

  // Every message is queued now. Reading 5 MB lets the frame under way finish;
  // what queued behind it (about 7 MB) leaves as one frame, most of it
  // waiting for room when the control frame arrives.
  std::string bytes;
  receive(member.fd(), bytes, 5u << 20, 5000ms);
  REQUIRE(bytes.size() >= 5u << 20);
  std::this_thread::sleep_for(200ms);
  if (ping) {
    REQUIRE(member.send(control_frame(ws_op::ping, "p1")));
  } else {
    REQUIRE(member.send(control_frame(ws_op::close, close_payload(1000))));
  }
  receive(member.fd(), bytes, std::string::npos, 2000ms);

  auto const r = parse(bytes);
  CAPTURE(bytes.size(), r.messages);
  CHECK(r.bad_frames == 0);
  CHECK(r.seq_errors == 0);
  CHECK(r.other_pongs == 0);
  CHECK(r.after_close == 0);
  CHECK(r.cut == 0);
  if (ping) {
    CHECK(r.pongs == 1);
    CHECK(r.messages == says);
    CHECK_FALSE(r.close);
  } else {
    // The close reply follows the frame under way; what was queued behind it
    // goes with the connection.
    CHECK(r.close);
    CHECK(r.messages > 0);
  }
}
