// Asio event-library adapter for hiredis 0.14 async contexts. hiredis ships
// adapters for libev, libevent, libuv and others but none for Asio: this one
// drives a redisAsyncContext from a boost::asio::io_context by waiting for
// readiness on the socket hiredis owns and calling redisAsyncHandleRead /
// redisAsyncHandleWrite. It owns no socket: the descriptor stays hiredis's and
// is released (never closed) when hiredis cleans the context up.
#pragma once

#include <boost/asio/io_context.hpp>

struct redisAsyncContext;

namespace roundtable::redis {

// Installs the Asio hooks on `ac` (ev.addRead/delRead/addWrite/delWrite/cleanup
// and ev.data). Call it right after redisAsyncConnect and before
// redisAsyncSetConnectCallback, which already asks for write readiness.
// Returns false, leaving `ac` untouched, if `ac` already has an event library
// or its descriptor cannot be registered with `io`.
//
// Single-threaded: `ac` must only be used from the thread running `io`, and
// the context must be freed (or disconnected) before `io` is destroyed. The
// context may be freed from inside any hiredis callback; pending waits then
// complete as no-ops.
bool attach(redisAsyncContext* ac, boost::asio::io_context& io);

}  // namespace roundtable::redis
