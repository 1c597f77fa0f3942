// --trust-proxy: behind a reverse proxy every connection comes from the proxy's
// address, so the per-address connection cap counts the client named last in
// X-Forwarded-For instead; without the flag that header is the client's own
// say and is ignored.
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace roundtable::test;

namespace {

// An upgrade from 127.0.0.1 carrying `forwarded` (no header when empty); the
// socket stays open in `open` when it was let in. Returns the status.
unsigned upgrade(int port, std::vector<std::unique_ptr<raw_ws>>& open,
                 std::string const& forwarded) {
  auto c = std::make_unique<raw_ws>(port);
  std::vector<std::string> extra;
  if (!forwarded.empty()) extra.push_back("X-Forwarded-For: " + forwarded);
  auto const status = c->handshake(extra).status;
  if (status == 101) open.push_back(std::move(c));
  return status;
}

}  // namespace

TEST_CASE("with --trust-proxy the cap counts the last X-Forwarded-For entry", "[trust-proxy]") {
  server_process srv({"--ephemeral", "--trust-proxy", "--max-connections-per-ip", "2"});
  std::vector<std::unique_ptr<raw_ws>> open;
  CHECK(upgrade(srv.port, open, "203.0.113.7") == 101);
  CHECK(upgrade(srv.port, open, "198.51.100.1, 203.0.113.7") == 101);
  // A forged first entry does not make a third connection someone else.
  CHECK(upgrade(srv.port, open, "198.51.100.2, 203.0.113.7") == 503);
  CHECK(upgrade(srv.port, open, "203.0.113.8") == 101);
  CHECK(upgrade(srv.port, open, "2001:db8::1") == 101);
  // No header, or one that names no address: the proxy's own address counts.
  CHECK(upgrade(srv.port, open, "") == 101);
  CHECK(upgrade(srv.port, open, "203.0.113.9, not-an-address") == 101);
  CHECK(upgrade(srv.port, open, "") == 503);
  CHECK(open.size() == 6);  // the proxy itself (127.0.0.1) holds more than the cap
}

TEST_CASE("with --trust-proxy the proxy's sockets are not capped at accept", "[trust-proxy]") {
  server_process srv({"--ephemeral", "--trust-proxy", "--max-connections-per-ip", "2"});
  // Five sockets from one address that have not sent a request yet: without
  // the flag the third would be closed at accept (transport_security_test).
  std::vector<std::unique_ptr<raw_ws>> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(std::make_unique<raw_ws>(srv.port));
  for (std::size_t i = 0; i < idle.size(); ++i) {
    auto const forwarded = "X-Forwarded-For: 203.0.113." + std::to_string(i + 1);
    CHECK(idle[i]->handshake({forwarded}).status == 101);
  }
}

TEST_CASE("without --trust-proxy X-Forwarded-For is ignored", "[trust-proxy]") {
  server_process srv({"--ephemeral", "--max-connections-per-ip", "2"});
  std::vector<std::unique_ptr<raw_ws>> open;
  CHECK(upgrade(srv.port, open, "203.0.113.1") == 101);
  CHECK(upgrade(srv.port, open, "203.0.113.2") == 101);
  CHECK(upgrade(srv.port, open, "203.0.113.3") == 503);
  CHECK(upgrade(srv.port, open, "") == 503);
}
