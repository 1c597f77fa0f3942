// A raw-socket WebSocket client for conformance and hardening tests. Unlike
// ws_client (Beast, which only ever sends well-formed traffic), it does the
// HTTP upgrade by hand and writes frames byte by byte, so a test can send what
// a broken or hostile peer would: odd handshakes and Origins, reserved bits and
// opcodes, unmasked or fragmented frames, non-minimal or lying length fields,
// bad close payloads. Plain POSIX sockets, blocking writes, reads with poll().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roundtable::test {

namespace ws_op {
inline constexpr std::uint8_t cont = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
}  // namespace ws_op

// How the payload length is written (RFC 6455 section 5.2). `minimal` is the
// only legal form; the others exist to test the peer's checks.
enum class length_form { minimal, bits7, bits16, bits64 };

// One frame to send. Everything is under the test's control, including the
// length field, which may disagree with the payload actually written.
struct frame_spec {
  std::uint8_t opcode = ws_op::text;
  bool fin = true;
  bool rsv1 = false, rsv2 = false, rsv3 = false;
  bool masked = true;  // clients must mask; false tests the server's check
  std::string payload;
  length_form form = length_form::minimal;
  std::optional<std::uint64_t> declared_length;  // written instead of payload.size()
};

// The bytes of `f` on the wire (random masking key when masked).
std::string encode_frame(frame_spec const& f);
// Shorthands for the common frames.
frame_spec text_frame(std::string payload, bool fin = true);
frame_spec cont_frame(std::string payload, bool fin = true);
frame_spec control_frame(std::uint8_t opcode, std::string payload);
// A close frame's payload: the code in network order, then the reason.
std::string close_payload(unsigned code, std::string_view reason = {});

// A frame read from the server.
struct frame {
  std::uint8_t opcode = 0;
  bool fin = false;
  bool rsv1 = false, rsv2 = false, rsv3 = false;
  bool masked = false;
  std::string payload;
  // For close frames: the code (0 when the payload is empty) and the reason.
  unsigned close_code() const;
  std::string close_reason() const;
};

// What the end of a connection looked like from the client side.
struct close_result {
  bool got_close_frame = false;  // a close frame arrived
  unsigned code = 0;             // its code (0: empty close payload or none)
  std::string reason;
  bool eof = false;                // the TCP stream ended (FIN or reset)
  bool timed_out = false;          // neither within the timeout
  std::vector<std::string> texts;  // text messages that arrived before the close
};

struct http_response_head {
  unsigned status = 0;  // 0: the server closed without a response
  std::string head;     // status line and headers
  std::string body;     // what followed the head (Content-Length bytes at most)
  // Value of a header (case-insensitive name), empty when absent.
  std::string header(std::string_view name) const;
};

class raw_ws {
 public:
  using ms = std::chrono::milliseconds;
  static constexpr ms default_timeout{5000};

  // Opens a TCP connection to 127.0.0.1:port. A non-zero `rcvbuf` sets
  // SO_RCVBUF before connecting (a small one makes a slow consumer); a
  // `source` address (e.g. "127.0.0.2") makes the connection come from it.
  explicit raw_ws(int port, int rcvbuf = 0, char const* source = nullptr);
  ~raw_ws();
  raw_ws(raw_ws const&) = delete;
  raw_ws& operator=(raw_ws const&) = delete;

  // A well-formed upgrade request for `path` with a fresh key, plus `extra`
  // header lines ("Name: value"), each ending without CRLF.
  std::string upgrade_request(std::string_view path = "/ws",
                              std::vector<std::string> const& extra = {}) const;
  // Sends `request` as is and reads the response head (and a short body).
  http_response_head http(std::string_view request, ms timeout = default_timeout);
  // Upgrades with the default request plus `extra` headers. Returns the
  // response; on 101 it also checks Sec-WebSocket-Accept (throws if wrong).
  http_response_head handshake(std::vector<std::string> const& extra = {},
                               std::string_view path = "/ws");

  // Writes bytes; false when the peer has gone (EPIPE, reset).
  bool send_raw(std::string_view bytes);
  bool send(frame_spec const& f) { return send_raw(encode_frame(f)); }
  bool send_text(std::string_view text) { return send(text_frame(std::string(text))); }

  // The next frame, or nullopt on timeout or end of stream (see eof()).
  std::optional<frame> read_frame(ms timeout = default_timeout);
  // The next complete data message (fragments joined, control frames other
  // than close skipped); nullopt on timeout, close or end of stream. A close
  // frame seen here is kept and reported by wait_close().
  std::optional<std::string> read_message(ms timeout = default_timeout);
  // The next JSON object line of a text message (messages split on '\n').
  std::optional<std::string> read_line(ms timeout = default_timeout);
  // Reads until a close frame and then the end of the stream (or a timeout),
  // collecting text messages on the way. With `answer`, the close frame is
  // answered with one carrying the same code, as a conforming client must
  // (RFC 6455 5.5.1), so a server that waits for it can end the stream.
  close_result wait_close(ms timeout = default_timeout, bool answer = true);

  bool eof() const noexcept { return eof_; }
  int fd() const noexcept { return fd_; }
  // Half-closes (FIN) or closes the socket outright.
  void shutdown_write();
  void close_now();

 private:
  // Reads more bytes into buf_; false on timeout or end of stream.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int port_ = 0;
  std::string buf_;
  std::string key_;
  std::vector<std::string> pending_lines_;
  std::optional<frame> pending_close_;
  bool eof_ = false;
};

// Base64 of SHA-1(key + GUID): the Sec-WebSocket-Accept for `key`.
std::string websocket_accept(std::string_view key);

// Resident set size of a process, in KiB, from /proc/<pid>/status (0 if gone).
long vm_rss_kib(int pid);

}  // namespace roundtable::test
