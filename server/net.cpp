// Beast transport: listener, HTTP session (static files, API, upgrade) and the
// WebSocket sessions, each the `client` with its socket; over plain TCP or,
// with --tls-cert, over TLS on the same port. Kept to this one file: each
// Beast websocket translation unit costs ~30 s and ~0.9 GB to build.
//
// Over plain TCP, Beast does the HTTP upgrade only. Then the session owns the
// socket: it reads frames with protocol::ws_frame_reader, answers pings and
// closes, and writes its data frames with headers of its own, each at the end
// of the loop turn with one non-blocking send (Beast's write operation per
// message cost more than the frame). An idle connection then holds no buffer
// and no timer: it waits for readability without a buffer (bytes are read
// into one buffer per thread), and one sweep per worker does the keep-alive
// pings and the idle timeout for all of its connections. Beast's websocket
// stream held 2.5 KB per connection for the same. Over TLS, Beast's stream
// does everything.
#include "server/net.hpp"

#include "protocol/ws_frames.hpp"
#include "server/client.hpp"
#include "server/http_routes.hpp"
#include "server/log.hpp"
#include "server/node.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace roundtable {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// Quiet on the errors every closing connection produces.
void fail(beast::error_code ec, char const* what) {
  if (ec == asio::error::operation_aborted || ec == websocket::error::closed ||
      ec == beast::error::timeout || ec == asio::error::eof || ec == http::error::end_of_stream ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == ssl::error::stream_truncated) {
    return;
  }
  log::debug("connection error", {{"where", what}, {"error", ec.message()}});
}

// The client's address: the TCP peer's, or with --trust-proxy the address the
// proxy appended last to X-Forwarded-For (entries before it are what the
// client itself sent, and may be forged). Not an address: the peer's.
std::string client_address(http::request<http::string_body> const& req, std::string const& peer,
                           bool trust_proxy) {
  if (!trust_proxy) return peer;
  std::string_view header;
  auto const [first, last] = req.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) header = it->value();
  auto const comma = header.rfind(',');
  auto entry = comma == std::string_view::npos ? header : header.substr(comma + 1);
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  beast::error_code ec;
  auto const address = asio::ip::make_address(entry, ec);
  return ec ? peer : address.to_string();
}

// The WebSocket's socket names its io_context's executor type: the type-erased
// any_io_executor of beast::tcp_stream was copied on every operation of the
// write path.
using ws_socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

// The upgraded connection's descriptor, moved onto a ws_socket of worker `w`.
ws_socket adopt(worker& w, beast::tcp_stream&& stream) {
  auto from = stream.release_socket();
  beast::error_code ec;
  auto const protocol = from.local_endpoint(ec).protocol();
  ws_socket to(w.ioc.get_executor());
  if (ec) return to;  // the peer is gone: the handshake fails on a closed socket
  auto const fd = from.release(ec);
  if (!ec) to.assign(protocol, fd, ec);
  return to;
}

// Where a worker thread's plain WebSocket sessions read their bytes: one
// buffer per thread, not per connection (what is left of a read while the
// session may not read on is kept by that session).
std::array<char, 64 * 1024>& read_buffer() {
  thread_local std::array<char, 64 * 1024> buffer;
  return buffer;
}

// A plain WebSocket's socket, on which one write goes at a time and each goes
// whole: data frames, pongs, pings and the close frame may be asked for
// while another is under way, and a write that went out in part must not let
// another's bytes land inside its frame. A write asked for while another is
// under way waits on a timer (made on first need) that the end of that write
// cancels: the waiting handler sits in Asio's queue, never in this object, so
// none keeps a session alive past the io_context.
class serial_socket {
 public:
  explicit serial_socket(ws_socket s) : sock_(std::move(s)) {
    beast::error_code ec;
    sock_.non_blocking(true, ec);  // send and read_some return would_block
  }

  ws_socket& socket() noexcept { return sock_; }

  // When no write is under way or waiting, sent at once, and true if the
  // socket took all of it (`done` is not called). Otherwise what is left goes
  // out whole after the writes before it and `done(ec, n)` runs then. `b`
  // must stay valid until then.
  template <class Handler>
  bool write(std::array<asio::const_buffer, 2> b, Handler&& done) {
    if (!busy_ && waiting_ == 0) {
      beast::error_code ec;
      auto const n = sock_.send(b, 0, ec);
      if (!ec && n == asio::buffer_size(b)) return true;
      // Left for write_whole: would_block waits for room, an error fails there.
      auto const first = std::min(n, b[0].size());
      b[0] += first;
      b[1] += n - first;
    }
    write_whole(b, std::forward<Handler>(done));
    return false;
  }

 private:
  using timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>,
                                           ws_socket::executor_type>;

  template <class Buffers, class Handler>
  void write_whole(Buffers const& b, Handler&& handler) {
    if (busy_ || waiting_ != 0) return wait(b, std::forward<Handler>(handler));
    start(b, std::forward<Handler>(handler));
  }

  template <class Buffers, class Handler>
  void start(Buffers const& b, Handler&& handler) {
    busy_ = true;
    asio::async_write(
        sock_, b,
        [this, h = std::forward<Handler>(handler)](beast::error_code ec, std::size_t n) mutable {
          busy_ = false;
          if (waiting_ != 0) wake_->cancel();
          std::move(h)(ec, n);
        });
  }

  // Woken in the order they waited: the first starts, the others wait again.
  template <class Buffers, class Handler>
  void wait(Buffers const& b, Handler&& handler) {
    if (!wake_) wake_ = std::make_unique<timer>(sock_.get_executor(), timer::time_point::max());
    ++waiting_;
    wake_->async_wait([this, b, h = std::forward<Handler>(handler)](beast::error_code) mutable {
      --waiting_;
      if (busy_) return wait(b, std::move(h));
      start(b, std::move(h));
    });
  }

  ws_socket sock_;
  bool busy_ = false;     // a write is under way
  unsigned waiting_ = 0;  // writes waiting for it
  std::unique_ptr<timer> wake_;
};

// Allocates exactly what is asked. Asio recycles operation memory per thread
// for handlers with the default allocator: a new operation gets any cached
// block big enough, e.g. the 520 bytes an HTTP read left behind, and an idle
// connection's wait held one such block for as long as it was idle.
template <class T>
struct exact_size_allocator {
  using value_type = T;
  exact_size_allocator() noexcept = default;
  template <class U>
  exact_size_allocator(exact_size_allocator<U> const&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(exact_size_allocator<U> const&) const noexcept {
    return true;
  }
};

// What a closing connection needs, made when it starts closing: an open
// connection holds none of it.
struct closing_state {
  closing_state(ws_socket::executor_type ex, std::uint16_t c, std::string_view r)
      : code(c), reason(r), cut_off(ex, std::chrono::seconds(5)) {}
  std::uint16_t code;
  bool sent = false;         // our close frame is on its way
  bool peer_closed = false;  // the peer's close came: nothing but ours goes out
  std::string reason;
  // A peer that reads nothing never lets the close frame out: cut it off.
  asio::basic_waitable_timer<std::chrono::steady_clock,
                             asio::wait_traits<std::chrono::steady_clock>, ws_socket::executor_type>
      cut_off;
};

// A ws:// connection. Beast's websocket stream does the upgrade (its checks of
// the request and its 101 response) and is dropped once that is done; from
// then on the session reads and writes the socket itself.
class plain_ws_session final : public client {
 public:
  plain_ws_session(node& n, worker& w, std::string const* address, ws_socket s)
      : client(n, w, address),
        handshake_(std::make_unique<websocket::stream<ws_socket>>(std::move(s))),
        sock_(ws_socket(w.ioc.get_executor())) {}

  void run(http::request<http::string_body> req) {
    auto& ws = *handshake_;
    ws.set_option(websocket::stream_base::timeout{node_.opts().handshake_timeout,
                                                  websocket::stream_base::none(), false});
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "roundtable"); }));
    ws.async_accept(req, [self = self()](beast::error_code ec) { self->on_accept(ec); });
  }

  // The keep-alive Beast's timeout::suggested gave (see listener::impl's
  // sweep, every half idle timeout): a connection silent for half the idle
  // timeout gets a ping; silent for the next half too, it is closed. Only
  // while waiting for the peer: one whose reading waits on its own ops is not
  // idle.
  void keep_alive_tick() override {
    if ((!waiting_read_ && !pong_pending_) || closing()) {
      quiet_ticks_ = 0;
      return;
    }
    ++quiet_ticks_;
    if (quiet_ticks_ == 2)
      send_control(protocol::control_frame(protocol::ws_opcode::ping, {}), control::ping);
    if (quiet_ticks_ >= 3) finish();
  }

 private:
  std::shared_ptr<plain_ws_session> self() {
    return std::static_pointer_cast<plain_ws_session>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      fail(ec, "accept");
      return finish();
    }
    sock_ = serial_socket(std::move(handshake_->next_layer()));
    handshake_.reset();
    if (closing_state_) return do_close();  // the server began shutting down meanwhile
    do_read();
  }

  // Reads on: first what was read while the session could not take it.
  void do_read() {
    if (closing() || waiting_read_ || pong_pending_) return;
    if (unread_) {
      auto const held = std::move(unread_);
      if (!consume(held->data(), held->size())) return;
    }
    wait_readable();
  }

  // Waits without a buffer: an idle connection holds none. The wait is what
  // an idle connection keeps pending, so it is allocated at its own size
  // (see exact_size_allocator).
  void wait_readable() {
    if (waiting_read_) return;
    waiting_read_ = true;
    sock_.socket().async_wait(
        asio::socket_base::wait_read,
        asio::bind_allocator(exact_size_allocator<void>(),
                             [self = self()](beast::error_code ec) { self->on_readable(ec); }));
  }

  void on_readable(beast::error_code ec) {
    waiting_read_ = false;
    auto& buffer = read_buffer();
    while (!ec) {
      auto const n = sock_.socket().read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) return wait_readable();
      if (ec) break;
      quiet_ticks_ = 0;
      // Once closing, bytes are read only to find the end of the stream.
      if (!closing() && !consume(buffer.data(), n) && !closing()) return;  // resume_read() goes on
      if (waiting_read_ || n < buffer.size()) return wait_readable();
    }
    fail(ec, "read");
    finish();
  }

  void resume_read() override { do_read(); }

  // Reads the frames in `data`; false when reading must stop: closing, or a
  // message's op must complete first (the rest waits in unread_).
  bool consume(char* data, std::size_t size) {
    std::size_t at = 0;
    while (at < size) {
      auto const r = reader_.feed(data + at, size - at);
      at += r.used;
      if (r.what == protocol::ws_event::more || on_frame(r)) continue;
      if (at < size && !closing()) unread_ = std::make_unique<std::string>(data + at, size - at);
      return false;
    }
    return true;
  }

  // One message or control frame; false when reading must stop.
  bool on_frame(protocol::ws_result const& r) {
    using protocol::ws_event;
    auto const payload = r.payload();
    switch (r.what) {
      case ws_event::text:
        if (!on_message(payload)) return false;
        flush_now();  // the reply leaves before the next frame is read
        return !closing();
      case ws_event::ping:
        // As with Beast's stream, reading waits while a pong is not out: a
        // peer that pings and never reads cannot pile pongs up here.
        if (send_control(protocol::control_frame(protocol::ws_opcode::pong, payload),
                         control::pong))
          return true;
        pong_pending_ = true;
        return false;
      case ws_event::close:
        // 5.5.1: answered with the same code and reason (1000 for none), and
        // no more data frames: what is queued is dropped.
        close(r.code == 1005 ? protocol::close_code::normal : r.code,
              payload.size() >= 2 ? payload.substr(2) : payload);
        if (closing_state_) closing_state_->peer_closed = true;
        return false;
      case ws_event::fail:
        close(r.code, r.reason);
        return false;
      default:
        return true;  // a pong
    }
  }

  // The message being written and its frame header: a session holds one only
  // while a write is out, so an idle one holds none. Each worker thread keeps
  // one spare: a connection that writes now and then allocates none.
  struct write_block {
    outgoing message;
    std::array<unsigned char, 10> header{};
  };
  static std::unique_ptr<write_block>& spare_block() {
    thread_local std::unique_ptr<write_block> spare;
    return spare;
  }

  // One message per write: everything queued since the last one, joined by
  // '\n', in one contiguous buffer, after a frame header of our own.
  void start_write() override {
    if (out_ || close_sent() || handshake_ || queue_empty()) return;
    out_ = std::move(spare_block());
    if (!out_) out_ = std::make_unique<write_block>();
    take_queue(out_->message);
    auto const& bytes = out_->message.bytes;
    auto const head =
        protocol::write_frame_header(out_->header, protocol::ws_opcode::text, bytes.size());
    std::array<asio::const_buffer, 2> const frame{asio::const_buffer(out_->header.data(), head),
                                                  asio::buffer(bytes)};
    auto done = [self = self()](beast::error_code ec, std::size_t) { self->on_write(ec); };
    if (sock_.write(frame, std::move(done))) on_write({});
  }

  void on_write(beast::error_code ec) {
    auto const bytes = out_->message.bytes.size();
    written(out_->message);
    if (!spare_block()) spare_block() = std::move(out_);
    out_.reset();
    if (ec) {
      fail(ec, "write");
      return finish();
    }
    worker_.counters.frames_out.fetch_add(1, std::memory_order_relaxed);
    worker_.counters.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
    if (!closing_state_) return write_later();
    if (queue_empty() || closing_state_->peer_closed) return do_close();
    start_write();
  }

  // What a control frame is for: a keep-alive ping, a pong (reading waits
  // until it is out) or the close frame.
  enum class control : std::uint8_t { ping, pong, close };

  // A control frame, after the writes asked for before it; its bytes live as
  // long as its write. True when the socket took it at once.
  bool send_control(std::string frame, control kind) {
    auto bytes = std::make_unique<std::string>(std::move(frame));
    std::array<asio::const_buffer, 2> const b{asio::buffer(*bytes), asio::const_buffer()};
    auto done = [self = self(), bytes = std::move(bytes), kind](beast::error_code ec, std::size_t) {
      self->control_sent(kind, ec);
    };
    if (!sock_.write(b, std::move(done))) return false;
    if (kind == control::close) after_close_sent({});
    return true;
  }

  // A control frame that waited went out (or failed).
  void control_sent(control kind, beast::error_code ec) {
    if (kind == control::close) return after_close_sent(ec);
    if (kind != control::pong) return;
    pong_pending_ = false;
    if (ec) {
      fail(ec, "write");
      return finish();
    }
    do_read();
  }

  void close_transport(unsigned short code, std::string_view reason) override {
    closing_state_ = std::make_unique<closing_state>(worker_.ioc.get_executor(), code, reason);
    closing_state_->cut_off.async_wait([self = self()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    if (!out_ && !handshake_) do_close();
  }

  bool close_sent() const noexcept { return closing_state_ && closing_state_->sent; }

  void do_close() {
    if (closing_state_->sent) return;
    closing_state_->sent = true;
    send_control(protocol::close_frame(closing_state_->code, closing_state_->reason),
                 control::close);
  }

  // Our close frame is out: the peer answers with its own and ends the
  // stream (7.1.1: the server ends TCP first, here its sending half). What
  // comes meanwhile is read and dropped; the cut-off bounds the wait.
  void after_close_sent(beast::error_code ec) {
    if (ec) return finish();
    sock_.socket().shutdown(tcp::socket::shutdown_send, ec);
    wait_readable();
  }

  // The end, whatever the cause: the socket closes (pending operations end
  // with operation_aborted) and the client leaves its rooms.
  void finish() {
    if (closing_state_) closing_state_->cut_off.cancel();
    beast::error_code ec;
    if (handshake_) handshake_->next_layer().close(ec);
    sock_.socket().close(ec);
    on_closed();
  }

  // First, in the tail padding of client: every idle connection has these.
  bool waiting_read_ = false;     // for the socket to be readable
  bool pong_pending_ = false;     // reading waits for it
  std::uint8_t quiet_ticks_ = 0;  // keep-alive sweeps since bytes last came
  std::unique_ptr<websocket::stream<ws_socket>> handshake_;  // until the upgrade is done
  serial_socket sock_;
  protocol::ws_frame_reader reader_;
  std::unique_ptr<std::string> unread_;  // read while the session could not take it
  std::unique_ptr<write_block> out_;     // while a write is out
  std::unique_ptr<closing_state> closing_state_;
};
// A wss:// connection: Beast's websocket stream over TLS (whose state cannot
// move to another socket type) does the handshake, reading, control frames
// and writing, with its own timeouts. `keep` holds the TLS context the
// stream was made with.
class tls_ws_session final : public client {
 public:
  tls_ws_session(node& n, worker& w, std::string const* address, tls_stream&& next,
                 std::shared_ptr<void> keep)
      : client(n, w, address), ws_(std::move(next)), keep_(std::move(keep)) {}

  void run(http::request<http::string_body> req) {
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::server);
    t.handshake_timeout = node_.opts().handshake_timeout;
    t.idle_timeout = node_.opts().idle_timeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "roundtable"); }));
    ws_.read_message_max(protocol::limits::message_bytes);
    ws_.auto_fragment(false);
    ws_.async_accept(req, [self = self()](beast::error_code ec) { self->on_accept(ec); });
  }

 private:
  std::shared_ptr<tls_ws_session> self() {
    return std::static_pointer_cast<tls_ws_session>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      fail(ec, "accept");
      on_closed();
      return;
    }
    do_read();
  }

  // Beast's message read sizes its buffer (1,536 bytes) as it starts, and an
  // idle connection's read is always started. So when the socket holds no
  // bytes, the first byte of the next message is read alone and the buffer is
  // made once a message is arriving. A connection with bytes waiting reads
  // whole messages: the extra read costs a post per message, and a publisher
  // under load then got fewer of its messages into each turn's flush.
  void do_read() {
    if (closing()) return;
    if (socket_bytes() > 0) {
      ws_.async_read(buffer_,
                     [self = self()](beast::error_code e, std::size_t) { self->on_read(e); });
      return;
    }
    ws_.async_read_some(
        asio::buffer(&first_byte_, 1),
        [self = self()](beast::error_code e, std::size_t n) { self->on_first_byte(e, n); });
  }

  // What the kernel holds for this connection (encrypted bytes).
  std::size_t socket_bytes() {
    beast::error_code ec;
    return beast::get_lowest_layer(ws_).socket().available(ec);
  }

  void on_first_byte(beast::error_code ec, std::size_t n) {
    buffer_.commit(asio::buffer_copy(buffer_.prepare(n), asio::buffer(&first_byte_, n)));
    if (ec || ws_.is_message_done()) return on_read(ec);
    ws_.async_read(buffer_,
                   [self = self()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      // Beast has already sent the close frame for frame-level faults (1009
      // over read_message_max, 1007 invalid UTF-8, 1002 protocol errors).
      fail(ec, "read");
      on_closed();
      return;
    }
    if (!ws_.got_text()) {
      buffer_.consume(buffer_.size());
      close(protocol::close_code::unsupported, "binary frames are not supported");
      return;
    }
    auto const data = buffer_.cdata();
    bool const done =
        on_message(std::string_view(static_cast<char const*>(data.data()), data.size()));
    // Freed between messages: most connections are idle most of the time, and
    // a malloc per message read is cheap beside the deliveries it causes.
    buffer_.clear();
    buffer_.shrink_to_fit();
    if (done) {
      flush_now();
      do_read();
    }
  }

  void resume_read() override { do_read(); }

  // One message per write: everything queued since the last one, joined by
  // '\n', in one contiguous buffer.
  void start_write() override {
    if (writing_ || close_sent_ || queue_empty()) return;
    take_queue(inflight_);
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(inflight_.bytes),
                    [self = self()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    auto const bytes = inflight_.bytes.size();
    written(inflight_);
    if (ec) {
      fail(ec, "write");
      on_closed();
      return;
    }
    worker_.counters.frames_out.fetch_add(1, std::memory_order_relaxed);
    worker_.counters.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
    if (close_code_ && queue_empty()) {
      do_close();
    } else if (close_code_) {
      start_write();
    } else {
      write_later();
    }
  }

  void close_transport(unsigned short code, std::string_view reason) override {
    close_code_ = code;
    close_reason_ = reason;
    // A peer that reads nothing never lets the close frame out: cut it off.
    // (Made here: an open connection holds no timer of its own.)
    close_timer_.emplace(ws_.get_executor(), std::chrono::seconds(5));
    close_timer_->async_wait([self = self()](beast::error_code ec) {
      if (!ec) {
        beast::get_lowest_layer(self->ws_).close();
        self->on_closed();
      }
    });
    if (!writing_) do_close();
  }

  void do_close() {
    if (close_sent_) return;
    close_sent_ = true;
    websocket::close_reason cr(close_code_);
    cr.reason = close_reason_;
    ws_.async_close(cr, [self = self()](beast::error_code ec) {
      fail(ec, "close");
      if (self->close_timer_) self->close_timer_->cancel();
      self->on_closed();
    });
  }

  websocket::stream<tls_stream> ws_;
  std::shared_ptr<void> keep_;
  beast::flat_buffer buffer_;
  char first_byte_ = 0;
  outgoing inflight_;  // the message being written
  bool writing_ = false;
  bool close_sent_ = false;
  unsigned short close_code_ = 0;
  std::string close_reason_;
  std::optional<asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>,
                                           tls_stream::executor_type>>
      close_timer_;
};

// `Stream` is a beast::tcp_stream, or a tls_stream made with the context `tls`.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

 public:
  // `pending` has counted this socket for the peer `address` (none behind a
  // trusted proxy); the session gives it back when it ends, the upgraded
  // connection being counted by the node under its client address.
  http_session(node& n, worker& w, Stream&& stream, std::string address,
               std::shared_ptr<address_cap> pending, std::shared_ptr<ssl::context> tls)
      : node_(n),
        worker_(w),
        stream_(std::move(stream)),
        address_(std::move(address)),
        pending_(std::move(pending)),
        tls_(std::move(tls)) {}
  ~http_session() {
    if (pending_) pending_->release(address_);
  }
  http_session(http_session const&) = delete;
  http_session& operator=(http_session const&) = delete;

  // Over TLS the handshake comes first, within the handshake timeout; a plain
  // request to the TLS port fails it at its first bytes and is closed.
  void run() {
    if constexpr (is_tls) {
      beast::get_lowest_layer(stream_).expires_after(node_.opts().handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return fail(ec, "tls handshake");
                                self->do_read();
                              });
    } else {
      do_read();
    }
  }

 private:
  // Our side is done after the last response; TLS says so with close_notify.
  void close_write() {
    if constexpr (is_tls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  void do_read() {
    parser_.emplace();
    // Requests are small (the API takes short JSON bodies): refuse big ones.
    parser_->body_limit(64 * 1024);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(node_.opts().handshake_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close_write();
    if (ec == http::error::body_limit)
      return reply_status(http::status::payload_too_large, "request body too large");
    if (ec == http::error::header_limit) {
      return reply_status(http::status::request_header_fields_too_large,
                          "request headers too large");
    }
    if (ec) return fail(ec, "http read");
    node_.stats().http_requests.fetch_add(1, std::memory_order_relaxed);
    auto req = parser_->release();
    if (websocket::is_upgrade(req)) return upgrade(std::move(req));

    http_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (auto const& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(req.body());
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    host_ = std::string(req[http::field::host]);
    handle_http(
        node_, worker_.index, std::move(r),
        [self = this->shared_from_this()](http_response res) { self->send(std::move(res)); });
  }

  void upgrade(http::request<http::string_body> req) {
    auto const path = req.target().substr(0, req.target().find('?'));
    if (path != "/ws") return reply_status(http::status::not_found, "WebSocket endpoint is /ws");
    std::string const origin(req[http::field::origin]);
    if (!origin.empty() && !origin_allowed(node_, origin, std::string(req[http::field::host]))) {
      node_.stats().refused_origin.fetch_add(1, std::memory_order_relaxed);
      return reply_status(http::status::forbidden, "origin not allowed");
    }
    auto const* client =
        node_.admit_address(client_address(req, address_, node_.opts().trust_proxy));
    if (!client) {
      return reply_status(http::status::service_unavailable,
                          "too many connections from this address");
    }
    // The WebSocket keeps its own timeouts (handshake, idle) from here on.
    beast::get_lowest_layer(stream_).expires_never();
    if constexpr (is_tls) {
      std::make_shared<tls_ws_session>(node_, worker_, client, std::move(stream_), tls_)
          ->run(std::move(req));
    } else {
      std::make_shared<plain_ws_session>(node_, worker_, client, adopt(worker_, std::move(stream_)))
          ->run(std::move(req));
    }
  }

  void reply_status(http::status s, std::string_view message) {
    keep_alive_ = false;
    http_response res;
    res.status = static_cast<unsigned>(s);
    res.body = std::string(message) + "\n";
    send(std::move(res));
  }

  void send(http_response r) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_ ? version_ : 11);
    res->set(http::field::server, "roundtable");
    res->set(http::field::content_type, r.content_type);
    add_security_headers(r, host_);
    for (auto const& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec) return fail(ec, "http write");
                        if (!res->keep_alive()) return self->close_write();
                        self->do_read();
                      });
  }

  node& node_;
  worker& worker_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string address_;
  std::shared_ptr<address_cap> pending_;
  std::shared_ptr<ssl::context> tls_;
  std::string host_;  // the request's Host, for the CSP's WebSocket source
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

// TLS 1.2 and 1.3 only; for 1.2 only forward-secret AEAD suites (1.3 has no
// others). Throws with OpenSSL's reason when a file cannot be read or the key
// does not match the certificate.
std::shared_ptr<ssl::context> tls_context(std::string const& cert, std::string const& key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx->native_handle(), "ECDHE+AESGCM:ECDHE+CHACHA20");
  ctx->use_certificate_chain_file(cert);
  ctx->use_private_key_file(key, ssl::context::pem);
  return ctx;
}

}  // namespace

struct listener::impl : std::enable_shared_from_this<listener::impl> {
  impl(node& n)
      : node_(n),
        acceptor_(n.worker_at(0).ioc),
        retry_(n.worker_at(0).ioc),
        pending_(std::make_shared<address_cap>(n.opts().max_connections_per_ip)) {
    for (std::uint32_t i = 0; i < n.worker_count(); ++i) {
      sweeps_.push_back(std::make_unique<asio::steady_timer>(n.worker_at(i).ioc));
    }
  }

  // The keep-alive of every plain WebSocket on worker `i`: one timer per
  // worker, every half idle timeout, instead of one per connection.
  void sweep(std::uint32_t i) {
    auto const half = std::chrono::milliseconds(node_.opts().idle_timeout) / 2;
    sweeps_[i]->expires_after(half);
    // Weak: a sweep waits for good, so a strong reference would keep the
    // listener (and its timers) until the workers' io_contexts destroy the
    // waiting handler, and the timers would then die with their context.
    sweeps_[i]->async_wait([weak = weak_from_this(), i](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      auto& w = self->node_.worker_at(i);
      // Copy: a connection timed out leaves the list.
      auto const all = w.clients.items();
      for (auto* c : all) c->keep_alive_tick();
      self->sweep(i);
    });
  }

  void do_accept() {
    auto& w = node_.next_worker();
    acceptor_.async_accept(
        w.ioc, [self = shared_from_this(), &w](beast::error_code ec, tcp::socket s) {
          if (ec == asio::error::operation_aborted) return;
          if (ec) return self->back_off(ec);
          self->failing_ = false;
          auto const ep = s.remote_endpoint(ec);
          auto address = ec ? std::string("unknown") : ep.address().to_string();
          // Over the cap the socket is closed at once: idle sockets from one
          // address must not hold the process's files until the handshake timeout.
          // A trusted proxy is one address for every client: it limits them itself.
          auto pending = self->node_.opts().trust_proxy ? nullptr : self->pending_;
          if (pending && !pending->admit(address)) {
            self->node_.stats().refused_accept.fetch_add(1, std::memory_order_relaxed);
            s.close(ec);
            return self->do_accept();
          }
          s.set_option(tcp::no_delay(true), ec);
          // The connection belongs to its worker from the first byte on.
          asio::post(w.ioc, [&n = self->node_, &w, s = std::move(s), address = std::move(address),
                             pending = std::move(pending), tls = self->tls()]() mutable {
            if (tls) {
              std::make_shared<http_session<tls_stream>>(
                  n, w, tls_stream(std::move(s), *tls), std::move(address), std::move(pending), tls)
                  ->run();
            } else {
              std::make_shared<http_session<beast::tcp_stream>>(
                  n, w, beast::tcp_stream(std::move(s)), std::move(address), std::move(pending),
                  nullptr)
                  ->run();
            }
          });
          self->do_accept();
        });
  }

  // Accept failed, e.g. out of file descriptors (EMFILE): retry after a pause
  // instead of spinning, and keep listening. One warning per failure streak.
  void back_off(beast::error_code ec) {
    if (!failing_) log::warn("accept failed; retrying every 100 ms", {{"error", ec.message()}});
    failing_ = true;
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->do_accept();
    });
  }

  // The context new connections get; a reload swaps it, and the connections
  // made with the old one keep it.
  std::shared_ptr<ssl::context> tls() {
    std::lock_guard lock(tls_mutex_);
    return tls_;
  }

  node& node_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::shared_ptr<address_cap> pending_;
  std::vector<std::unique_ptr<asio::steady_timer>> sweeps_;  // one per worker, on it
  std::mutex tls_mutex_;
  std::shared_ptr<ssl::context> tls_;
  bool failing_ = false;  // worker 0's thread only
};

listener::listener(node& n) : impl_(std::make_shared<impl>(n)) {
  if (!n.opts().tls_cert.empty()) {
    try {
      impl_->tls_ = tls_context(n.opts().tls_cert, n.opts().tls_key);
    } catch (std::exception const& e) {
      throw std::invalid_argument("--tls-cert/--tls-key: " + std::string(e.what()));
    }
  }
  auto const address = asio::ip::make_address(n.opts().bind);
  tcp::endpoint const ep(address, n.opts().port);
  auto& a = impl_->acceptor_;
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  asio::post(n.worker_at(0).ioc, [i = impl_] { i->do_accept(); });
  for (std::uint32_t w = 0; w < n.worker_count(); ++w) {
    asio::post(n.worker_at(w).ioc, [i = impl_, w] { i->sweep(w); });
  }
}

listener::~listener() = default;

unsigned short listener::port() const noexcept {
  return impl_->acceptor_.local_endpoint().port();
}

bool listener::tls() const {
  return impl_->tls() != nullptr;
}

bool listener::reload_tls() {
  auto const& o = impl_->node_.opts();
  if (o.tls_cert.empty()) {
    log::info("nothing to reload: no --tls-cert");
    return false;
  }
  try {
    auto ctx = tls_context(o.tls_cert, o.tls_key);
    std::lock_guard lock(impl_->tls_mutex_);
    impl_->tls_ = std::move(ctx);
  } catch (std::exception const& e) {
    log::error("tls reload failed; the certificate in use stays", {{"error", e.what()}});
    return false;
  }
  log::info("tls reloaded", {{"cert", o.tls_cert}});
  return true;
}

void listener::stop() {
  asio::post(impl_->node_.worker_at(0).ioc, [i = impl_] {
    beast::error_code ec;
    i->acceptor_.close(ec);
    i->retry_.cancel();
  });
}

}  // namespace roundtable
