// RFC 6455 framing, the server's side (see ws_frames.hpp). Section numbers
// below are RFC 6455's.
#include "protocol/ws_frames.hpp"

#include "protocol/command.hpp"
#include "protocol/error.hpp"

#include <algorithm>

namespace roundtable::protocol {

namespace {

constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t no_status = 1005;  // 7.4.1: a close frame without a code

bool is_control(std::uint8_t opcode) noexcept {
  return (opcode & 0x8) != 0;
}

// 7.4: the codes a peer may put in a close frame. Like Beast, which read
// them before: the RFC's own, 1012 and 1013 (registered since), and 3000 up.
bool valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) || code >= 3000;
}

}  // namespace

bool ws_frame_reader::utf8_state::take(unsigned char const* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    auto const c = p[i];
    if (need == 0) {
      if (c < 0x80) continue;
      if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlong 3-byte forms
        hi = c == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;  // no overlong 4-byte forms
        hi = c == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
      } else {
        return false;  // a continuation byte, an overlong lead (C0, C1), or F5 and up
      }
      continue;
    }
    if (c < lo || c > hi) return false;
    --need;
    lo = 0x80;
    hi = 0xBF;
  }
  return true;
}

ws_result ws_frame_reader::feed(char* data, std::size_t size) {
  ws_result r;
  auto* const p = reinterpret_cast<unsigned char*>(data);
  std::size_t at = 0;
  while (stage_ != stage::done) {
    if (stage_ == stage::header && !take_header(p, size, at, r)) break;
    if (!take_payload(p, size, at, r)) break;
    if (frame_done(r)) break;
  }
  // After the peer's close or a failure the rest is never read.
  if (stage_ == stage::done && r.what == ws_event::more) at = size;
  r.used = at;
  return r;
}

bool ws_frame_reader::take_header(unsigned char const* p, std::size_t size, std::size_t& at,
                                  ws_result& r) {
  for (;;) {
    std::size_t need = 2;
    if (head_size_ >= 2) {
      auto const len7 = head_[1] & 0x7F;
      need += (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;  // length bytes, mask
    }
    if (head_size_ == need) break;
    if (at == size) return false;
    auto const n = std::min(need - head_size_, size - at);
    bool const had_two = head_size_ >= 2;
    std::copy_n(p + at, n, head_.begin() + head_size_);
    head_size_ = static_cast<std::uint8_t>(head_size_ + n);
    at += n;
    // Refused at its first two bytes, before any length or payload is read.
    if (!had_two && head_size_ >= 2 && !check_first_two(r)) return false;
  }
  auto const len7 = head_[1] & 0x7F;
  std::size_t const extra = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  std::uint64_t length = extra == 0 ? len7 : 0;
  for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | head_[2 + i];
  std::copy_n(head_.begin() + 2 + extra, 4, mask_.begin());
  head_size_ = 0;
  opcode_ = head_[0] & 0x0F;
  fin_ = (head_[0] & 0x80) != 0;
  if ((extra == 2 && length < 126) || (extra == 8 && length <= 0xFFFF)) {
    fail(r, protocol_error, "frame length not in its shortest form");  // 5.2
    return false;
  }
  // 7.4.1: 1009 at the header, before any of the payload is read or held.
  auto const held = message_ ? message_->size() : 0;
  if (!is_control(opcode_) && length > limits::message_bytes - held) {
    fail(r, close_code::too_big, "message too big");
    return false;
  }
  left_ = length;
  mask_at_ = 0;
  in_place_ = size - at >= left_ &&
              (is_control(opcode_) || (opcode_ == ws_opcode::text && fin_ && !in_message_));
  stage_ = stage::payload;
  return true;
}

bool ws_frame_reader::check_first_two(ws_result& r) {
  auto const opcode = static_cast<std::uint8_t>(head_[0] & 0x0F);
  bool const fin = (head_[0] & 0x80) != 0;
  std::string_view fault;
  if ((head_[0] & 0x70) != 0) {
    fault = "reserved bits set";  // 5.2: no extension was negotiated
  } else if ((head_[1] & 0x80) == 0) {
    fault = "unmasked client frame";  // 5.1
  } else if ((opcode > ws_opcode::binary && opcode < ws_opcode::close) ||
             opcode > ws_opcode::pong) {
    fault = "reserved opcode";  // 5.2
  } else if (is_control(opcode) && !fin) {
    fault = "fragmented control frame";  // 5.5
  } else if (is_control(opcode) && (head_[1] & 0x7F) > 125) {
    fault = "control frame over 125 bytes";  // 5.5
  } else if (opcode == ws_opcode::continuation && !in_message_) {
    fault = "continuation without a message";  // 5.4
  } else if (!is_control(opcode) && opcode != ws_opcode::continuation && in_message_) {
    fault = "new message inside a fragmented one";  // 5.4
  } else if (opcode == ws_opcode::binary) {
    fail(r, close_code::unsupported, "binary frames are not supported");
    return false;
  }
  if (fault.empty()) return true;
  fail(r, protocol_error, fault);
  return false;
}

bool ws_frame_reader::take_payload(unsigned char* p, std::size_t size, std::size_t& at,
                                   ws_result& r) {
  auto const n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, size - at));
  auto* const bytes = p + at;
  for (std::size_t i = 0; i < n; ++i) bytes[i] ^= mask_[(mask_at_ + i) & 3];
  mask_at_ = static_cast<std::uint8_t>((mask_at_ + n) & 3);
  at += n;
  left_ -= n;
  bool const control = is_control(opcode_);
  // 8.1: invalid UTF-8 fails the connection on the frame that carries it.
  if (!control && !utf8_.take(bytes, n)) {
    fail(r, close_code::bad_payload, "invalid UTF-8 in a text message");
    return false;
  }
  std::string_view const chunk(reinterpret_cast<char const*>(bytes), n);
  if (in_place_) {
    r.view_ = chunk;
  } else {
    auto& assembled = control ? control_ : message_;
    if (!assembled) assembled = std::make_unique<std::string>();
    assembled->append(chunk);
  }
  return left_ == 0;
}

bool ws_frame_reader::frame_done(ws_result& r) {
  stage_ = stage::header;
  if (is_control(opcode_)) {
    if (!in_place_) r.owned_ = std::move(control_);
    if (opcode_ == ws_opcode::ping) r.what = ws_event::ping;
    if (opcode_ == ws_opcode::pong) r.what = ws_event::pong;
    if (opcode_ == ws_opcode::close) parse_close(r);
    return true;
  }
  if (!fin_) {
    in_message_ = true;
    return false;
  }
  if (utf8_.need != 0) {
    fail(r, close_code::bad_payload, "text message ends inside a UTF-8 sequence");
    return true;
  }
  in_message_ = false;
  if (!in_place_) r.owned_ = std::move(message_);
  r.what = ws_event::text;
  return true;
}

void ws_frame_reader::parse_close(ws_result& r) {
  stage_ = stage::done;
  auto const data = r.payload();
  if (data.empty()) {
    r.what = ws_event::close;
    r.code = no_status;
    return;
  }
  if (data.size() == 1) {
    fail(r, protocol_error, "close payload of one byte");  // 5.5.1: a code is two
    return;
  }
  auto const code = static_cast<std::uint16_t>((static_cast<unsigned char>(data[0]) << 8) |
                                               static_cast<unsigned char>(data[1]));
  if (!valid_close_code(code)) {
    fail(r, protocol_error, "invalid close code");
    return;
  }
  utf8_state reason;
  if (!reason.take(reinterpret_cast<unsigned char const*>(data.data()) + 2, data.size() - 2) ||
      reason.need != 0) {
    fail(r, close_code::bad_payload, "close reason not UTF-8");
    return;
  }
  r.what = ws_event::close;
  r.code = code;
}

void ws_frame_reader::fail(ws_result& r, std::uint16_t code, std::string_view reason) {
  stage_ = stage::done;
  message_.reset();
  control_.reset();
  r.what = ws_event::fail;
  r.code = code;
  r.reason = reason;
  r.view_ = {};  // a failure has no payload, whatever of it was read
  r.owned_.reset();
}

std::size_t write_frame_header(std::array<unsigned char, 10>& out, std::uint8_t opcode,
                               std::size_t size) {
  out[0] = static_cast<unsigned char>(0x80 | opcode);  // FIN
  if (size < 126) {
    out[1] = static_cast<unsigned char>(size);
    return 2;
  }
  int const bytes = size <= 0xFFFF ? 2 : 8;
  out[1] = bytes == 2 ? 126 : 127;
  for (int i = 0; i < bytes; ++i) {
    out[2 + i] =
        static_cast<unsigned char>(static_cast<std::uint64_t>(size) >> (8 * (bytes - 1 - i)));
  }
  return 2 + static_cast<std::size_t>(bytes);
}

std::string control_frame(std::uint8_t opcode, std::string_view payload) {
  std::array<unsigned char, 10> head{};
  auto const n = write_frame_header(head, opcode, payload.size());
  std::string out(reinterpret_cast<char const*>(head.data()), n);
  out.append(payload);
  return out;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  auto cut = reason.substr(0, 123);
  // Never inside a UTF-8 sequence: back to the start of the one cut through.
  while (!cut.empty() && cut.size() < reason.size() &&
         (static_cast<unsigned char>(reason[cut.size()]) & 0xC0) == 0x80) {
    cut.remove_suffix(1);
  }
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  out.append(cut);
  return control_frame(ws_opcode::close, out);
}

}  // namespace roundtable::protocol
