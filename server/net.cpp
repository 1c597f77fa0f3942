// Beast transport: listener, HTTP session (static files, API, upgrade) and the
// WebSocket session, which is the `client` with its socket; each over plain TCP
// or, with --tls-cert, over TLS on the same port. Kept to this one file: each
// Beast websocket translation unit costs ~30 s and ~0.9 GB to build.
#include "server/net.hpp"

#include "server/client.hpp"
#include "server/http_routes.hpp"
#include "server/log.hpp"
#include "server/node.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <mutex>
#include <optional>

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
// write path. Timeouts are the websocket stream's own (handshake, idle).
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

// `Next` is the layer under the WebSocket: a ws_socket, or a tls_stream whose
// TLS state cannot move to another socket type. `keep` holds what the layer
// needs alive (the TLS context it was made with).
template <class Next>
class ws_session final : public client {
 public:
  ws_session(node& n, worker& w, std::string address, Next&& next, std::shared_ptr<void> keep)
      : client(n, w, std::move(address)), ws_(std::move(next)), keep_(std::move(keep)) {}

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
  std::shared_ptr<ws_session> self() {
    return std::static_pointer_cast<ws_session>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      fail(ec, "accept");
      on_closed();
      return;
    }
    do_read();
  }

  void do_read() {
    if (closing()) return;
    ws_.async_read(buffer_,
                   [self = self()](beast::error_code ec, std::size_t) { self->on_read(ec); });
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
  // '\n', in one contiguous buffer (no gather list for Beast to walk).
  void start_write() override {
    if (writing_ || close_sent_ || queue_empty()) return;
    take_queue(inflight_);
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(inflight_), [self = self()](beast::error_code ec, std::size_t n) {
      self->on_write(ec, n);
    });
  }

  void on_write(beast::error_code ec, std::size_t n) {
    writing_ = false;
    written(inflight_);
    if (ec) {
      fail(ec, "write");
      on_closed();
      return;
    }
    worker_.counters.frames_out.fetch_add(1, std::memory_order_relaxed);
    worker_.counters.bytes_out.fetch_add(n, std::memory_order_relaxed);
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

  websocket::stream<Next> ws_;
  std::shared_ptr<void> keep_;
  beast::flat_buffer buffer_;
  std::string inflight_;  // the message being written
  bool writing_ = false;
  bool close_sent_ = false;
  unsigned short close_code_ = 0;
  std::string close_reason_;
  std::optional<asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>,
                                           typename Next::executor_type>>
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
    auto client = client_address(req, address_, node_.opts().trust_proxy);
    if (!node_.admit_address(client)) {
      return reply_status(http::status::service_unavailable,
                          "too many connections from this address");
    }
    // The WebSocket keeps its own timeouts (handshake, idle) from here on.
    beast::get_lowest_layer(stream_).expires_never();
    if constexpr (is_tls) {
      std::make_shared<ws_session<tls_stream>>(node_, worker_, std::move(client),
                                               std::move(stream_), tls_)
          ->run(std::move(req));
    } else {
      std::make_shared<ws_session<ws_socket>>(node_, worker_, std::move(client),
                                              adopt(worker_, std::move(stream_)), nullptr)
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
        pending_(std::make_shared<address_cap>(n.opts().max_connections_per_ip)) {}

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
