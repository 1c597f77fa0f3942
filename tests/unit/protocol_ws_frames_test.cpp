// Unit tests of protocol::ws_frame_reader and the server frame writers: every
// rule the reader enforces (masking, reserved bits and opcodes, control
// frames, fragmentation, minimal lengths, the message limit, UTF-8, close
// payloads), each with the close code it must earn, and that input cut at
// any byte gives the same messages as input in one piece.
#include "protocol/ws_frames.hpp"

#include "protocol/command.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace roundtable::protocol;

namespace {

// A client frame as a test wants it, mistakes included: `rsv` is bits 4-6 of
// the first byte, `length_bytes` 0, 2 or 8 extra length bytes (-1: the
// shortest), `declared` a length written instead of the payload's.
std::string encode(std::uint8_t opcode, std::string const& payload, bool fin = true,
                   bool masked = true, std::uint8_t rsv = 0, int length_bytes = -1,
                   std::optional<std::uint64_t> declared = {}) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode);
  std::uint64_t const length = declared.value_or(payload.size());
  int extra = length_bytes;
  if (extra < 0) extra = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8;
  std::uint8_t const len7 = extra == 0 ? static_cast<std::uint8_t>(length) : extra == 2 ? 126 : 127;
  out += static_cast<char>((masked ? 0x80 : 0) | len7);
  for (int i = extra - 1; i >= 0; --i) out += static_cast<char>((length >> (8 * i)) & 0xFF);
  unsigned char const mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) out.append(reinterpret_cast<char const*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out += static_cast<char>(payload[i] ^ (masked ? mask[i % 4] : 0));
  }
  return out;
}

std::string text(std::string payload, bool fin = true) {
  return encode(ws_opcode::text, payload, fin);
}
std::string cont(std::string payload, bool fin = true) {
  return encode(ws_opcode::continuation, payload, fin);
}
std::string control(std::uint8_t opcode, std::string payload) {
  return encode(opcode, payload);
}
std::string close_body(std::uint16_t code, std::string const& reason = {}) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} + reason;
}

struct event {
  ws_event what;
  std::uint16_t code;
  std::string payload;
};

// Feeds `bytes` in pieces of `piece` bytes (0: in one piece) and returns every
// event but `more`; stops at a close or a failure.
std::vector<event> read_all(ws_frame_reader& reader, std::string bytes, std::size_t piece = 0) {
  std::vector<event> out;
  if (piece == 0) piece = bytes.size() + 1;
  for (std::size_t start = 0; start < bytes.size(); start += piece) {
    std::string chunk = bytes.substr(start, piece);
    std::size_t at = 0;
    while (at < chunk.size()) {
      auto const r = reader.feed(chunk.data() + at, chunk.size() - at);
      at += r.used;
      if (r.what == ws_event::more) {
        REQUIRE(at == chunk.size());
        continue;
      }
      out.push_back({r.what, r.code, std::string(r.payload())});
      if (r.what == ws_event::close || r.what == ws_event::fail) return out;
    }
  }
  return out;
}

std::vector<event> read_all(std::string bytes, std::size_t piece = 0) {
  ws_frame_reader reader;
  return read_all(reader, std::move(bytes), piece);
}

// The one event `bytes` must give: a failure with `code`.
void check_fails(std::string const& bytes, std::uint16_t code) {
  auto const got = read_all(bytes);
  REQUIRE(got.size() == 1);
  CHECK(got[0].what == ws_event::fail);
  CHECK(got[0].code == code);
  CHECK(got[0].payload.empty());  // whatever of the frame was read
}

}  // namespace

TEST_CASE("ws reader: a whole text frame is returned in place", "[ws_frames]") {
  ws_frame_reader reader;
  CHECK(reader.between_messages());
  auto bytes = text(R"({"op":"ping"})");
  auto const r = reader.feed(bytes.data(), bytes.size());
  CHECK(r.what == ws_event::text);
  CHECK(r.used == bytes.size());
  CHECK(r.payload() == R"({"op":"ping"})");
  // Unmasked where it lay: no copy for a message that came whole.
  CHECK(r.payload().data() >= bytes.data());
  CHECK(r.payload().data() < bytes.data() + bytes.size());
  CHECK(reader.between_messages());
}

TEST_CASE("ws reader: the same messages however the input is cut", "[ws_frames]") {
  std::string const stream =
      text("first") + control(ws_opcode::ping, "p1") + text("{\"a\":", false) +
      control(ws_opcode::pong, "") + cont("1", false) + control(ws_opcode::ping, "") + cont("}") +
      text(std::string(300, 'x')) + text("") + text(std::string(60000, 'y'), false) + cont("end");
  auto const whole = read_all(stream);
  REQUIRE(whole.size() == 8);
  CHECK(whole[0].payload == "first");
  CHECK(whole[1].what == ws_event::ping);
  CHECK(whole[1].payload == "p1");
  CHECK(whole[2].what == ws_event::pong);
  CHECK(whole[3].what == ws_event::ping);
  CHECK(whole[4].what == ws_event::text);
  CHECK(whole[4].payload == "{\"a\":1}");
  CHECK(whole[5].payload == std::string(300, 'x'));
  CHECK(whole[6].what == ws_event::text);
  CHECK(whole[6].payload.empty());
  CHECK(whole[7].payload.size() == 60003);
  for (std::size_t piece : {1, 2, 3, 7, 13, 125, 4096}) {
    INFO("pieces of " << piece);
    auto const cut = read_all(stream, piece);
    REQUIRE(cut.size() == whole.size());
    for (std::size_t i = 0; i < cut.size(); ++i) {
      CHECK(cut[i].what == whole[i].what);
      CHECK(cut[i].payload == whole[i].payload);
    }
  }
}

TEST_CASE("ws reader: holds nothing between messages, only while one is partial", "[ws_frames]") {
  ws_frame_reader reader;
  auto bytes = text("{\"op\":", false) + cont("\"ping\"}");
  auto const first = bytes.size() - 3;
  auto r = reader.feed(bytes.data(), first);
  CHECK(r.what == ws_event::more);
  CHECK_FALSE(reader.between_messages());
  r = reader.feed(bytes.data() + first, 3);
  CHECK(r.what == ws_event::text);
  CHECK(r.payload() == "{\"op\":\"ping\"}");
  CHECK(reader.between_messages());
  auto half = text("abc");
  r = reader.feed(half.data(), 1);  // one byte of a header is partial too
  CHECK(r.what == ws_event::more);
  CHECK_FALSE(reader.between_messages());
}

TEST_CASE("ws reader: payload lengths in each encoding; non-minimal ones fail", "[ws_frames]") {
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536}) {
    INFO("size " << size);
    auto const got = read_all(text(std::string(size, 'a')));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == ws_event::text);
    CHECK(got[0].payload.size() == size);
  }
  // 5.2: the minimal number of bytes MUST be used for the length.
  check_fails(encode(ws_opcode::text, "short", true, true, 0, 2), 1002);
  check_fails(encode(ws_opcode::text, std::string(200, 'a'), true, true, 0, 8), 1002);
  check_fails(encode(ws_opcode::text, std::string(126, 'a'), true, true, 0, 8), 1002);
}

TEST_CASE("ws reader: the message limit, per message, refused at the header", "[ws_frames]") {
  auto const limit = limits::message_bytes;
  auto at_limit = read_all(text(std::string(limit, 'a')));
  REQUIRE(at_limit.size() == 1);
  CHECK(at_limit[0].what == ws_event::text);
  // One byte over, in one frame: only the header is needed to refuse it.
  auto const over = text(std::string(limit + 1, 'a'));
  check_fails(over.substr(0, 14), 1009);
  // Over the limit across fragments.
  check_fails(text(std::string(40000, 'a'), false) + cont(std::string(limit - 40000 + 1, 'b')),
              1009);
  // A 64-bit length with its top bit set, and one of 1 TiB.
  check_fails(encode(ws_opcode::text, "{}", true, true, 0, 8, std::uint64_t{1} << 63), 1009);
  check_fails(encode(ws_opcode::text, "{\"op\":", true, true, 0, 8, std::uint64_t{1} << 40), 1009);
}

TEST_CASE("ws reader: protocol errors close with 1002", "[ws_frames]") {
  SECTION("unmasked frames (5.1)") {
    check_fails(encode(ws_opcode::text, "{}", true, false), 1002);
    check_fails(encode(ws_opcode::ping, "x", true, false), 1002);
    check_fails(encode(ws_opcode::close, close_body(1000), true, false), 1002);
  }
  SECTION("reserved bits (5.2)") {
    for (std::uint8_t rsv : {1, 2, 4, 7}) {
      INFO("rsv " << int(rsv));
      check_fails(encode(ws_opcode::text, "{}", true, true, rsv), 1002);
    }
    check_fails(text("{", false) + encode(ws_opcode::continuation, "}", true, true, 1), 1002);
    check_fails(encode(ws_opcode::ping, "x", true, true, 2), 1002);
  }
  SECTION("reserved opcodes (5.2)") {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
      INFO("opcode " << int(op));
      check_fails(encode(op, "x"), 1002);
    }
  }
  SECTION("control frames over 125 bytes or fragmented (5.5)") {
    check_fails(control(ws_opcode::ping, std::string(126, 'p')), 1002);
    check_fails(control(ws_opcode::pong, std::string(200, 'p')), 1002);
    check_fails(encode(ws_opcode::ping, "a", false), 1002);
    check_fails(encode(ws_opcode::close, close_body(1000), false), 1002);
    auto const ok = read_all(control(ws_opcode::ping, std::string(125, 'p')));
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].what == ws_event::ping);
  }
  SECTION("fragments out of order (5.4)") {
    check_fails(cont("{}"), 1002);
    check_fails(cont("{", false), 1002);
    check_fails(text("{", false) + text("{}"), 1002);
    check_fails(text("{", false) + encode(ws_opcode::binary, "x"), 1002);
  }
}

TEST_CASE("ws reader: a binary frame closes 1003, the way the server always has", "[ws_frames]") {
  ws_frame_reader reader;
  auto bytes = encode(ws_opcode::binary, "\x01\x02");
  auto const r = reader.feed(bytes.data(), 2);  // refused at its first two bytes
  CHECK(r.what == ws_event::fail);
  CHECK(r.code == 1003);
  CHECK(r.reason == "binary frames are not supported");
}

TEST_CASE("ws reader: UTF-8 of text messages", "[ws_frames]") {
  std::string const valid = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e \xef\xbf\xbf \xed\x9f\xbf";
  SECTION("valid text, cut inside every sequence, comes back whole") {
    std::string bytes;
    for (std::size_t i = 0; i < valid.size(); ++i) {
      bytes += i == 0 ? text(valid.substr(0, 1), false)
                      : cont(valid.substr(i, 1), i + 1 == valid.size());
    }
    for (std::size_t piece : {0, 1, 5}) {
      auto const got = read_all(bytes, piece);
      REQUIRE(got.size() == 1);
      CHECK(got[0].payload == valid);
    }
  }
  SECTION("invalid sequences close with 1007 (8.1)") {
    for (char const* bad : {"\xff", "\xfe", "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
                            "\xf0\x80\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                            "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xc3\x28"}) {
      INFO("bytes " << bad);
      check_fails(text(std::string("{\"x\":\"") + bad + "\"}"), 1007);
    }
  }
  SECTION("a message that ends inside a sequence") {
    check_fails(text("ab\xe2\x82"), 1007);
    check_fails(text("{", false) + cont("\xf0\x9d\x84"), 1007);
  }
  SECTION("split across fragments") {
    check_fails(text("\xe2\x82", false) + cont("\x28"), 1007);
  }
  SECTION("fail fast: on the frame that carries it, the message unfinished") {
    check_fails(text("{\"x\":\"\xed\xa0\x80", false), 1007);
  }
}

TEST_CASE("ws reader: close frames", "[ws_frames]") {
  auto close_of = [](std::string const& body) {
    auto const got = read_all(control(ws_opcode::close, body));
    REQUIRE(got.size() == 1);
    return got[0];
  };
  SECTION("without a body: code 1005") {
    auto const e = close_of("");
    CHECK(e.what == ws_event::close);
    CHECK(e.code == 1005);
  }
  SECTION("valid codes, with and without a reason") {
    for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 1012u,
                          1013u, 3000u, 3999u, 4000u, 4999u, 5000u, 65535u}) {
      INFO("code " << code);
      auto const e = close_of(close_body(static_cast<std::uint16_t>(code), "bye"));
      CHECK(e.what == ws_event::close);
      CHECK(e.code == code);
      CHECK(e.payload == close_body(static_cast<std::uint16_t>(code), "bye"));
    }
    CHECK(close_of(close_body(1000, std::string(123, 'r'))).what == ws_event::close);
  }
  SECTION("invalid codes, one byte, a reason not UTF-8") {
    for (unsigned code :
         {0u, 1u, 999u, 1004u, 1005u, 1006u, 1014u, 1015u, 1016u, 1100u, 2000u, 2999u}) {
      INFO("code " << code);
      auto const e = close_of(close_body(static_cast<std::uint16_t>(code)));
      CHECK(e.what == ws_event::fail);
      CHECK(e.code == 1002);
    }
    CHECK(close_of(std::string(1, '\x03')).code == 1002);
    CHECK(close_of(close_body(1000, "bad \xff reason")).code == 1007);
    CHECK(close_of(close_body(1000, "cut \xe2\x82")).code == 1007);
    check_fails(control(ws_opcode::close, close_body(1000, std::string(124, 'r'))), 1002);
  }
  SECTION("nothing after the close is read") {
    ws_frame_reader reader;
    auto bytes = control(ws_opcode::close, close_body(1000)) + text("{}") +
                 control(ws_opcode::ping, "after");
    auto r = reader.feed(bytes.data(), bytes.size());
    CHECK(r.what == ws_event::close);
    auto const rest = bytes.size() - r.used;
    r = reader.feed(bytes.data() + r.used, rest);
    CHECK(r.what == ws_event::more);
    CHECK(r.used == rest);
  }
  SECTION("a close between fragments") {
    auto const got =
        read_all(text("{\"op\":", false) + control(ws_opcode::close, close_body(1000)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == ws_event::close);
  }
}

TEST_CASE("ws writers: unmasked final frames, lengths in their shortest form", "[ws_frames]") {
  std::array<unsigned char, 10> head{};
  CHECK(write_frame_header(head, ws_opcode::text, 0) == 2);
  CHECK(head[0] == 0x81);
  CHECK(head[1] == 0);
  CHECK(write_frame_header(head, ws_opcode::text, 125) == 2);
  CHECK(head[1] == 125);
  CHECK(write_frame_header(head, ws_opcode::text, 126) == 4);
  CHECK(head[1] == 126);
  CHECK((head[2] == 0 && head[3] == 126));
  CHECK(write_frame_header(head, ws_opcode::text, 65535) == 4);
  CHECK(write_frame_header(head, ws_opcode::text, 65536) == 10);
  CHECK(head[1] == 127);
  CHECK(head[7] == 1);
  CHECK(head[9] == 0);

  CHECK(control_frame(ws_opcode::pong, "hi") == std::string("\x8a\x02hi"));
  auto const close = close_frame(1009, "too big");
  CHECK(close == std::string("\x88\x09\x03\xf1too big", 11));
  // The reason is cut to fit in 125 bytes, never inside a UTF-8 sequence.
  CHECK(close_frame(1000, std::string(200, 'r')).size() == 2 + 125);
  auto const euro = close_frame(1000, std::string(122, 'r') + "\xe2\x82\xac");
  CHECK(euro.size() == 2 + 2 + 122);
}
