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
  // Stops accepting new connections (existing ones carry on).
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace roundtable
