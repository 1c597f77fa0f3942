// Raw-socket WebSocket client: frame encoding and decoding by hand, the HTTP
// upgrade as plain text. No Beast here on purpose: the point is to send what a
// conforming library never would.
#include "tests/support/raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <random>
#include <stdexcept>

namespace roundtable::test {

namespace {

using clock = std::chrono::steady_clock;

std::string base64(unsigned char const* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int const len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::mt19937& rng() {
  thread_local std::mt19937 r{std::random_device{}()};
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string websocket_accept(std::string_view key) {
  std::string const input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<unsigned char const*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

std::string encode_frame(frame_spec const& f) {
  std::string out;
  out += static_cast<char>((f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | (f.rsv2 ? 0x20 : 0) |
                           (f.rsv3 ? 0x10 : 0) | (f.opcode & 0x0F));
  std::uint64_t const len = f.declared_length.value_or(f.payload.size());
  auto form = f.form;
  if (form == length_form::minimal) {
    form = len < 126       ? length_form::bits7
           : len <= 0xFFFF ? length_form::bits16
                           : length_form::bits64;
  }
  unsigned char const mask_bit = f.masked ? 0x80 : 0;
  switch (form) {
    case length_form::bits7:
      out += static_cast<char>(mask_bit | (len & 0x7F));
      break;
    case length_form::bits16:
      out += static_cast<char>(mask_bit | 126);
      out += static_cast<char>((len >> 8) & 0xFF);
      out += static_cast<char>(len & 0xFF);
      break;
    default:
      out += static_cast<char>(mask_bit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((len >> shift) & 0xFF);
      break;
  }
  if (!f.masked) return out + f.payload;
  unsigned char key[4];
  for (auto& k : key) k = static_cast<unsigned char>(rng()() & 0xFF);
  out.append(reinterpret_cast<char const*>(key), 4);
  auto const start = out.size();
  out += f.payload;
  for (std::size_t i = 0; i < f.payload.size(); ++i)
    out[start + i] ^= static_cast<char>(key[i % 4]);
  return out;
}

frame_spec text_frame(std::string payload, bool fin) {
  frame_spec f;
  f.opcode = ws_op::text;
  f.fin = fin;
  f.payload = std::move(payload);
  return f;
}

frame_spec cont_frame(std::string payload, bool fin) {
  frame_spec f;
  f.opcode = ws_op::cont;
  f.fin = fin;
  f.payload = std::move(payload);
  return f;
}

frame_spec control_frame(std::uint8_t opcode, std::string payload) {
  frame_spec f;
  f.opcode = opcode;
  f.payload = std::move(payload);
  return f;
}

std::string close_payload(unsigned code, std::string_view reason) {
  std::string p;
  p += static_cast<char>((code >> 8) & 0xFF);
  p += static_cast<char>(code & 0xFF);
  p += reason;
  return p;
}

unsigned frame::close_code() const {
  if (payload.size() < 2) return 0;
  return (static_cast<unsigned>(static_cast<unsigned char>(payload[0])) << 8) |
         static_cast<unsigned char>(payload[1]);
}

std::string frame::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : "";
}

std::string http_response_head::header(std::string_view name) const {
  auto const want = lower(name) + ":";
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    auto const start = pos + 2;
    auto const end = head.find("\r\n", start);
    auto const line = head.substr(start, end == std::string::npos ? end : end - start);
    if (lower(line).rfind(want, 0) == 0) {
      auto v = line.substr(want.size());
      auto const first = v.find_first_not_of(' ');
      return first == std::string::npos ? std::string() : v.substr(first);
    }
    pos = end;
  }
  return {};
}

raw_ws::raw_ws(int port, int rcvbuf, char const* source) : port_(port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (source) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd_);
      throw std::runtime_error("bind to the source address failed");
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed");
  }
  unsigned char raw_key[16];
  for (auto& b : raw_key) b = static_cast<unsigned char>(rng()() & 0xFF);
  key_ = base64(raw_key, sizeof raw_key);
}

raw_ws::~raw_ws() {
  close_now();
}

void raw_ws::close_now() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  eof_ = true;
}

void raw_ws::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string raw_ws::upgrade_request(std::string_view path,
                                    std::vector<std::string> const& extra) const {
  std::string r = "GET " + std::string(path) + " HTTP/1.1\r\n";
  r += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  r += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  r += "Sec-WebSocket-Key: " + key_ + "\r\n";
  r += "Sec-WebSocket-Version: 13\r\n";
  for (auto const& h : extra) r += h + "\r\n";
  return r + "\r\n";
}

bool raw_ws::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    auto const n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_ws::fill(clock::time_point deadline) {
  if (eof_ || fd_ < 0) return false;
  auto const left = std::chrono::duration_cast<ms>(deadline - clock::now()).count();
  pollfd p{fd_, POLLIN, 0};
  int const r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left)));
  if (r <= 0) return false;
  char tmp[65536];
  auto const n = ::recv(fd_, tmp, sizeof tmp, 0);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return true;
    eof_ = true;  // FIN or a reset: either way the stream is over
    return false;
  }
  buf_.append(tmp, static_cast<std::size_t>(n));
  return true;
}

http_response_head raw_ws::http(std::string_view request, ms timeout) {
  http_response_head res;
  send_raw(request);
  auto const deadline = clock::now() + timeout;
  std::size_t end = std::string::npos;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return res;
  }
  res.head = buf_.substr(0, end + 2);
  buf_.erase(0, end + 4);
  // "HTTP/1.1 101 Switching Protocols"
  auto const sp = res.head.find(' ');
  if (sp != std::string::npos)
    res.status = static_cast<unsigned>(std::atoi(res.head.c_str() + sp + 1));
  if (res.status == 101) return res;  // frames follow; leave them in buf_
  auto const cl = res.header("content-length");
  std::size_t const want = cl.empty() ? 0 : static_cast<std::size_t>(std::stoul(cl));
  while (buf_.size() < want && fill(deadline)) {
  }
  res.body = buf_.substr(0, std::min(want, buf_.size()));
  buf_.erase(0, res.body.size());
  return res;
}

http_response_head raw_ws::handshake(std::vector<std::string> const& extra, std::string_view path) {
  auto res = http(upgrade_request(path, extra));
  if (res.status == 101 && res.header("sec-websocket-accept") != websocket_accept(key_)) {
    throw std::runtime_error("wrong Sec-WebSocket-Accept in:\n" + res.head);
  }
  return res;
}

std::optional<frame> raw_ws::read_frame(ms timeout) {
  auto const deadline = clock::now() + timeout;
  auto need = [&](std::size_t n) {
    while (buf_.size() < n) {
      if (!fill(deadline)) return false;
    }
    return true;
  };
  if (!need(2)) return std::nullopt;
  auto const b0 = static_cast<unsigned char>(buf_[0]);
  auto const b1 = static_cast<unsigned char>(buf_[1]);
  frame f;
  f.fin = b0 & 0x80;
  f.rsv1 = b0 & 0x40;
  f.rsv2 = b0 & 0x20;
  f.rsv3 = b0 & 0x10;
  f.opcode = b0 & 0x0F;
  f.masked = b1 & 0x80;
  std::uint64_t len = b1 & 0x7F;
  std::size_t header = 2;
  if (len == 126 || len == 127) {
    std::size_t const bytes = len == 126 ? 2 : 8;
    if (!need(2 + bytes)) return std::nullopt;
    len = 0;
    for (std::size_t i = 0; i < bytes; ++i)
      len = (len << 8) | static_cast<unsigned char>(buf_[2 + i]);
    header += bytes;
  }
  if (len > (std::uint64_t{1} << 32)) throw std::runtime_error("server frame too large to read");
  unsigned char key[4] = {0, 0, 0, 0};
  if (f.masked) {
    if (!need(header + 4)) return std::nullopt;
    std::copy_n(buf_.data() + header, 4, reinterpret_cast<char*>(key));
    header += 4;
  }
  if (!need(header + len)) return std::nullopt;
  f.payload = buf_.substr(header, len);
  if (f.masked) {
    for (std::size_t i = 0; i < f.payload.size(); ++i)
      f.payload[i] ^= static_cast<char>(key[i % 4]);
  }
  buf_.erase(0, header + len);
  return f;
}

std::optional<std::string> raw_ws::read_message(ms timeout) {
  auto const deadline = clock::now() + timeout;
  std::string message;
  bool in_message = false;
  while (!pending_close_) {
    auto const left = std::chrono::duration_cast<ms>(deadline - clock::now());
    auto f = read_frame(std::max(left, ms(0)));
    if (!f) return std::nullopt;
    if (f->opcode == ws_op::close) {
      pending_close_ = std::move(f);
      return std::nullopt;
    }
    if (f->opcode == ws_op::ping || f->opcode == ws_op::pong) continue;
    if (!in_message && f->opcode == ws_op::cont) {
      throw std::runtime_error("server sent a continuation without a message");
    }
    in_message = true;
    message += f->payload;
    if (f->fin) return message;
  }
  return std::nullopt;
}

std::optional<std::string> raw_ws::read_line(ms timeout) {
  auto const deadline = clock::now() + timeout;
  while (pending_lines_.empty()) {
    auto const left = std::chrono::duration_cast<ms>(deadline - clock::now());
    auto m = read_message(std::max(left, ms(0)));
    if (!m) return std::nullopt;
    std::size_t start = 0;
    while (start <= m->size()) {
      auto nl = m->find('\n', start);
      if (nl == std::string::npos) nl = m->size();
      if (nl > start) pending_lines_.push_back(m->substr(start, nl - start));
      start = nl + 1;
    }
  }
  auto line = std::move(pending_lines_.front());
  pending_lines_.erase(pending_lines_.begin());
  return line;
}

close_result raw_ws::wait_close(ms timeout, bool answer) {
  auto const deadline = clock::now() + timeout;
  close_result r;
  for (auto& l : pending_lines_) r.texts.push_back(std::move(l));
  pending_lines_.clear();
  while (!pending_close_ && !eof_) {
    auto const left = std::chrono::duration_cast<ms>(deadline - clock::now());
    if (left <= ms(0)) break;
    auto m = read_message(left);
    if (m) r.texts.push_back(std::move(*m));
  }
  if (pending_close_) {
    r.got_close_frame = true;
    r.code = pending_close_->close_code();
    r.reason = pending_close_->close_reason();
    if (answer) send(control_frame(ws_op::close, close_payload(r.code == 0 ? 1000 : r.code)));
    // After its close frame the server ends the TCP stream; wait for that too.
    while (!eof_ && clock::now() < deadline) {
      if (!fill(deadline)) break;
    }
  }
  r.eof = eof_;
  // The server has ended its side; Beast's teardown waits for ours (RFC 6455 7.1.1:
  // the client closes once it sees the server's FIN).
  if (eof_) close_now();
  r.timed_out = !r.got_close_frame && !r.eof;
  return r;
}

long vm_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

}  // namespace roundtable::test
