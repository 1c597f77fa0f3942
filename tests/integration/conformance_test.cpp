// WebSocket conformance of the real server, in the spirit of the Autobahn|Testsuite
// categories that apply to a text-only server with a 64 KiB message limit: 1 framing,
// 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling,
// 9 limits, 10 server-side fragmentation, plus the masking rule. Frames are written
// by hand with raw_ws, so each case sends exactly the bytes it names. Each case says
// what RFC 6455 requires; where Beast (the server's WebSocket layer) does something
// else that is still safe, the case asserts what it does and says why that is fine.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t message_limit = 65536;  // protocol::limits::message_bytes

// Every server frame must be unmasked with clear RSV bits (RFC 6455 5.1, 5.2).
void check_server_frame(frame const& f) {
  CHECK_FALSE(f.masked);
  CHECK_FALSE((f.rsv1 || f.rsv2 || f.rsv3));
}

std::unique_ptr<raw_ws> open_ws(int port, int rcvbuf = 0) {
  auto c = std::make_unique<raw_ws>(port, rcvbuf);
  auto const res = c->handshake();
  REQUIRE(res.status == 101);
  return c;
}

// The reply with numeric `rid`, skipping events; nullopt on timeout or close.
std::optional<message> reply_to(raw_ws& c, int rid, std::chrono::milliseconds timeout = 5000ms) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto line = c.read_line(left);
    if (!line) return std::nullopt;
    message m(*line);
    if (m.type() == "reply" && m.num("rid") == rid) return m;
  }
  return std::nullopt;
}

std::unique_ptr<raw_ws> open_hello(int port, std::string const& name = "conformance",
                                   int rcvbuf = 0) {
  auto c = open_ws(port, rcvbuf);
  c->send_text(R"({"op":"hello","rid":1000000,"name":")" + name + "\"}");
  auto r = reply_to(*c, 1000000);
  REQUIRE(r);
  REQUIRE(r->boolean("ok"));
  return c;
}

// A ping op padded with an ignored field to exactly `size` bytes.
std::string ping_of_size(std::size_t size, int rid) {
  std::string const head = R"({"op":"ping","rid":)" + std::to_string(rid) + R"(,"pad":")";
  std::string const tail = "\"}";
  REQUIRE(size >= head.size() + tail.size());
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

std::string ping_op(int rid) {
  return R"({"op":"ping","rid":)" + std::to_string(rid) + "}";
}

frame_spec with_rsv(frame_spec f, bool r1, bool r2, bool r3) {
  f.rsv1 = r1;
  f.rsv2 = r2;
  f.rsv3 = r3;
  return f;
}

frame_spec with_opcode(std::uint8_t op, std::string payload) {
  frame_spec f;
  f.opcode = op;
  f.payload = std::move(payload);
  return f;
}

frame_spec unfinished(frame_spec f) {
  f.fin = false;
  return f;
}

// A case where the server must fail the connection: `frames` go out in one
// write (after hello), the server must answer with a close frame carrying
// `code` and then end the TCP stream.
struct fault_case {
  std::string name;
  std::string rfc;  // what RFC 6455 says
  std::vector<frame_spec> frames;
  unsigned code;
};

void run_faults(int port, std::vector<fault_case> const& cases) {
  for (auto const& fc : cases) {
    INFO("case: " << fc.name << " -- " << fc.rfc);
    auto c = open_hello(port);
    std::string bytes;
    for (auto const& f : fc.frames) bytes += encode_frame(f);
    c->send_raw(bytes);
    auto const r = c->wait_close();
    CHECK(r.got_close_frame);
    CHECK(r.code == fc.code);
    CHECK(r.eof);
    CHECK(r.texts.empty());  // a faulty message is never handled as an op
  }
}

}  // namespace

TEST_CASE("conformance 1: framing, payload lengths and their encodings", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});

  SECTION("text messages of 0..65536 bytes are handled; each length in its minimal form") {
    // RFC 6455 5.2: 7-bit length up to 125, 126 + 16-bit up to 65535, 127 + 64-bit
    // above. A 0-byte message is legal framing but not JSON: a bad_request reply.
    auto c = open_hello(srv.port);
    c->send(text_frame(""));
    auto line = c->read_line();
    REQUIRE(line);
    message empty(*line);
    CHECK(empty.type() == "reply");
    CHECK_FALSE(empty.boolean("ok"));
    CHECK(empty.str("/error/code") == "bad_request");
    int rid = 1;
    for (std::size_t size : {std::size_t{30}, std::size_t{125}, std::size_t{126}, std::size_t{127},
                             std::size_t{65535}, message_limit}) {
      INFO("size " << size);
      c->send(text_frame(ping_of_size(size, rid)));
      auto r = reply_to(*c, rid);
      REQUIRE(r);
      CHECK(r->boolean("ok"));
      ++rid;
    }
    auto f = c->read_frame(200ms);  // nothing else pending
    CHECK_FALSE(f);
    CHECK_FALSE(c->eof());
  }

  SECTION("non-minimal and lying length fields") {
    frame_spec small16 = text_frame(ping_op(1));
    small16.form = length_form::bits16;
    frame_spec small64 = text_frame(ping_of_size(200, 1));
    small64.form = length_form::bits64;
    frame_spec msb = text_frame("{}");
    msb.declared_length = std::uint64_t{1} << 63;
    frame_spec huge = text_frame("{\"op\":");
    huge.declared_length = std::uint64_t{1} << 40;
    run_faults(
        srv.port,
        {
            {"16-bit length for a 30-byte payload",
             "5.2: the minimal number of bytes MUST be used to encode the length; "
             "Beast fails it as a protocol error (1002)",
             {small16},
             1002},
            {"64-bit length for a 200-byte payload", "5.2: minimal encoding", {small64}, 1002},
            {"64-bit length with the most significant bit set",
             "5.2: the MSB MUST be 0. Beast reads it as a length over read_message_max "
             "and closes 1009 before reading any payload: still a failed connection, "
             "with nothing buffered, so safe",
             {msb},
             1009},
            {"a header announcing 1 TiB, then 6 bytes",
             "7.4.1: 1009 for a message too big to process; refused at the header, "
             "without waiting for (or buffering) the payload",
             {huge},
             1009},
        });
  }
}

TEST_CASE("conformance 2: ping and pong", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});

  SECTION("a ping gets a pong with the same payload (empty, text, 125 binary bytes)") {
    // RFC 6455 5.5.2/5.5.3: the Pong MUST carry the Ping's Application data.
    auto c = open_hello(srv.port);
    std::string binary125;
    for (int i = 0; i < 125; ++i) binary125 += static_cast<char>((i * 37 + 11) & 0xFF);
    for (auto const& payload : {std::string(), std::string("hello"), binary125}) {
      INFO("ping payload size " << payload.size());
      c->send(control_frame(ws_op::ping, payload));
      auto f = c->read_frame();
      REQUIRE(f);
      check_server_frame(*f);
      CHECK(f->opcode == ws_op::pong);
      CHECK(f->fin);
      CHECK(f->payload == payload);
    }
  }

  SECTION("ten pings in one write: ten pongs, in order") {
    auto c = open_hello(srv.port);
    std::string bytes;
    for (int i = 0; i < 10; ++i)
      bytes += encode_frame(control_frame(ws_op::ping, "p" + std::to_string(i)));
    c->send_raw(bytes);
    for (int i = 0; i < 10; ++i) {
      auto f = c->read_frame();
      REQUIRE(f);
      CHECK(f->opcode == ws_op::pong);
      CHECK(f->payload == "p" + std::to_string(i));
    }
  }

  SECTION("a peer that pings and never reads: the server stops reading, then answers each") {
    // Regression: the server read on while its pongs could not go out, and
    // kept every one waiting in memory (about 300 bytes a ping).
    auto const client = open_hello(srv.port, "pinger", 4096);
    auto& c = *client;
    auto const ping = encode_frame(control_frame(ws_op::ping, std::string(125, 'p')));
    std::string chunk;
    for (int i = 0; i < 512; ++i) chunk += ping;
    auto const rss_start = vm_rss_kib(srv.proc->pid());
    // Until the server stops taking bytes for 2 s (it waits for its pongs),
    // or 128 MB: the kernel's buffers hold some 40 MB of it.
    std::size_t sent = 0;
    while (sent < (128u << 20)) {
      pollfd p{c.fd(), POLLOUT, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
      auto const at = sent % chunk.size();
      auto const n =
          ::send(c.fd(), chunk.data() + at, chunk.size() - at, MSG_DONTWAIT | MSG_NOSIGNAL);
      REQUIRE((n > 0 || errno == EAGAIN));
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    auto const rss_grown = vm_rss_kib(srv.proc->pid()) - rss_start;
    WARN("pings without reading: " << sent / ping.size() << " pings (" << (sent >> 20)
                                   << " MB) taken, server VmRSS grew " << rss_grown << " KiB");
    CHECK(rss_grown < 64 * 1024);
    // The rest of the last frame, while every pong is read: none lost, in order.
    auto const rest = (ping.size() - sent % ping.size()) % ping.size();
    std::thread finish([&] { c.send_raw(std::string_view(ping).substr(ping.size() - rest)); });
    std::size_t const pings = (sent + rest) / ping.size();
    std::size_t pongs = 0;
    while (pongs < pings) {
      auto f = c.read_frame(10s);
      if (!f || f->opcode != ws_op::pong || f->payload != std::string(125, 'p')) break;
      ++pongs;
    }
    finish.join();
    CHECK(pongs == pings);
    c.send_text(ping_op(9));
    auto const r = reply_to(c, 9);
    REQUIRE(r);
    CHECK(r->boolean("ok"));
  }

  SECTION("an unsolicited pong is ignored") {
    // RFC 6455 5.5.3: a Pong MAY be sent unsolicited; no response is expected.
    auto c = open_hello(srv.port);
    c->send(control_frame(ws_op::pong, "unsolicited"));
    c->send(control_frame(ws_op::pong, ""));
    c->send_text(ping_op(7));
    auto f = c->read_frame();
    REQUIRE(f);
    CHECK(f->opcode == ws_op::text);  // no pong, no close: the reply comes first
    CHECK(message(f->payload).num("rid") == 7);
  }

  SECTION("a ping payload over 125 bytes is a protocol error") {
    run_faults(srv.port, {{"ping with 126 bytes",
                           "5.5: control frames MUST have a payload of 125 bytes or less",
                           {control_frame(ws_op::ping, std::string(126, 'p'))},
                           1002},
                          {"pong with 200 bytes",
                           "5.5",
                           {control_frame(ws_op::pong, std::string(200, 'p'))},
                           1002}});
  }
}

TEST_CASE("conformance 2: keep-alive pings and the idle timeout", "[conformance]") {
  // With --idle-timeout 2, a connection silent for half of it gets a ping (5.5.2);
  // one that answers with pongs stays, one silent for the other half too is cut off.
  server_process srv({"--ephemeral", "--rate-limit", "0", "--idle-timeout", "2"});

  SECTION("a client that answers the pings stays connected") {
    auto c = open_hello(srv.port);
    for (int i = 0; i < 3; ++i) {
      INFO("ping " << i);
      auto f = c->read_frame(10000ms);
      REQUIRE(f);
      check_server_frame(*f);
      CHECK(f->opcode == ws_op::ping);
      c->send(control_frame(ws_op::pong, f->payload));
    }
    c->send_text(ping_op(41));
    auto r = reply_to(*c, 41);
    REQUIRE(r);
    CHECK(r->boolean("ok"));
  }

  SECTION("a silent client gets a ping, then the stream ends") {
    auto c = open_hello(srv.port);
    auto f = c->read_frame(10000ms);
    REQUIRE(f);
    CHECK(f->opcode == ws_op::ping);
    auto const r = c->wait_close(10000ms, false);
    CHECK(r.eof);
  }
}

TEST_CASE("conformance 3: reserved bits", "[conformance]") {
  // RFC 6455 5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated
  // (none is: the server offers no permessage-deflate); otherwise _Fail_ the connection.
  server_process srv({"--ephemeral", "--rate-limit", "0"});
  std::vector<fault_case> cases;
  int const bits[][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
  for (auto const& b : bits) {
    cases.push_back(
        {"text with RSV " + std::to_string(b[0]) + std::to_string(b[1]) + std::to_string(b[2]),
         "5.2: non-zero RSV without a negotiated extension",
         {with_rsv(text_frame(ping_op(1)), b[0], b[1], b[2])},
         1002});
  }
  cases.push_back(
      {"ping with RSV1", "5.2", {with_rsv(control_frame(ws_op::ping, "x"), 1, 0, 0)}, 1002});
  cases.push_back({"close with RSV2",
                   "5.2",
                   {with_rsv(control_frame(ws_op::close, close_payload(1000)), 0, 1, 0)},
                   1002});
  cases.push_back({"continuation with RSV3",
                   "5.2",
                   {unfinished(text_frame("{\"op\":")), with_rsv(cont_frame("\"ping\"}"), 0, 0, 1)},
                   1002});
  SECTION("faults") {
    run_faults(srv.port, cases);
  }

  SECTION("a valid op before the bad frame is answered first") {
    // Autobahn 3.2: the echo of what came before, then the failure.
    auto c = open_hello(srv.port);
    c->send_raw(encode_frame(text_frame(ping_op(5))) +
                encode_frame(with_rsv(text_frame(ping_op(6)), 0, 1, 0)));
    auto const r = c->wait_close();
    CHECK(r.code == 1002);
    REQUIRE(r.texts.size() == 1);
    CHECK(message(r.texts[0]).num("rid") == 5);
  }
}

TEST_CASE("conformance 4: reserved opcodes", "[conformance]") {
  // RFC 6455 5.2: opcodes 0x3-0x7 (non-control) and 0xB-0xF (control) are reserved;
  // a frame with an unknown opcode _Fails_ the connection.
  server_process srv({"--ephemeral", "--rate-limit", "0"});
  std::vector<fault_case> cases;
  for (std::uint8_t op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    cases.push_back({"opcode " + std::to_string(op),
                     op < 8 ? "5.2: reserved non-control opcode" : "5.2: reserved control opcode",
                     {with_opcode(op, op < 8 ? ping_op(1) : "x")},
                     1002});
  }
  cases.push_back({"opcode 5 with an empty payload", "5.2", {with_opcode(5, "")}, 1002});
  SECTION("faults") {
    run_faults(srv.port, cases);
  }
}

TEST_CASE("conformance 5: fragmentation", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});

  SECTION("a fragmented text message is reassembled and handled as one op") {
    // RFC 6455 5.4: a message may be split into a first frame (FIN=0), continuations
    // (opcode 0) and a last frame with FIN=1; the receiver sees one message.
    auto c = open_hello(srv.port);
    c->send_raw(encode_frame(text_frame("{\"op\":\"pi", false)) +
                encode_frame(cont_frame("ng\",\"ri", false)) + encode_frame(cont_frame("d\":11}")));
    auto r = reply_to(*c, 11);
    REQUIRE(r);
    CHECK(r->boolean("ok"));
    // One byte per frame, with an empty first fragment too (5.4 allows empty frames).
    std::string const op = ping_op(12);
    std::string bytes = encode_frame(text_frame("", false));
    for (std::size_t i = 0; i < op.size(); ++i)
      bytes += encode_frame(cont_frame(op.substr(i, 1), i + 1 == op.size()));
    c->send_raw(bytes);
    r = reply_to(*c, 12);
    REQUIRE(r);
    CHECK(r->boolean("ok"));
    CHECK_FALSE(c->read_frame(200ms));  // exactly one reply per message
  }

  SECTION("control frames between fragments are handled at once") {
    // RFC 6455 5.4: control frames MAY be injected in the middle of a fragmented
    // message; the endpoint MUST handle them there.
    auto c = open_hello(srv.port);
    c->send_raw(encode_frame(text_frame("{\"op\":\"ping\",", false)) +
                encode_frame(control_frame(ws_op::ping, "mid")) +
                encode_frame(control_frame(ws_op::pong, "ignored")) +
                encode_frame(cont_frame("\"rid\":21", false)));
    auto f = c->read_frame();
    REQUIRE(f);
    CHECK(f->opcode == ws_op::pong);  // before the message is even complete
    CHECK(f->payload == "mid");
    c->send(cont_frame("}"));
    auto r = reply_to(*c, 21);
    REQUIRE(r);
    CHECK(r->boolean("ok"));
  }

  SECTION("a close between fragments ends the session; the partial message is dropped") {
    auto c = open_hello(srv.port);
    c->send_raw(encode_frame(text_frame("{\"op\":\"ping\",", false)) +
                encode_frame(control_frame(ws_op::close, close_payload(1000))));
    auto const r = c->wait_close();
    CHECK(r.got_close_frame);
    CHECK(r.code == 1000);
    CHECK(r.texts.empty());
    CHECK(r.eof);
  }

  SECTION("faults") {
    run_faults(
        srv.port,
        {
            {"continuation without a message (FIN=1)",
             "5.4: a continuation frame with no message open fails the connection",
             {cont_frame(ping_op(1))},
             1002},
            {"continuation without a message (FIN=0)",
             "5.4",
             {cont_frame("{", false), cont_frame("}")},
             1002},
            {"a new text frame while a fragmented message is open",
             "5.4: fragments of one message MUST NOT be interleaved with another",
             {text_frame("{\"op\":", false), text_frame(ping_op(1))},
             1002},
            {"a binary frame while a text message is open",
             "5.4",
             {text_frame("{\"op\":", false), with_opcode(ws_op::binary, "x")},
             1002},
            {"a fragmented ping",
             "5.4/5.5: control frames MUST NOT be fragmented",
             {unfinished(control_frame(ws_op::ping, "a")), cont_frame("b")},
             1002},
            {"a fragmented close",
             "5.5",
             {unfinished(control_frame(ws_op::close, close_payload(1000))), cont_frame("")},
             1002},
            {"a fragmented pong", "5.5", {unfinished(control_frame(ws_op::pong, "a"))}, 1002},
        });
  }
}

TEST_CASE("conformance 6: UTF-8 in text messages", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});
  // 2-, 3- and 4-byte sequences, the last one outside the BMP.
  std::string const text =
      "h\xc3\xa9llo \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac \xf0\x9d\x84\x9e end";

  SECTION("valid multi-byte text is delivered unchanged, whole or cut mid-sequence") {
    auto c = open_hello(srv.port);
    std::string const op = R"({"op":"say","rid":31,"room":"plenary","text":")" + text + "\"}";
    c->send_text(op);
    // The event and the reply, in either order (ordering is core_test's subject).
    auto event_text = [&](int rid) {
      std::string seen;
      bool replied = false;
      while (seen.empty() || !replied) {
        auto line = c->read_line();
        if (!line) break;
        message m(*line);
        if (m.type() == "message") seen = m.str("text");
        if (m.type() == "reply" && m.num("rid") == rid) replied = m.boolean("ok");
      }
      CHECK(replied);
      return seen;
    };
    CHECK(event_text(31) == text);
    // Fragment boundaries inside every multi-byte sequence (5.6: a text message is
    // valid UTF-8 as a whole; a frame boundary may fall anywhere).
    std::string const op2 = R"({"op":"say","rid":32,"room":"plenary","text":")" + text + "\"}";
    auto const base = op2.find("h\xc3");
    std::vector<std::size_t> cuts{base + 2, base + 9, base + 13, base + 20, base + 23};
    std::string bytes;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
      auto const end = i < cuts.size() ? cuts[i] : op2.size();
      auto const piece = op2.substr(start, end - start);
      bytes +=
          encode_frame(i == 0 ? text_frame(piece, false) : cont_frame(piece, i == cuts.size()));
      start = end;
    }
    c->send_raw(bytes);
    CHECK(event_text(32) == text);
  }

  std::vector<fault_case> cases;
  std::pair<char const*, char const*> const invalid[] = {
      {"0xFF", "\xff"},
      {"0xFE", "\xfe"},
      {"lone continuation byte", "\x80"},
      {"overlong 2-byte '/'", "\xc0\xaf"},
      {"overlong 3-byte", "\xe0\x80\xaf"},
      {"overlong 4-byte", "\xf0\x80\x80\xaf"},
      {"UTF-16 surrogate U+D800", "\xed\xa0\x80"},
      {"above U+10FFFF", "\xf4\x90\x80\x80"},
      {"5-byte sequence", "\xf8\x88\x80\x80\x80"},
      {"bad continuation", "\xc3\x28"},
  };
  for (auto const& [name, bytes] : invalid) {
    cases.push_back({std::string("invalid UTF-8: ") + name,
                     "8.1: a text message that is not valid UTF-8 _Fails_ the connection; "
                     "7.4.1: 1007",
                     {text_frame(R"({"op":"ping","x":")" + std::string(bytes) + "\"}")},
                     1007});
  }
  cases.push_back({"an invalid sequence split across fragments",
                   "8.1: validity is of the whole message",
                   {text_frame("{\"op\":\"ping\",\"x\":\"\xe2\x82", false), cont_frame("\x28\"}")},
                   1007});
  cases.push_back({"a sequence truncated at the end of the message",
                   "8.1: the message ends inside a code point",
                   {text_frame("{\"op\":\"ping\",\"x\":\"ab\xe2\x82")},
                   1007});
  cases.push_back({"a truncated sequence in the last of several fragments",
                   "8.1",
                   {text_frame("{\"op\":\"ping\",", false), cont_frame("\"x\":\"\xf0\x9d\x84")},
                   1007});
  cases.push_back({"fail fast: an invalid first fragment, the rest never sent",
                   "Autobahn 6.4: invalid UTF-8 is detected on the frame that carries it, "
                   "without waiting for the message to end",
                   {text_frame("{\"op\":\"ping\",\"x\":\"\xed\xa0\x80", false)},
                   1007});
  SECTION("faults") {
    run_faults(srv.port, cases);
  }
}

TEST_CASE("conformance 7: close handling", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});

  auto close_with = [&](std::string const& payload) {
    auto c = open_hello(srv.port);
    c->send(control_frame(ws_op::close, payload));
    return c->wait_close();
  };

  SECTION("a client close is answered with a close frame, then the stream ends") {
    // RFC 6455 5.5.1: an endpoint that receives a Close MUST send a Close in response
    // (typically echoing the code); after both, the server closes the TCP connection (7.1.1).
    auto r = close_with(close_payload(1000));
    CHECK(r.got_close_frame);
    CHECK(r.code == 1000);
    CHECK(r.eof);
    r = close_with(close_payload(1000, "bye"));
    CHECK(r.code == 1000);
    // Beast answers a body-less close with 1000 rather than an empty body: 5.5.1 lets
    // the response carry any status, so this is fine.
    r = close_with("");
    CHECK(r.got_close_frame);
    CHECK(r.code == 1000);
    CHECK(r.eof);
    // 125 bytes of payload is the most a control frame carries (5.5).
    r = close_with(close_payload(1000, std::string(123, 'r')));
    CHECK(r.code == 1000);
  }

  SECTION("valid codes are echoed") {
    // 7.4.1 defined codes and 7.4.2 ranges 3000-4999. Beast also echoes 1012/1013 (later
    // IANA registrations, valid today) and codes of 5000 and above, which RFC 6455 does not
    // define; echoing them ends the session all the same, so it is safe.
    for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 1012u,
                          1013u, 3000u, 3999u, 4000u, 4999u, 5000u, 65535u}) {
      INFO("code " << code);
      auto const r = close_with(close_payload(code));
      CHECK(r.got_close_frame);
      CHECK(r.code == code);
      CHECK(r.eof);
    }
  }

  SECTION("invalid codes, a 1-byte body and bad reasons are protocol errors") {
    // 7.4.1/7.4.2: 0-999 are not used; 1004 is reserved; 1005, 1006 and 1015 MUST NOT be
    // sent in a Close frame; 1016-2999 are reserved for future RFCs. 5.5.1: a body, if
    // present, starts with a 2-byte code. A reason MUST be UTF-8 (1002 or 1007 both fine).
    for (unsigned code :
         {0u, 1u, 999u, 1004u, 1005u, 1006u, 1014u, 1015u, 1016u, 1100u, 2000u, 2999u}) {
      INFO("code " << code);
      auto const r = close_with(close_payload(code));
      CHECK(r.got_close_frame);
      CHECK(r.code == 1002);
      CHECK(r.eof);
    }
    auto r = close_with(std::string(1, '\x03'));
    CHECK(r.code == 1002);
    r = close_with(close_payload(1000, "bad \xff reason"));
    CHECK((r.code == 1002 || r.code == 1007));
    r = close_with(close_payload(1000, "cut \xe2\x82"));
    CHECK((r.code == 1002 || r.code == 1007));
    r = close_with(close_payload(1000, std::string(124, 'r')));  // 126 bytes
    CHECK(r.code == 1002);
  }

  SECTION("data after the close frame is ignored") {
    // 5.5.1: after sending a Close the client sends no more data; the server MUST NOT
    // act on any that arrives anyway.
    auto c = open_hello(srv.port);
    c->send_raw(encode_frame(control_frame(ws_op::close, close_payload(1000))) +
                encode_frame(text_frame(ping_op(71))) +
                encode_frame(control_frame(ws_op::ping, "after")));
    auto const r = c->wait_close();
    CHECK(r.got_close_frame);
    CHECK(r.code == 1000);
    CHECK(r.texts.empty());
    CHECK(r.eof);
  }

  SECTION("the server still serves others after all of that") {
    ws_client ok(srv.port);
    CHECK(ok.hello("after-close-cases").boolean("ok"));
  }
}

TEST_CASE("conformance 9: messages at and over the 64 KiB limit", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});

  SECTION("20 messages at the limit and just under it, pipelined, all answered in order") {
    auto c = open_hello(srv.port);
    std::string bytes;
    for (int i = 0; i < 20; ++i)
      bytes += encode_frame(text_frame(ping_of_size(message_limit - (i % 4), i)));
    c->send_raw(bytes);
    for (int i = 0; i < 20; ++i) {
      auto line = c->read_line();
      REQUIRE(line);
      message m(*line);
      CHECK(m.num("rid") == i);
      CHECK(m.boolean("ok"));
    }
  }

  SECTION("64 KiB in 64 fragments of 1 KiB is one message at the limit") {
    auto c = open_hello(srv.port);
    auto const op = ping_of_size(message_limit, 91);
    std::string bytes;
    for (std::size_t off = 0; off < op.size(); off += 1024) {
      bool const last = off + 1024 >= op.size();
      auto const piece = op.substr(off, 1024);
      bytes += encode_frame(off == 0 ? text_frame(piece, last) : cont_frame(piece, last));
    }
    c->send_raw(bytes);
    auto r = reply_to(*c, 91);
    REQUIRE(r);
    CHECK(r->boolean("ok"));
  }

  SECTION("faults") {
    auto over = ping_of_size(message_limit + 1, 1);
    run_faults(srv.port,
               {
                   {"one frame of 65537 bytes",
                    "7.4.1: 1009 for a message too big to process (our limit: 65536)",
                    {text_frame(over)},
                    1009},
                   {"65537 bytes in two fragments",
                    "the limit is per message, not per frame",
                    {text_frame(over.substr(0, 40000), false), cont_frame(over.substr(40000))},
                    1009},
               });
  }
}

TEST_CASE("conformance 10: server messages arrive whole and well-framed", "[conformance]") {
  server_process srv({"--ephemeral", "--rate-limit", "0"});
  // Fill the plenary history with 50 messages of 3900 bytes: a later hello's snapshot
  // holds as many of the latest as fit in its 64 KiB for messages, a frame bigger
  // than the 16-bit payload length (the 64-bit length form).
  ws_client writer(srv.port);
  writer.hello("writer");
  std::string big(3900, 'b');
  for (int i = 0; i < 50; ++i) {
    big[0] = static_cast<char>('A' + i % 26);
    writer.send(R"({"op":"say","room":"plenary","text":")" + big + "\"}");
  }
  writer.drain(300ms);

  auto c = open_ws(srv.port);
  c->send_text(R"({"op":"hello","rid":1,"name":"reader"})");
  std::string payload;
  for (;;) {
    auto f = c->read_frame();
    REQUIRE(f);
    check_server_frame(*f);
    if (f->opcode == ws_op::ping) continue;
    payload += f->payload;
    if (f->fin) break;
  }
  // One message: a reply (maybe with events batched before it), valid JSON per line.
  message const reply(
      payload.substr(payload.rfind('\n') == std::string::npos ? 0 : payload.rfind('\n') + 1));
  REQUIRE(reply.type() == "reply");
  simdjson::dom::array msgs;
  REQUIRE(!reply.at("/plenary/messages").get(msgs));
  auto const n = msgs.size();
  CHECK(n >= 15);  // 64 KiB of ~4 KB events
  CHECK(payload.size() > 65535);
  // The latest n, oldest first: the last is message 49.
  for (std::size_t i = 0; i < n; ++i) {
    auto const t = reply.str("/plenary/messages/" + std::to_string(i) + "/text");
    CHECK(t.size() == 3900);
    CHECK(t[0] == static_cast<char>('A' + (50 - n + i) % 26));
  }
  INFO("hello reply: " << payload.size() << " bytes");
}

TEST_CASE("conformance: unmasked client frames fail the connection", "[conformance]") {
  // RFC 6455 5.1: a server MUST close the connection on an unmasked client frame
  // (and MAY send 1002 first).
  server_process srv({"--ephemeral", "--rate-limit", "0"});
  frame_spec text = text_frame(ping_op(1));
  text.masked = false;
  frame_spec ping = control_frame(ws_op::ping, "x");
  ping.masked = false;
  frame_spec close = control_frame(ws_op::close, close_payload(1000));
  close.masked = false;
  SECTION("faults") {
    run_faults(srv.port, {{"unmasked text", "5.1", {text}, 1002},
                          {"unmasked ping", "5.1", {ping}, 1002},
                          {"unmasked close", "5.1", {close}, 1002}});
  }
}
