// Asio hooks for hiredis: one `socket_events` object per attached context,
// holding a stream_descriptor on hiredis's fd and the read/write interest
// hiredis asked for. See asio_adapter.hpp for the contract.
#include "engine/redis/asio_adapter.hpp"

#include <memory>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

namespace roundtable::redis {
namespace {

using boost::asio::posix::stream_descriptor;

// Lives while attached (it holds itself in `self_`) and while a wait handler
// is pending (each handler holds a shared_ptr), so a handler never touches
// freed memory even when hiredis frees the context inside
// redisAsyncHandleRead. `ac_ == nullptr` means hiredis called cleanup: the
// context may be gone, and nothing may reach it any more.
class socket_events : public std::enable_shared_from_this<socket_events> {
 public:
  socket_events(redisAsyncContext* ac, boost::asio::io_context& io) : ac_(ac), fd_(io) {}

  bool install() {
    boost::system::error_code ec;
    fd_.assign(ac_->c.fd, ec);
    if (ec) return false;
    self_ = shared_from_this();
    ac_->ev.data = this;
    ac_->ev.addRead = &socket_events::add_read;
    ac_->ev.delRead = &socket_events::del_read;
    ac_->ev.addWrite = &socket_events::add_write;
    ac_->ev.delWrite = &socket_events::del_write;
    ac_->ev.cleanup = &socket_events::cleanup;
    return true;
  }

 private:
  static socket_events* from(void* privdata) { return static_cast<socket_events*>(privdata); }

  // hiredis calls these repeatedly (addRead after every read, addWrite for
  // every command): they only set the interest and arm a wait if none is
  // outstanding, so there is at most one read and one write wait at a time.
  static void add_read(void* privdata) {
    auto* self = from(privdata);
    self->reading_ = true;
    if (!self->read_armed_) self->arm_read();
  }
  // A wait already armed stays armed (a stream_descriptor cannot cancel only
  // one direction); its handler sees the interest cleared and does nothing.
  static void del_read(void* privdata) { from(privdata)->reading_ = false; }
  static void add_write(void* privdata) {
    auto* self = from(privdata);
    self->writing_ = true;
    if (!self->write_armed_) self->arm_write();
  }
  static void del_write(void* privdata) { from(privdata)->writing_ = false; }

  // hiredis 0.14 may call cleanup twice for one context (__redisAsyncDisconnect
  // and then __redisAsyncFree), so the hooks are cleared here: the second call
  // finds ev.cleanup null and does nothing.
  static void cleanup(void* privdata) {
    auto* self = from(privdata);
    std::shared_ptr<socket_events> keep = std::move(self->self_);
    redisAsyncContext* ac = self->ac_;
    ac->ev.data = nullptr;
    ac->ev.addRead = nullptr;
    ac->ev.delRead = nullptr;
    ac->ev.addWrite = nullptr;
    ac->ev.delWrite = nullptr;
    ac->ev.cleanup = nullptr;
    self->ac_ = nullptr;
    self->reading_ = false;
    self->writing_ = false;
    // The fd is hiredis's: it closes it right after this returns. release()
    // also completes the outstanding waits with operation_aborted.
    self->fd_.release();
  }  // `keep` may free *self here if no wait is outstanding.

  void arm_read() {
    read_armed_ = true;
    fd_.async_wait(stream_descriptor::wait_read,
                   [self = shared_from_this()](boost::system::error_code const& ec) {
                     self->read_armed_ = false;
                     if (ec || !self->ac_ || !self->reading_) return;
                     redisAsyncHandleRead(self->ac_);
                     // hiredis re-adds read interest itself after a read; this
                     // only covers the case where it did not arm a new wait.
                     if (self->ac_ && self->reading_ && !self->read_armed_) self->arm_read();
                   });
  }

  void arm_write() {
    write_armed_ = true;
    fd_.async_wait(stream_descriptor::wait_write,
                   [self = shared_from_this()](boost::system::error_code const& ec) {
                     self->write_armed_ = false;
                     if (ec || !self->ac_ || !self->writing_) return;
                     // Also completes a non-blocking connect: hiredis checks
                     // the socket error on the first writable event and calls
                     // the connect callback (and frees the context on failure).
                     redisAsyncHandleWrite(self->ac_);
                     if (self->ac_ && self->writing_ && !self->write_armed_) self->arm_write();
                   });
  }

  redisAsyncContext* ac_;
  stream_descriptor fd_;
  std::shared_ptr<socket_events> self_;
  bool reading_ = false;
  bool writing_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
};

}  // namespace

bool attach(redisAsyncContext* ac, boost::asio::io_context& io) {
  if (ac == nullptr || ac->ev.data != nullptr || ac->c.fd < 0) return false;
  auto events = std::make_shared<socket_events>(ac, io);
  return events->install();
}

}  // namespace roundtable::redis
