// The server's side of RFC 6455 framing, sans-io: a reader that takes a
// client's bytes as they arrive and gives back complete text messages and
// control frames, and the writers of the server's (unmasked) frames. The
// reader checks what the RFC asks of a client's frames (masking, reserved
// bits and opcodes, control frames short and whole, continuation order,
// minimal length encoding, close payloads, UTF-8 of text as it arrives) and
// the message size limit, and names the close code each failure earns.
//
// Most connections are idle most of the time, so between messages the reader
// holds no buffer: a message or control frame that arrives whole in one input
// is returned where it lies (unmasked in place); only one split over several
// inputs is assembled in memory of its own, handed over when complete.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace roundtable::protocol {

namespace ws_opcode {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
}  // namespace ws_opcode

// What ws_frame_reader::feed() stopped at.
enum class ws_event : std::uint8_t {
  more,   // the input is used up and nothing is complete yet
  text,   // a whole text message
  ping,   // answer with a pong carrying payload()
  pong,   // nothing to do
  close,  // the peer's close: code() (1005 when it gave none) and payload()
  fail,   // fail the connection: close with code() and reason()
};

struct ws_result {
  ws_event what = ws_event::more;
  std::size_t used = 0;  // bytes of the input consumed
  std::uint16_t code = 0;
  std::string_view reason;  // fail: a short reason for the close frame
  // text, ping, pong, close: the unmasked payload, valid while the input is
  // and this result lives (it may own the bytes it assembled).
  std::string_view payload() const noexcept { return owned_ ? std::string_view(*owned_) : view_; }

 private:
  friend class ws_frame_reader;
  std::string_view view_;
  std::unique_ptr<std::string> owned_;
};

// One connection's reader. After a close or a failure it reads nothing more
// (feed() consumes and ignores everything).
class ws_frame_reader {
 public:
  // Consumes `data` up to the end of the first complete message or control
  // frame (or a failure) and returns it; call again with the rest. Unmasks
  // the consumed bytes in place.
  ws_result feed(char* data, std::size_t size);
  // Nothing partial is held (no frame, message or control frame begun).
  bool between_messages() const noexcept {
    return stage_ == stage::header && head_size_ == 0 && !in_message_;
  }

 private:
  enum class stage : std::uint8_t { header, payload, done };
  // Incremental UTF-8 check (RFC 3629: no overlongs, surrogates or code
  // points above U+10FFFF): the continuation bytes a sequence still needs
  // and the range its next byte must fall in.
  struct utf8_state {
    std::uint8_t need = 0;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;
    bool take(unsigned char const* p, std::size_t n) noexcept;
  };

  // Collects header bytes; true once a whole, valid header is in. On a
  // failure `r` says so.
  bool take_header(unsigned char const* p, std::size_t size, std::size_t& at, ws_result& r);
  bool check_first_two(ws_result& r);
  bool check_length(std::uint64_t length, ws_result& r);
  // The payload bytes of this input; true when the frame is complete.
  bool take_payload(unsigned char* p, std::size_t size, std::size_t& at, ws_result& r);
  // A complete frame: fills `r`, or returns false to read on (a fragment).
  bool frame_done(ws_result& r);
  void parse_close(ws_result& r);
  // Ends reading: nothing more is read after a failure.
  void fail(ws_result& r, std::uint16_t code, std::string_view reason);

  std::array<unsigned char, 14> head_{};  // 2 + 8 length bytes + 4 mask bytes
  std::uint8_t head_size_ = 0;
  stage stage_ = stage::header;
  std::uint8_t opcode_ = 0;  // of the frame being read
  bool fin_ = false;
  bool in_message_ = false;  // a fragmented text message is open
  bool in_place_ = false;    // this frame's payload is whole in the input
  std::array<unsigned char, 4> mask_{};
  std::uint8_t mask_at_ = 0;  // where in mask_ the next payload byte is
  utf8_state utf8_;           // beside the bytes above: every idle connection has a reader
  std::uint64_t left_ = 0;    // payload bytes of this frame still to come
  std::unique_ptr<std::string> message_;  // a text message arriving in pieces
  std::unique_ptr<std::string> control_;  // a control frame arriving in pieces
};

// Writes the header of an unmasked, final frame (a server's) of `opcode` and
// `size` payload bytes into `out`; returns its length.
std::size_t write_frame_header(std::array<unsigned char, 10>& out, std::uint8_t opcode,
                               std::size_t size);
// A whole control frame: header and `payload` (at most 125 bytes).
std::string control_frame(std::uint8_t opcode, std::string_view payload);
// A close frame with `code` and as much of `reason` as fits in 123 bytes.
std::string close_frame(std::uint16_t code, std::string_view reason);

}  // namespace roundtable::protocol
