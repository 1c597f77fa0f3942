// The network edge: a TCP listener whose connections speak HTTP and upgrade to
// WebSocket at /ws. All Beast code lives in net.cpp behind this interface, so
// only one translation unit pays for Beast's templates.
#pragma once

#include <memory>

namespace roundtable {

class node;

class listener {
 public:
  // Binds node.opts().bind:port and starts accepting on the node's workers.
  // Throws std::system_error when the address cannot be bound.
  explicit listener(node& n);
  ~listener();
  unsigned short port() const noexcept;
  // Serving https and wss (--tls-cert).
  bool tls() const;
  // Reads the certificate and key files again; new connections get them, open
  // ones keep theirs. On a bad file the one in use stays (logged, false);
  // without TLS it only logs.
  bool reload_tls();
  // Stops accepting new connections (existing ones carry on).
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace roundtable
