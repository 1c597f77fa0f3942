// The load generator's network layer: a pool of event-loop threads (one io_context
// each) and WebSocket client connections that each live on one of those threads.
// This header is plain C++ on purpose: all Beast/Asio code sits in net.cpp, the one
// expensive translation unit, and the scenarios only see this small interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace loadtest {

using clock = std::chrono::steady_clock;

// Callbacks of one connection. They run on the connection's loop thread, one at a time.
class ws_handler {
 public:
  virtual ~ws_handler() = default;
  // The WebSocket handshake completed.
  virtual void on_open() = 0;
  // One complete text message arrived; the view is valid only during the call.
  virtual void on_text(std::string_view text) = 0;
  // The connection failed or closed; no other callback follows.
  virtual void on_closed(std::string_view why) = 0;
};

// One client connection. Methods must be called on the connection's loop thread.
class ws_link {
 public:
  virtual ~ws_link() = default;
  // Queues a text message; messages leave in order, one write in flight at a time.
  virtual void send(std::string text) = 0;
  // Starts a WebSocket close; on_closed follows.
  virtual void close() = 0;
  // Messages queued but not yet written (a sign the server is not reading).
  virtual std::size_t queued() const = 0;
};

// wss:// for every connection of a pool: the server's certificate must chain to the CA
// in ca_file and carry `name` (a DNS name, sent as SNI, or an IP address) in its
// subjectAltName. There is no way to skip the check: a throwaway CA costs two openssl calls.
struct tls_client {
  std::string ca_file;
  std::string name;
};

// N threads, each running its own io_context until stop().
class loop_pool {
 public:
  // Throws std::runtime_error when the CA file cannot be loaded.
  explicit loop_pool(int threads, std::optional<tls_client> tls = std::nullopt);
  ~loop_pool();
  loop_pool(loop_pool const&) = delete;
  loop_pool& operator=(loop_pool const&) = delete;

  int size() const;
  // Runs fn on thread t's loop.
  void post(int t, std::function<void()> fn);
  // Runs fn on thread t's loop at time `when` (a one-shot timer).
  void at(int t, clock::time_point when, std::function<void()> fn);
  // Opens a WebSocket to host:port/target on thread t; the handler must outlive the pool's
  // threads. Returns at once; the handler hears about the outcome.
  std::shared_ptr<ws_link> connect(int t, std::string const& host, std::uint16_t port,
                                   std::string target, ws_handler* handler);
  // Stops every loop and joins the threads; idempotent. Drop every ws_link pointer before
  // destroying the pool: its destructor frees the contexts the sockets belong to.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace loadtest
