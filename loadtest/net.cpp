// The load generator's event-loop threads and its WebSocket client, written on a plain
// Asio socket rather than Beast's stream: the generator must cost less than the servers
// it measures. One read takes every byte the kernel holds (many frames per syscall) into
// a buffer that grows only while a connection is busy, frames are walked in place, and
// outgoing frames are masked into one buffer that leaves with one write while the
// previous one is in flight. TCP_NODELAY, no compression, no per-operation timers.
// wss:// is the same connection over Asio's OpenSSL stream (a read there yields one TLS
// record, up to 16 KB, whose frames are walked the same way): the connection is a template
// on its stream, so the plain path keeps its direct socket calls and no per-read branch.
#include "loadtest/net.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace loadtest {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using tls_stream = ssl::stream<tcp::socket>;

namespace {

// A connection's read buffer starts this small (idle connections stay cheap) and
// doubles while reads fill it, up to the largest message plus a frame header.
constexpr std::size_t first_read_bytes = 4096;
constexpr std::size_t max_message_bytes = 16u << 20;

// Stream is tcp::socket (ws://) or tls_stream (wss://).
template <class Stream>
class ws_connection : public ws_link, public std::enable_shared_from_this<ws_connection<Stream>> {
  static constexpr bool tls = std::is_same_v<Stream, tls_stream>;

 public:
  // stream_args: the io_context, then for wss:// the ssl::context.
  template <class... StreamArgs>
  explicit ws_connection(ws_handler* handler, StreamArgs&... stream_args)
      : socket_(stream_args...),
        handler_(handler),
        mask_state_(reinterpret_cast<std::uintptr_t>(this)) {}

  Stream& stream() { return socket_; }

  void start(tcp::endpoint ep, std::string host, std::string target) {
    socket_.lowest_layer().async_connect(
        ep, [self = this->shared_from_this(), host = std::move(host),
             target = std::move(target)](error_code ec) { self->on_connect(ec, host, target); });
  }

  void send(std::string text) override {
    if (done_ || closing_) return;
    append_frame(0x1, text);
    ++queued_;
  }

  void close() override {
    if (done_ || closing_) return;
    closing_ = true;
    if (!open_) return finish("closed");
    // 1000, normal closure; the server's close frame ends the connection.
    append_frame(0x8, std::string_view("\x03\xe8", 2));
  }

  std::size_t queued() const override { return queued_; }

 private:
  void on_connect(error_code ec, std::string host, std::string target) {
    if (ec) return finish("connect: " + ec.message());
    socket_.lowest_layer().set_option(tcp::no_delay(true), ec);
    if constexpr (tls) {
      socket_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this(), host = std::move(host),
                               target = std::move(target)](error_code e) {
                                if (e) return self->finish("tls handshake: " + e.message());
                                self->upgrade(host, target);
                              });
    } else {
      upgrade(host, target);
    }
  }

  // Sends the WebSocket upgrade request and starts reading its response.
  void upgrade(std::string const& host, std::string const& target) {
    // The key is fixed: the generator trusts the server it measures, and the 101 status
    // is what it checks.
    inflight_ = "GET " + target + " HTTP/1.1\r\nHost: " + host +
                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "User-Agent: roundtable-loadgen\r\n\r\n";
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(inflight_),
        [self = this->shared_from_this()](error_code e, std::size_t) { self->on_write(e); });
    do_read();
  }

  void do_read() {
    if (in_.size() - have_ < first_read_bytes / 2) {
      in_.resize(std::max(first_read_bytes, std::min(2 * in_.size(), max_message_bytes + 14)));
    }
    socket_.async_read_some(
        asio::buffer(in_.data() + have_, in_.size() - have_),
        [self = this->shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    if (ec) return finish(closing_ ? "closed" : "read: " + ec.message());
    have_ += n;
    std::size_t used = open_ ? 0 : handshake();
    if (!done_ && open_) used += frames(in_.data() + used, have_ - used);
    if (done_) return;
    if (!open_ && have_ > 16384) return finish("handshake: response too long");
    std::memmove(in_.data(), in_.data() + used, have_ - used);
    have_ -= used;
    if (have_ >= max_message_bytes + 14) return finish("read: message over the limit");
    do_read();
  }

  // Reads the HTTP response head; returns the bytes it used (0 until it is complete).
  std::size_t handshake() {
    std::string_view const data(in_.data(), have_);
    auto const end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return 0;
    if (!data.starts_with("HTTP/1.1 101")) {
      finish("handshake: " + std::string(data.substr(0, data.find('\r'))));
      return 0;
    }
    open_ = true;
    handler_->on_open();
    if (!writing_ && !out_.empty()) do_write();
    return end + 4;
  }

  // Handles every complete frame in [p, p+n); returns the bytes used.
  std::size_t frames(char const* p, std::size_t n) {
    std::size_t used = 0;
    while (!done_) {
      auto const* b = reinterpret_cast<unsigned char const*>(p + used);
      std::size_t const avail = n - used;
      if (avail < 2) break;
      std::size_t len = b[1] & 0x7f;
      std::size_t head = 2;
      if (len == 126) {
        if (avail < 4) break;
        len = (std::size_t{b[2]} << 8) | b[3];
        head = 4;
      } else if (len == 127) {
        if (avail < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
        head = 10;
      }
      if ((b[1] & 0x80) != 0 || len > max_message_bytes) {
        finish("read: bad frame from the server");
        break;
      }
      if (avail < head + len) break;
      used += head + len;
      on_frame(b[0], std::string_view(reinterpret_cast<char const*>(b + head), len));
    }
    return used;
  }

  void on_frame(unsigned char b0, std::string_view payload) {
    bool const fin = (b0 & 0x80) != 0;
    switch (b0 & 0x0f) {
      case 0x0:  // continuation
      case 0x1:
        if (fin && partial_.empty()) return handler_->on_text(payload);
        partial_.append(payload);
        if (fin) {
          handler_->on_text(partial_);
          partial_.clear();
        }
        return;
      case 0x8:
        return finish("closed");
      case 0x9:
        append_frame(0xA, payload);
        return;
      case 0xA:
        return;
      default:
        finish("read: unexpected frame opcode");
    }
  }

  // Queues one masked client frame; it leaves with the next write.
  void append_frame(unsigned char opcode, std::string_view payload) {
    auto const n = payload.size();
    out_.push_back(static_cast<char>(0x80 | opcode));
    if (n < 126) {
      out_.push_back(static_cast<char>(0x80 | n));
    } else if (n < 65536) {
      out_.push_back(static_cast<char>(0x80 | 126));
      out_.push_back(static_cast<char>(n >> 8));
      out_.push_back(static_cast<char>(n & 0xff));
    } else {
      out_.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    }
    // xorshift: the mask only has to vary, not to be secret, between a trusted pair.
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 7;
    mask_state_ ^= mask_state_ << 17;
    char mask[4];
    std::memcpy(mask, &mask_state_, 4);
    out_.append(mask, 4);
    auto const at = out_.size();
    out_.append(payload);
    for (std::size_t i = 0; i < n; ++i)
      out_[at + i] = static_cast<char>(out_[at + i] ^ mask[i & 3]);
    if (open_ && !writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    inflight_.swap(out_);
    inflight_queued_ = queued_;
    asio::async_write(
        socket_, asio::buffer(inflight_),
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(error_code ec) {
    writing_ = false;
    if (ec) return finish("write: " + ec.message());
    inflight_.clear();
    queued_ -= inflight_queued_;
    inflight_queued_ = 0;
    if (open_ && !out_.empty()) do_write();
  }

  void finish(std::string why) {
    if (done_) return;
    done_ = true;
    open_ = false;
    out_.clear();
    error_code ec;
    socket_.lowest_layer().close(ec);
    handler_->on_closed(why);
  }

  Stream socket_;
  ws_handler* handler_;
  std::vector<char> in_;
  std::size_t have_ = 0;
  std::string partial_;     // a fragmented message so far
  std::string out_;         // frames queued while a write is in flight
  std::string inflight_;    // the frames being written
  std::size_t queued_ = 0;  // text messages not yet written
  std::size_t inflight_queued_ = 0;
  std::uint64_t mask_state_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
};

}  // namespace

struct loop_pool::impl {
  struct loop {
    asio::io_context ioc{1};  // one thread per context: Asio may skip its locking
    asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  };
  std::vector<std::unique_ptr<loop>> loops;
  std::vector<std::thread> threads;
  std::optional<ssl::context> tls;  // shared by every wss:// connection; read-only once set
  std::string tls_name;
};

namespace {

// TLS 1.2 or later, the peer verified against ca_file and `name`.
void configure_tls(ssl::context& ctx, tls_client const& tls) {
  error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx.load_verify_file(tls.ca_file, ec);
  if (ec) throw std::runtime_error("--tls-ca " + tls.ca_file + ": " + ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_verify_callback(ssl::host_name_verification(tls.name));
}

// Starts a connection on its loop; from here on only that loop's thread touches it.
template <class Stream>
std::shared_ptr<ws_link> launch(asio::io_context& ioc, std::shared_ptr<ws_connection<Stream>> conn,
                                tcp::endpoint ep, std::string host, std::string target) {
  asio::post(ioc, [conn, ep, h = std::move(host), tg = std::move(target)]() mutable {
    conn->start(ep, std::move(h), std::move(tg));
  });
  return conn;
}

}  // namespace

loop_pool::loop_pool(int threads, std::optional<tls_client> tls) : impl_(std::make_unique<impl>()) {
  if (tls) {
    configure_tls(impl_->tls.emplace(ssl::context::tls_client), *tls);
    impl_->tls_name = tls->name;
  }
  for (int i = 0; i < threads; ++i) impl_->loops.push_back(std::make_unique<impl::loop>());
  for (auto& l : impl_->loops) {
    impl_->threads.emplace_back([ctx = &l->ioc] { ctx->run(); });
  }
}

loop_pool::~loop_pool() {
  stop();
  // Destroying the contexts destroys the pending handlers and with them the connections.
  impl_->loops.clear();
}

int loop_pool::size() const {
  return static_cast<int>(impl_->loops.size());
}

void loop_pool::post(int t, std::function<void()> fn) {
  asio::post(impl_->loops[t]->ioc, std::move(fn));
}

void loop_pool::at(int t, clock::time_point when, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->loops[t]->ioc, when);
  timer->async_wait([timer, fn = std::move(fn)](error_code ec) {
    if (!ec) fn();
  });
}

std::shared_ptr<ws_link> loop_pool::connect(int t, std::string const& host, std::uint16_t port,
                                            std::string target, ws_handler* handler) {
  auto& ioc = impl_->loops[t]->ioc;
  tcp::endpoint ep(asio::ip::make_address(host), port);
  std::string host_header = host + ":" + std::to_string(port);
  if (!impl_->tls) {
    return launch(ioc, std::make_shared<ws_connection<tcp::socket>>(handler, ioc), ep,
                  std::move(host_header), std::move(target));
  }
  auto conn = std::make_shared<ws_connection<tls_stream>>(handler, ioc, *impl_->tls);
  // SNI carries DNS names only (RFC 6066); an address is checked against the certificate.
  error_code ec;
  asio::ip::make_address(impl_->tls_name, ec);
  if (ec) SSL_set_tlsext_host_name(conn->stream().native_handle(), impl_->tls_name.c_str());
  return launch(ioc, std::move(conn), ep, std::move(host_header), std::move(target));
}

void loop_pool::stop() {
  if (impl_->threads.empty()) return;
  for (auto& l : impl_->loops) l->ioc.stop();
  for (auto& th : impl_->threads) th.join();
  impl_->threads.clear();
  // The contexts stay until the destructor: connections still referenced elsewhere keep
  // sockets that need their context alive.
}

}  // namespace loadtest
