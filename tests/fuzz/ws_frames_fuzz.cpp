// libFuzzer target for protocol::ws_frame_reader. Any bytes must read or fail
// cleanly (ASan/UBSan watch the rest), within the promises of ws_frames.hpp:
// every call makes progress and consumes no more than it was given, a text
// message is within the limit, a control payload within 125 bytes, and the
// events are the same whether the input comes whole or cut in pieces (the
// first input byte picks the piece size).
#include "protocol/ws_frames.hpp"

#include "protocol/command.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace roundtable::protocol;

void check(bool ok, char const* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

struct event {
  ws_event what;
  std::uint16_t code;
  std::string payload;
  bool operator==(event const&) const = default;
};

std::vector<event> read_in_pieces(std::string bytes, std::size_t piece) {
  ws_frame_reader reader;
  std::vector<event> out;
  for (std::size_t start = 0; start < bytes.size(); start += piece) {
    auto const n = std::min(piece, bytes.size() - start);
    std::size_t at = 0;
    while (at < n) {
      auto const r = reader.feed(bytes.data() + start + at, n - at);
      check(r.used <= n - at, "used within the input");
      check(r.used > 0 || r.what != ws_event::more, "progress");
      at += r.used;
      if (r.what == ws_event::more) continue;
      auto const p = r.payload();
      if (r.what == ws_event::text) check(p.size() <= limits::message_bytes, "message limit");
      if (r.what == ws_event::ping || r.what == ws_event::pong || r.what == ws_event::close) {
        check(p.size() <= 125, "control payload");
      }
      if (r.what == ws_event::fail) check(!r.reason.empty() && r.code >= 1002, "fail reason");
      out.push_back({r.what, r.code, std::string(p)});
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  std::string const bytes(reinterpret_cast<char const*>(data) + 1, size - 1);
  auto const whole = read_in_pieces(bytes, bytes.size() + 1);
  auto const cut = read_in_pieces(bytes, 1 + data[0] % 17);
  check(whole == cut, "same events whole and cut");
  return 0;
}
