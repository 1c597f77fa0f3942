// The lagging proxy of lag_proxy.hpp, on plain sockets and threads: one
// thread accepts, and each connection has three, one a direction and one that
// writes the delayed bytes when they are due (so that a burst is delayed by
// `delay`, not by `delay` a chunk). File descriptors are closed only in the
// destructor, after every thread is joined: a shutdown() never hits a
// descriptor the system has handed out again.
#include "tests/support/lag_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace roundtable::test {

namespace {

using clock = std::chrono::steady_clock;

// Every byte to `fd`; false once the peer is gone.
bool send_all(int fd, char const* data, std::size_t n) {
  while (n > 0) {
    auto const w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// What one recv() got: 0 once the peer closed or the link broke.
std::size_t receive(int fd, std::vector<char>& buf) {
  for (;;) {
    auto const n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
}

// Finds the RESP bulk string SUBSCRIBE (any case) in a stream read in pieces:
// the command's name as a client library sends it, so that the word inside
// some argument (a script, a message's text) does not delay a command link.
class subscribe_finder {
 public:
  bool feed(char const* bytes, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      tail_ += static_cast<char>(std::tolower(static_cast<unsigned char>(bytes[i])));
      if (tail_.size() > needle.size()) tail_.erase(0, 1);
      if (tail_ == needle) return true;
    }
    return false;
  }

 private:
  static constexpr std::string_view needle = "$9\r\nsubscribe\r\n";
  std::string tail_;
};

// Small RESP commands and replies go out at once: Nagle's wait for an ACK
// would add its own lag to the command link.
void no_delay(int fd) {
  int const one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int connect_local(int port) {
  int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  no_delay(fd);
  return fd;
}

// One client connection and the connection it got to the target.
struct relay {
  relay(int c, int s) : client(c), server(s) {}
  int const client, server;
  std::atomic<bool> delayed{false};
  std::mutex m;
  std::condition_variable cv;
  // What the server sent, each piece with the time it is due at the client.
  std::deque<std::pair<clock::time_point, std::string>> queue;
  bool server_done = false;  // the writer ends once the queue is written
  bool stopping = false;     // the proxy closes: drop the queue
  std::thread up, down, writer;

  // Both sides closed in both directions: every thread of the relay ends.
  void tear_down() const {
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
  }
};

}  // namespace

struct lag_proxy::impl {
  int target_port = 0;
  std::chrono::milliseconds delay{0};
  bool every_link = false;
  int listener = -1;
  int wake[2] = {-1, -1};  // written once by the destructor: the acceptor stops
  int port = 0;
  std::thread acceptor;
  mutable std::mutex m;
  std::vector<std::unique_ptr<relay>> links;
  std::atomic<std::size_t> delayed{0};

  void listen_on_loopback() {
    listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || ::pipe2(wake, O_CLOEXEC) != 0)
      throw std::runtime_error("lag_proxy: no socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 64) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("lag_proxy: cannot listen");
    port = ntohs(addr.sin_port);
  }

  void accept_loop() {
    for (;;) {
      pollfd fds[2] = {{listener, POLLIN, 0}, {wake[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      int const client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int const server = connect_local(target_port);
      if (server < 0) {
        ::close(client);  // as if the target refused: the client retries
        continue;
      }
      no_delay(client);
      std::lock_guard lock(m);
      auto& l = *links.emplace_back(std::make_unique<relay>(client, server));
      if (every_link) {
        l.delayed = true;
        ++delayed;
      }
      l.up = std::thread([this, &l] { pump_up(l); });
      l.down = std::thread([this, &l] { pump_down(l); });
      l.writer = std::thread([this, &l] { write_delayed(l); });
    }
  }

  // Client to server, at once; a SUBSCRIBE delays the relay's other direction
  // from the server's answer to it on.
  void pump_up(relay& l) {
    subscribe_finder finder;
    std::vector<char> buf(64 * 1024);
    while (auto const size = receive(l.client, buf)) {
      if (!l.delayed && finder.feed(buf.data(), size)) {
        l.delayed = true;
        ++delayed;
      }
      if (!send_all(l.server, buf.data(), size)) return l.tear_down();
    }
    ::shutdown(l.server, SHUT_WR);
  }

  // Server to client: at once until the relay is delayed, then through the
  // writer. Once delayed it stays so, and what went out at once was sent
  // before anything was queued: the bytes keep their order.
  void pump_down(relay& l) {
    std::vector<char> buf(64 * 1024);
    while (auto const size = receive(l.server, buf)) {
      if (l.delayed) {
        std::lock_guard lock(l.m);
        l.queue.emplace_back(clock::now() + delay, std::string(buf.data(), size));
        l.cv.notify_all();
      } else if (!send_all(l.client, buf.data(), size)) {
        l.tear_down();
        break;
      }
    }
    std::lock_guard lock(l.m);
    l.server_done = true;
    l.cv.notify_all();
  }

  void write_delayed(relay& l) {
    std::unique_lock lock(l.m);
    for (;;) {
      l.cv.wait(lock, [&] { return l.stopping || l.server_done || !l.queue.empty(); });
      if (l.stopping) return;
      if (l.queue.empty()) break;  // the server closed and all it sent is out
      auto const due = l.queue.front().first;
      if (l.cv.wait_until(lock, due, [&] { return l.stopping; })) return;
      auto const bytes = std::move(l.queue.front().second);
      l.queue.pop_front();
      lock.unlock();
      if (!send_all(l.client, bytes.data(), bytes.size())) return l.tear_down();
      lock.lock();
    }
    ::shutdown(l.client, SHUT_WR);
  }

  void stop() {
    if (acceptor.joinable()) {
      char const x = 'x';
      [[maybe_unused]] auto const w = ::write(wake[1], &x, 1);
      acceptor.join();
    }
    // No thread adds links now.
    for (auto& l : links) {
      {
        std::lock_guard lock(l->m);
        l->stopping = true;
      }
      l->cv.notify_all();
      l->tear_down();
    }
    for (auto& l : links) {
      for (auto* t : {&l->up, &l->down, &l->writer}) t->join();
      ::close(l->client);
      ::close(l->server);
    }
    for (int fd : {listener, wake[0], wake[1]})
      if (fd >= 0) ::close(fd);
  }
};

lag_proxy::lag_proxy(int target_port, std::chrono::milliseconds delay, lagging which)
    : impl_(std::make_unique<impl>()) {
  impl_->target_port = target_port;
  impl_->delay = delay;
  impl_->every_link = which == lagging::every_link;
  try {
    impl_->listen_on_loopback();
  } catch (...) {
    impl_->stop();
    throw;
  }
  impl_->acceptor = std::thread([i = impl_.get()] { i->accept_loop(); });
}

lag_proxy::~lag_proxy() {
  impl_->stop();
}

int lag_proxy::port() const noexcept {
  return impl_->port;
}

std::size_t lag_proxy::connections() const {
  std::lock_guard lock(impl_->m);
  return impl_->links.size();
}

std::size_t lag_proxy::delayed_connections() const {
  return impl_->delayed.load();
}

}  // namespace roundtable::test
