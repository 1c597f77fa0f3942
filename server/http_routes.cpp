// HTTP routes: /healthz, /readyz, /metrics, the admin API and static files.
#include "server/http_routes.hpp"

#include "server/admin_api.hpp"
#include "server/node.hpp"
#include "server/outcome_comments.hpp"
#include "server/outcomes_page.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

namespace roundtable {

namespace {

http_response text(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http_response serve_file(node& n, std::string_view target) {
  auto const* file = n.web_files().find(target);
  // 404 for every refusal alike: a refused path and a missing file look the same.
  if (!file) return text(404, "not found\n");
  http_response r;
  r.content_type = std::string(file->content_type);
  r.body = file->body;
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  out += "# HELP roundtable_";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE roundtable_";
  out += name;
  out += ' ';
  out += type;
  out += "\nroundtable_";
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

http_response metrics_text(node& n) {
  worker_counters sum;
  auto add = [](std::atomic<std::uint64_t>& a, std::atomic<std::uint64_t> const& b) {
    a.fetch_add(b.load(std::memory_order_relaxed), std::memory_order_relaxed);
  };
  for (std::uint32_t i = 0; i < n.worker_count(); ++i) {
    auto const& c = n.worker_at(i).counters;
    add(sum.connections, c.connections);
    add(sum.ops_in, c.ops_in);
    add(sum.events_out, c.events_out);
    add(sum.deliveries, c.deliveries);
    add(sum.bytes_out, c.bytes_out);
    add(sum.frames_out, c.frames_out);
    add(sum.slow_consumer_closes, c.slow_consumer_closes);
    add(sum.rate_limited, c.rate_limited);
    add(sum.flood_closes, c.flood_closes);
    add(sum.errors, c.errors);
  }
  std::string out =
      "# HELP roundtable_build_info The running version.\n# TYPE roundtable_build_info gauge\n"
      "roundtable_build_info{version=\"" ROUNDTABLE_VERSION "\"} 1\n";
  auto const& m = n.stats();
  metric(out, "connections", "gauge", "WebSocket connections open now.", sum.connections.load());
  metric(out, "connections_total", "counter", "WebSocket connections accepted.",
         m.connections_total.load());
  metric(out, "rooms", "gauge", "Rooms (plenary, tables and networking group rooms).",
         n.room_count());
  metric(out, "ops_in_total", "counter", "Client messages received.", sum.ops_in.load());
  metric(out, "events_out_total", "counter", "Room events emitted.", sum.events_out.load());
  metric(out, "deliveries_total", "counter", "Events pushed into send queues.",
         sum.deliveries.load());
  metric(out, "bytes_out_total", "counter", "WebSocket payload bytes written.",
         sum.bytes_out.load());
  metric(out, "frames_out_total", "counter", "WebSocket frames written.", sum.frames_out.load());
  metric(out, "slow_consumer_closes_total", "counter",
         "Connections closed over their send queue bound.", sum.slow_consumer_closes.load());
  metric(out, "rate_limited_total", "counter", "Messages refused by the rate limit.",
         sum.rate_limited.load());
  metric(out, "flood_closes_total", "counter", "Connections closed for flooding.",
         sum.flood_closes.load());
  metric(out, "error_replies_total", "counter", "Error replies sent.", sum.errors.load());
  metric(out, "http_requests_total", "counter", "HTTP requests.", m.http_requests.load());
  metric(out, "refused_origin_total", "counter", "Upgrades refused for their Origin.",
         m.refused_origin.load());
  metric(out, "refused_address_total", "counter", "Upgrades refused over the per-address cap.",
         m.refused_address.load());
  metric(out, "refused_accept_total", "counter",
         "Sockets closed at accept over the per-address cap.", m.refused_accept.load());
  metric(out, "ready", "gauge", "1 when the engine is ready.", n.ready() ? 1 : 0);
  for (auto const& g : n.rooms_engine().gauges())
    metric(out, g.name, g.counter ? "counter" : "gauge", g.help, g.value);
  // Publish (the room's home serialized the event) to write (the frame that
  // carried it left): fan-out latency inside the server.
  auto const& h = m.publish_to_write;
  out +=
      "# HELP roundtable_publish_to_write_seconds From an event's publication to the write of its "
      "frame.\n# TYPE roundtable_publish_to_write_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < latency_histogram::buckets; ++b) {
    cumulative += h.counts[b].load(std::memory_order_relaxed);
    char le[32];
    std::snprintf(le, sizeof le, "%g", static_cast<double>(1ULL << b) / 1e6);
    out += "roundtable_publish_to_write_seconds_bucket{le=\"";
    out += le;
    out += "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "roundtable_publish_to_write_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) +
         "\n";
  char seconds_sum[32];
  std::snprintf(seconds_sum, sizeof seconds_sum, "%g", static_cast<double>(h.sum_us.load()) / 1e6);
  out += "roundtable_publish_to_write_seconds_sum " + std::string(seconds_sum) + "\n";
  out += "roundtable_publish_to_write_seconds_count " + std::to_string(cumulative) + "\n";
  http_response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(out);
  return r;
}

// Compares a secret in constant time: a timing must not tell how much of a
// guess matched.
bool same_secret(std::string_view given, std::string_view key) {
  if (key.empty() || given.size() != key.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < key.size(); ++i)
    diff |= static_cast<unsigned char>(key[i] ^ given[i]);
  return diff == 0;
}

// Who asks at the admin API: 200 (the API key, or a chair's token, so the
// chair console can download the report), 401 (no or wrong credentials), or
// 403 (a valid token of another role: known, but not allowed).
unsigned admin_access(node& n, http_request const& req) {
  if (same_secret(req.header("x-api-key"), n.opts().api_key)) return 200;
  auto const token = bearer_token(req);
  if (token.empty()) return 401;
  auto const v = auth::verify(token, n.secret(), node::now_ms() / 1000);
  if (!v.ok) return 401;
  return v.value.who == role::chair ? 200 : 403;
}

constexpr std::string_view comments_path = "/api/outcomes/comments";

// The ID of /api/outcomes/comments/ID, the chair's decision on one comment.
std::optional<std::string> comment_id(std::string_view path) {
  if (!path.starts_with(comments_path) || path.size() < comments_path.size() + 2 ||
      path[comments_path.size()] != '/')
    return std::nullopt;
  auto const id = path.substr(comments_path.size() + 1);
  if (id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

// The method an admin route takes; empty for an unknown route, which
// handle_admin answers with 404.
std::string_view admin_method(std::string_view path) {
  if (path == "/api/archive" || path == "/api/report" || path == "/api/report.md" ||
      path == comments_path || path == "/report")
    return "GET";
  if (path == "/api/erase" || path == "/api/tables" || path == "/api/broadcast" ||
      path == "/api/outcomes" || comment_id(path))
    return "POST";
  return {};
}

bool json_content_type(std::string const& value) {
  std::string media = value.substr(0, value.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

void handle_api(node& n, std::uint32_t worker, std::string_view path, http_request req,
                http_done done) {
  using protocol::error_code;
  switch (admin_access(n, req)) {
    case 401:
      return done(json_error(401, error_code::unauthorized,
                             n.opts().api_key.empty()
                                 ? "the admin API needs --api-key or a chair token"
                                 : "missing or wrong API key"));
    case 403:
      return done(json_error(403, error_code::forbidden, "the admin API takes a chair's token"));
  }
  auto const method = admin_method(path);
  if (!method.empty() && req.method != method) {
    auto r = json_error(405, error_code::bad_request,
                        "this route takes " + std::string(method) + " only");
    r.headers.emplace_back("Allow", std::string(method));
    return done(std::move(r));
  }
  if (method == "POST" && !json_content_type(req.header("content-type"))) {
    return done(
        json_error(415, error_code::bad_request, "the body must be sent as application/json"));
  }
  if (path == "/api/outcomes") return post_outcome(n, worker, std::move(req), std::move(done));
  if (path == comments_path) return list_comments(n, worker, std::move(req), std::move(done));
  if (auto id = comment_id(path))
    return review_comment(n, worker, std::move(*id), std::move(req), std::move(done));
  handle_admin(n, worker, std::move(req), std::move(done));
}

}  // namespace

std::string bearer_token(http_request const& req) {
  auto const value = req.header("authorization");
  return value.starts_with("Bearer ") ? value.substr(7) : std::string();
}

http_response json_response(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

http_response json_error(unsigned status, protocol::error_code code, std::string_view message) {
  protocol::json_writer w;
  w.begin_object()
      .key("error")
      .begin_object()
      .field("code", protocol::to_string(code))
      .field("message", message)
      .end_object()
      .end_object();
  return json_response(status, w.release());
}

unsigned http_status(protocol::error_code c) {
  using protocol::error_code;
  switch (c) {
    case error_code::bad_request:
      return 400;
    case error_code::unauthorized:
      return 401;
    case error_code::forbidden:
      return 403;
    case error_code::not_found:
      return 404;
    case error_code::full:
      return 409;
    case error_code::rate_limited:
      return 429;
    case error_code::too_large:
      return 413;
    case error_code::unavailable:
      return 503;
    case error_code::internal:
      return 500;
  }
  return 500;
}

void add_security_headers(http_response& r, std::string_view host) {
  std::string csp =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
      "connect-src 'self'";
  // The Host header is the client's word: spliced in only when it is a plain
  // host[:port], so it cannot add a directive.
  bool const plain_host =
      !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
               c == '[' || c == ']';
      });
  if (plain_host) csp.append(" ws://").append(host).append(" wss://").append(host);
  r.headers.emplace_back("Content-Security-Policy", std::move(csp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

bool origin_allowed(node const& n, std::string const& origin, std::string const& host) {
  for (auto const& o : n.opts().allow_origins) {
    if (o == origin || o == "*") return true;
  }
  // scheme://hostname[:port]
  auto const scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return false;
  auto const authority = origin.substr(scheme_end + 3);
  if (authority == host) return true;  // the server's own pages
  auto const hostname =
      authority.substr(0, authority.rfind(':') == std::string::npos || authority.back() == ']'
                              ? authority.size()
                              : authority.rfind(':'));
  return hostname == "localhost" || hostname == "127.0.0.1" || hostname == "[::1]";
}

void handle_http(node& n, std::uint32_t worker, http_request req, http_done done) {
  auto const path = req.target.substr(0, req.target.find('?'));
  if (path == "/healthz") return done(text(200, "ok\n"));
  if (path == "/readyz") return done(n.ready() ? text(200, "ready\n") : text(503, "not ready\n"));
  if (path == "/metrics") {
    auto const& key = n.opts().metrics_key;
    if (!key.empty() && !same_secret(bearer_token(req), key)) {
      auto r = text(401, "/metrics needs Authorization: Bearer <--metrics-key>\n");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return done(std::move(r));
    }
    return done(metrics_text(n));
  }
  // The public follow-up: no login (its POST is the admin API's).
  bool const reading = req.method == "GET" || req.method == "HEAD";
  if (reading && (path == "/outcomes" || path == "/api/outcomes"))
    return serve_outcomes(n, worker, std::move(req), std::move(done));
  // A comment speaks with the token its author took part with, not the admin's.
  if (path == comments_path && req.method == "POST") {
    if (!json_content_type(req.header("content-type")))
      return done(json_error(415, protocol::error_code::bad_request,
                             "the body must be sent as application/json"));
    return post_comment(n, worker, std::move(req), std::move(done));
  }
  // The report page is the admin API's report as HTML: the same access.
  if (path.starts_with("/api/") || path == "/report")
    return handle_api(n, worker, path, std::move(req), std::move(done));
  if (req.method != "GET" && req.method != "HEAD") return done(text(405, "method not allowed\n"));
  done(serve_file(n, req.target));
}

}  // namespace roundtable
