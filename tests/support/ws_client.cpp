// Beast-based test client: the only Beast translation unit in the tests.
#include "tests/support/ws_client.hpp"

#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace roundtable::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

message::message(std::string raw)
    : raw_(std::move(raw)), parser_(std::make_shared<simdjson::dom::parser>()) {
  if (parser_->parse(raw_).get(root_))
    throw std::runtime_error("server sent invalid JSON: " + raw_);
}

simdjson::dom::element message::at(std::string_view key) const {
  simdjson::dom::element e;
  if (!key.empty() && key[0] == '/') {
    if (root_.at_pointer(key).get(e)) return {};
  } else if (root_[key].get(e)) {
    return {};
  }
  return e;
}

bool message::has(std::string_view key) const {
  simdjson::dom::element e;
  if (!key.empty() && key[0] == '/') return !root_.at_pointer(key).get(e);
  return !root_[key].get(e);
}

std::string message::str(std::string_view key) const {
  if (!has(key)) return {};
  std::string_view v;
  return at(key).get(v) ? std::string() : std::string(v);
}

std::int64_t message::num(std::string_view key) const {
  if (!has(key)) return 0;
  std::int64_t v = 0;
  return at(key).get(v) ? 0 : v;
}

bool message::boolean(std::string_view key) const {
  if (!has(key)) return false;
  bool v = false;
  return at(key).get(v) ? false : v;
}

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  bool reading = false;
  bool done = false;
  beast::error_code result;
};

ws_client::ws_client(int port, std::string origin, std::string path)
    : impl_(std::make_unique<impl>()) {
  tcp::endpoint const ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  impl_->ws.next_layer().connect(ep);
  impl_->ws.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
    if (!origin.empty()) req.set(http::field::origin, origin);
  }));
  impl_->ws.read_message_max(0);  // tests read whatever the server sends
  impl_->ws.handshake("127.0.0.1:" + std::to_string(port), path);
}

ws_client::~ws_client() {
  beast::error_code ec;
  impl_->ws.next_layer().close(ec);
}

void ws_client::send(std::string_view text) {
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text.data(), text.size()));
}

void ws_client::send_binary(std::string_view bytes) {
  impl_->ws.binary(true);
  impl_->ws.write(asio::buffer(bytes.data(), bytes.size()));
}

bool ws_client::read_one(std::chrono::milliseconds timeout) {
  if (closed_) return false;
  // One read stays pending across calls: cancelling a Beast websocket read
  // would leave the stream unusable, so a timeout just stops waiting.
  if (!impl_->reading) {
    impl_->reading = true;
    impl_->done = false;
    impl_->ws.async_read(impl_->buffer, [this](beast::error_code ec, std::size_t) {
      impl_->done = true;
      impl_->result = ec;
    });
  }
  impl_->ioc.restart();
  impl_->ioc.run_for(timeout);
  if (!impl_->done) return false;
  impl_->reading = false;
  if (impl_->result) {
    closed_ = true;
    close_code_ = impl_->ws.reason().code;
    return false;
  }
  auto const data = impl_->buffer.cdata();
  std::string_view text(static_cast<char const*>(data.data()), data.size());
  std::size_t start = 0;
  while (start <= text.size()) {
    auto const nl = text.find('\n', start);
    auto const line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty()) queue_.emplace_back(std::string(line));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  impl_->buffer.consume(impl_->buffer.size());
  return true;
}

std::optional<message> ws_client::next(std::chrono::milliseconds timeout) {
  auto const deadline = clock::now() + timeout;
  while (queue_.empty()) {
    auto const left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0 || !read_one(left)) {
      if (queue_.empty()) return std::nullopt;
    }
  }
  auto m = std::move(queue_.front());
  queue_.pop_front();
  return m;
}

std::optional<message> ws_client::wait_for(std::function<bool(message const&)> pred,
                                           std::chrono::milliseconds timeout) {
  auto const deadline = clock::now() + timeout;
  std::size_t checked = 0;
  for (;;) {
    for (; checked < queue_.size(); ++checked) {
      if (pred(queue_[checked])) {
        auto m = std::move(queue_[checked]);
        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(checked));
        return m;
      }
    }
    auto const left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0 || !read_one(left)) {
      if (checked == queue_.size()) return std::nullopt;
    }
  }
}

std::optional<message> ws_client::wait_type(std::string_view type,
                                            std::chrono::milliseconds timeout) {
  return wait_for([type](message const& m) { return m.type() == type; }, timeout);
}

message ws_client::request(std::string_view op, std::string_view json_fields,
                           std::chrono::milliseconds timeout) {
  auto const rid = ++rid_;
  std::string text = "{\"op\":\"" + std::string(op) + "\",\"rid\":" + std::to_string(rid);
  if (!json_fields.empty()) text += "," + std::string(json_fields);
  text += "}";
  send(text);
  auto r = wait_for([rid](message const& m) { return m.type() == "reply" && m.num("rid") == rid; },
                    timeout);
  if (!r) throw std::runtime_error("no reply to " + text);
  return std::move(*r);
}

message ws_client::hello(std::string_view name, std::string_view extra) {
  std::string fields = "\"name\":\"" + std::string(name) + "\"";
  if (!extra.empty()) fields += "," + std::string(extra);
  return request("hello", fields);
}

std::deque<message> ws_client::drain(std::chrono::milliseconds quiet) {
  while (read_one(quiet)) {
  }
  return std::exchange(queue_, {});
}

unsigned ws_client::wait_close(std::chrono::milliseconds timeout) {
  auto const deadline = clock::now() + timeout;
  while (!closed_) {
    auto const left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    read_one(left);
  }
  return close_code_;
}

void ws_client::close() {
  // An abrupt close, like a dropped network: the server must cope.
  beast::error_code ec;
  impl_->ws.next_layer().close(ec);
  closed_ = true;
}

namespace {

http_result http_request(int port, http::verb verb, std::string const& target,
                         std::string const& body,
                         std::vector<std::pair<std::string, std::string>> const& headers) {
  http_result out;
  try {
    asio::io_context ioc;
    tcp::socket sock(ioc);
    sock.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    for (auto const& [k, v] : headers) req.set(k, v);
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(sock, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    out.status = res.result_int();
    out.body = res.body();
    out.content_type = std::string(res[http::field::content_type]);
    for (auto const& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
  } catch (std::exception const&) {
    out.status = 0;
  }
  return out;
}

}  // namespace

long long metric(int port, std::string const& name) {
  auto const body = http_get(port, "/metrics").body;
  auto const key = "\n" + name + " ";
  auto const pos = body.find(key);
  return pos == std::string::npos ? -1 : std::atoll(body.c_str() + pos + key.size());
}

long long wait_metric(int port, std::string const& name, long long want,
                      std::chrono::milliseconds timeout) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  long long v = metric(port, name);
  while (v != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    v = metric(port, name);
  }
  return v;
}

http_result http_get(int port, std::string const& target,
                     std::vector<std::pair<std::string, std::string>> headers) {
  return http_request(port, http::verb::get, target, {}, headers);
}

http_result http_post(int port, std::string const& target, std::string const& body,
                      std::vector<std::pair<std::string, std::string>> headers) {
  return http_request(port, http::verb::post, target, body, headers);
}

}  // namespace roundtable::test
