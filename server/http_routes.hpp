// Plain HTTP on the WebSocket port, without Beast: health and readiness,
// Prometheus metrics, the admin API, and the web client's static files. The
// transport (net.cpp) turns Beast requests into `http_request` and back, so
// these routes are testable without a socket.
#pragma once

#include "protocol/error.hpp"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace roundtable {

class node;

struct http_request {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(std::string const& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using http_done = std::function<void(http_response)>;

// A JSON body, and a JSON error shaped like the protocol's:
// {"error":{"code","message"}} with the protocol's stable codes.
http_response json_response(unsigned status, std::string body);
http_response json_error(unsigned status, protocol::error_code code, std::string_view message);
// The token of `Authorization: Bearer <token>`, or empty.
std::string bearer_token(http_request const& req);
// The HTTP status of a protocol error code (the admin API's errors).
unsigned http_status(protocol::error_code c);

// Adds the headers every response carries: a Content-Security-Policy that
// lets a page run only the server's own scripts and styles, connect only to
// the server itself (HTTP, and WebSocket to `host`, the request's Host when it
// is a plain host[:port]), and not be framed; `nosniff`; and no Referer, since
// invitation links carry tokens in their query.
void add_security_headers(http_response& r, std::string_view host);

// Answers one request; `done` may be called later, from the worker thread that
// called handle_http (routes that gather room state visit the rooms' homes).
void handle_http(node& n, std::uint32_t worker, http_request req, http_done done);

// The browser Origin policy at the WebSocket upgrade: no Origin (SDKs, load
// generators) passes; otherwise the Origin must be the server's own (same
// host as the Host header), localhost or 127.0.0.1 on any port, or on the
// --allow-origin list.
bool origin_allowed(node const& n, std::string const& origin, std::string const& host);

}  // namespace roundtable
