// A blocking WebSocket test client (Beast behind a plain interface) that speaks
// the Roundtable protocol: splits batched server messages on newlines, keeps
// events that arrive while a test waits for a reply, and reports close codes.
#pragma once

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace roundtable::test {

// One server JSON object, parsed.
class message {
 public:
  explicit message(std::string raw);
  std::string const& raw() const noexcept { return raw_; }
  simdjson::dom::element root() const noexcept { return root_; }
  std::string type() const { return str("type"); }
  // Top-level or JSON-pointer ("/snapshot/seq") access; empty/0 when absent.
  std::string str(std::string_view key) const;
  std::int64_t num(std::string_view key) const;
  bool boolean(std::string_view key) const;
  bool has(std::string_view key) const;
  simdjson::dom::element at(std::string_view key) const;

 private:
  std::string raw_;
  std::shared_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
};

// The row of table `id` in a `tables` event or a hello's `tables`, whose
// `/tables` rows are in any order (a `tables` event holds only the rows that
// changed). nullopt when absent.
inline std::optional<simdjson::dom::element> table_row(message const& m, std::string_view id) {
  simdjson::dom::element tables;
  simdjson::dom::array rows;
  if (!m.has("/tables") || (tables = m.at("/tables")).get(rows)) return std::nullopt;
  for (auto row : rows) {
    std::string_view rid;
    if (!row["id"].get(rid) && rid == id) return row;
  }
  return std::nullopt;
}

class ws_client {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds default_timeout{5000};

  // Connects to ws://127.0.0.1:port/ws. `origin` adds an Origin header.
  explicit ws_client(int port, std::string origin = {}, std::string path = "/ws");
  ~ws_client();
  ws_client(ws_client const&) = delete;
  ws_client& operator=(ws_client const&) = delete;

  void send(std::string_view text);
  void send_binary(std::string_view bytes);
  // Sends `json_fields` (without braces) with op and a fresh rid, and returns
  // the reply with that rid; events that arrive meanwhile stay queued.
  message request(std::string_view op, std::string_view json_fields = {},
                  std::chrono::milliseconds timeout = default_timeout);
  // hello with a name (and optional extra fields); returns the reply.
  message hello(std::string_view name, std::string_view extra = {});

  // The next message (queued first), or nullopt on timeout or close.
  std::optional<message> next(std::chrono::milliseconds timeout = default_timeout);
  // The first queued or arriving message matching `pred`; the others before it
  // stay queued. nullopt on timeout.
  std::optional<message> wait_for(std::function<bool(message const&)> pred,
                                  std::chrono::milliseconds timeout = default_timeout);
  std::optional<message> wait_type(std::string_view type,
                                   std::chrono::milliseconds timeout = default_timeout);
  // Everything that arrives within `quiet` of silence.
  std::deque<message> drain(std::chrono::milliseconds quiet = std::chrono::milliseconds(200));

  // True once the server closed; close_code() is then its code (0 if none).
  bool closed() const noexcept { return closed_; }
  unsigned close_code() const noexcept { return close_code_; }
  // Reads until the server closes or the timeout; returns the close code.
  unsigned wait_close(std::chrono::milliseconds timeout = default_timeout);
  void close();
  std::int64_t last_rid() const noexcept { return rid_; }

 private:
  bool read_one(std::chrono::milliseconds timeout);

  struct impl;
  std::unique_ptr<impl> impl_;
  std::deque<message> queue_;
  std::int64_t rid_ = 0;
  bool closed_ = false;
  unsigned close_code_ = 0;
};

// Performs a plain HTTP request; returns status and body (status 0 on failure).
struct http_result {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(std::string const& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};
http_result http_get(int port, std::string const& target,
                     std::vector<std::pair<std::string, std::string>> headers = {});
http_result http_post(int port, std::string const& target, std::string const& body,
                      std::vector<std::pair<std::string, std::string>> headers = {});
// The value of one /metrics line (its full name), or -1 when absent.
long long metric(int port, std::string const& name);
// Waits up to `timeout` for it to read `want`; returns its last value.
long long wait_metric(int port, std::string const& name, long long want,
                      std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace roundtable::test
