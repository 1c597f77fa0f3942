// The only Beast translation unit of the load generator: event-loop threads and the
// WebSocket client connection. Kept lean for the generator's own CPU budget: a plain
// tcp::socket (no per-operation timers), no compression, TCP_NODELAY, one read buffer
// per connection and a write queue that sends one frame at a time.
#include "loadtest/net.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <thread>
#include <vector>

namespace loadtest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

class ws_connection : public ws_link, public std::enable_shared_from_this<ws_connection> {
 public:
  ws_connection(asio::io_context& ioc, ws_handler* handler) : ws_(ioc), handler_(handler) {}

  void start(tcp::endpoint ep, std::string host, std::string target) {
    host_ = std::move(host);
    target_ = std::move(target);
    ws_.next_layer().async_connect(
        ep, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
  }

  void send(std::string text) override {
    if (done_) return;
    queue_.push_back(std::move(text));
    if (open_ && queue_.size() == 1) do_write();
  }

  void close() override {
    if (done_ || closing_) return;
    closing_ = true;
    if (!open_) {
      beast::error_code ec;
      ws_.next_layer().close(ec);
      return;
    }
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code) {});
  }

  std::size_t queued() const override { return queue_.size(); }

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return finish("connect: " + ec.message());
    ws_.next_layer().set_option(tcp::no_delay(true), ec);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "roundtable-loadgen");
    }));
    ws_.read_message_max(16 * 1024 * 1024);
    ws_.async_handshake(host_, target_, [self = shared_from_this()](beast::error_code e) {
      self->on_handshake(e);
    });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return finish("handshake: " + ec.message());
    open_ = true;
    ws_.text(true);
    do_read();
    handler_->on_open();
    if (!queue_.empty() && !writing_) do_write();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return finish(ec == websocket::error::closed ? "closed" : "read: " + ec.message());
    auto data = buffer_.cdata();
    handler_->on_text(std::string_view(static_cast<char const*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    if (!done_) do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(
        asio::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) return finish("write: " + ec.message());
    queue_.pop_front();
    if (!queue_.empty() && !closing_) do_write();
  }

  void finish(std::string why) {
    if (done_) return;
    done_ = true;
    open_ = false;
    queue_.clear();
    beast::error_code ec;
    ws_.next_layer().close(ec);
    handler_->on_closed(why);
  }

  websocket::stream<tcp::socket> ws_;
  ws_handler* handler_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::string host_;
  std::string target_;
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
};

loop_pool::loop_pool(int threads) : impl_(std::make_unique<impl>()) {
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
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

std::shared_ptr<ws_link> loop_pool::connect(int t, std::string const& host, std::uint16_t port,
                                            std::string target, ws_handler* handler) {
  auto conn = std::make_shared<ws_connection>(impl_->loops[t]->ioc, handler);
  tcp::endpoint ep(asio::ip::make_address(host), port);
  std::string host_header = host + ":" + std::to_string(port);
  asio::post(impl_->loops[t]->ioc,
             [conn, ep, h = std::move(host_header), tg = std::move(target)]() mutable {
               conn->start(ep, std::move(h), std::move(tg));
             });
  return conn;
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
