// The connection's state machine (idle -> connecting -> up -> down -> connecting
// ...) around one hiredis async context at a time. A context never survives a
// failure: hiredis 0.14 frees it on any error, so each attempt makes a new one
// and the reply, subscription and state callbacks below find their way back
// to the `impl` through ac->data, which is cleared when the connection is
// destroyed so late hiredis callbacks become no-ops.
#include "engine/redis/client.hpp"

#include <algorithm>
#include <cassert>
#include <csignal>
#include <mutex>
#include <random>
#include <set>
#include <utility>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/redis/asio_adapter.hpp"
#include "engine/redis/subscriptions.hpp"

namespace roundtable::redis {

reply reply::error(std::string message) {
  reply r;
  r.type = kind::error;
  r.str = std::move(message);
  return r;
}

namespace {

reply convert(redisReply const& r) {
  reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    default:
      break;
  }
  return out;
}

std::string_view view(redisReply const* r) {
  if (r == nullptr || r->str == nullptr) return {};
  return {r->str, r->len};
}

// hiredis 0.14 writes with write(2): a write on a link the peer has reset
// raises SIGPIPE, whose default action kills the process. Once per process.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

// Binds argv to hiredis's (argc, argv, argvlen) without copying the strings;
// hiredis formats them into its output buffer before returning.
int send_argv(redisAsyncContext* ac, redisCallbackFn* fn, void* privdata,
              std::vector<std::string> const& args) {
  std::vector<char const*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto const& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return redisAsyncCommandArgv(ac, fn, privdata, static_cast<int>(args.size()), argv.data(),
                               lens.data());
}

}  // namespace

struct script::state {
  std::string source;
  std::string sha;
  bool loading = false;
};

script::script(std::string lua_source) : state_(std::make_shared<state>()) {
  state_->source = std::move(lua_source);
}

std::string const& script::source() const noexcept {
  return state_->source;
}
std::string const& script::sha() const noexcept {
  return state_->sha;
}

struct connection::impl : std::enable_shared_from_this<impl> {
  enum class link { idle, connecting, up, down };

  // A reply callback in flight; owned by hiredis's callback list until the
  // reply (or the NULL reply of a dropped link) comes.
  struct pending {
    reply_handler done;
  };

  impl(boost::asio::io_context& io_, connection_options options_)
      : io(io_),
        options(options_),
        connect_timer(io_),
        retry_timer(io_),
        rng(std::random_device{}()) {}

  // --- hiredis callbacks. Each holds `keep` so that user code run from it
  // may destroy the connection without freeing the impl under our feet.

  static impl* from(redisAsyncContext const* ac) { return static_cast<impl*>(ac->data); }

  static void on_reply(redisAsyncContext* ac, void* r, void* privdata) {
    std::unique_ptr<pending> p(static_cast<pending*>(privdata));
    impl* self = from(ac);
    if (self == nullptr) return;  // the connection is gone: drop, do not call
    auto keep = self->shared_from_this();
    if (r == nullptr) {
      // hiredis is failing every pending callback before it reports the
      // disconnect: from now on new commands must fail fast, not be queued
      // on a context that is being freed.
      if (self->state == link::up) self->state = link::down;
      p->done(reply::error(std::string(unavailable)));
      return;
    }
    auto const* rr = static_cast<redisReply const*>(r);
    bool const demoted = rr->type == REDIS_REPLY_ERROR && view(rr).starts_with("READONLY");
    p->done(convert(*rr));
    if (demoted) self->drop_link();
  }

  // ROLE's answer on a fresh link behind Sentinel: a master is up; anything
  // else (a replica, a sentinel, an error) is dropped and tried again.
  static void on_role(redisAsyncContext* ac, void* r, void* /*privdata*/) {
    impl* self = from(ac);
    if (self == nullptr || r == nullptr) return;
    auto const* rr = static_cast<redisReply const*>(r);
    bool const master =
        rr->type == REDIS_REPLY_ARRAY && rr->elements > 0 && view(rr->element[0]) == "master";
    if (!master) return self->drop_link();
    self->became_up();
  }

  static void on_subscription(redisAsyncContext* ac, void* r, void* /*privdata*/) {
    impl* self = from(ac);
    if (self == nullptr || r == nullptr) return;
    auto const* rr = static_cast<redisReply const*>(r);
    if (rr->type != REDIS_REPLY_ARRAY || rr->elements != 3) return;
    auto const kind = view(rr->element[0]);
    auto const channel = view(rr->element[1]);
    auto keep = self->shared_from_this();
    if (kind == "subscribe") return self->run(self->subs.subscribed(channel));
    if (kind == "unsubscribe") {
      if (self->subs.unsubscribed(channel)) self->send_subscribe({std::string(channel)});
      return;
    }
    // Redis may still deliver a few messages of a channel we just left.
    if (kind != "message" || !self->subs.delivers(channel) || !self->on_message_handler) return;
    self->on_message_handler(channel, view(rr->element[2]));
  }

  void send_subscribe(std::vector<std::string> names) {
    if (names.empty() || state != link::up || ac == nullptr) return;
    names.insert(names.begin(), "SUBSCRIBE");
    send_argv(ac, &impl::on_subscription, nullptr, names);
  }

  // Waiters of a subscription, posted: never from inside the call that made
  // them ready.
  void run(std::vector<subscriptions::ready_fn> fns) {
    for (auto& fn : fns) boost::asio::post(io, std::move(fn));
  }

  static void on_connect(redisAsyncContext const* ac, int status) {
    impl* self = from(ac);
    if (self == nullptr) return;
    if (status != REDIS_OK) {
      self->connect_timer.cancel();
      // hiredis frees the context right after this returns.
      self->ac = nullptr;
      self->state = link::down;
      self->schedule_retry();
      return;
    }
    // The connect timeout keeps running over the ROLE round trip.
    if (self->options.require_master) {
      send_argv(self->ac, &impl::on_role, nullptr, {"ROLE"});
      return;
    }
    self->became_up();
  }

  void became_up() {
    connect_timer.cancel();
    state = link::up;
    failures = 0;
    send_subscribe(subs.relink());
    announced = true;
    notify(true);
  }

  // Closes the link the way a dropped one closes: pending replies get
  // `unavailable`, the disconnect is reported, a new attempt follows. From a
  // reply callback hiredis finishes the callbacks under way first.
  void drop_link() {
    if (ac == nullptr || closed) return;
    redisAsyncDisconnect(ac);
  }

  // Only called for a context that had connected; hiredis frees it after.
  static void on_disconnect(redisAsyncContext const* ac, int /*status*/) {
    impl* self = from(ac);
    if (self == nullptr) return;
    self->connect_timer.cancel();
    self->ac = nullptr;
    self->state = link::down;
    self->subs.unlink();
    // A link dropped before ROLE confirmed it was never announced as up.
    if (std::exchange(self->announced, false)) self->notify(false);
    self->schedule_retry();
  }

  // --- the state machine

  void start_connect() {
    ++attempts;
    ++generation;
    state = link::connecting;
    auto where = source();
    if (!where) {
      state = link::down;
      schedule_retry();
      return;
    }
    current = std::move(*where);
    redisAsyncContext* c = redisAsyncConnect(current.host.c_str(), current.port);
    if (c == nullptr) {
      state = link::down;
      schedule_retry();
      return;
    }
    // A refused connect to a local port fails right here, before any event.
    if (c->err != 0 || !attach(c, io)) {
      redisAsyncFree(c);
      state = link::down;
      schedule_retry();
      return;
    }
    c->data = this;
    ac = c;
    redisAsyncSetDisconnectCallback(c, &impl::on_disconnect);
    redisAsyncSetConnectCallback(c, &impl::on_connect);  // arms the first write wait
    connect_timer.expires_after(options.connect_timeout);
    connect_timer.async_wait([w = weak_from_this(), gen = generation](auto const& ec) {
      auto self = w.lock();
      if (ec || !self || self->closed) return;
      if (self->state != link::connecting || self->generation != gen) return;
      self->abandon_context();
      self->state = link::down;
      self->schedule_retry();
    });
  }

  void schedule_retry() {
    if (closed) return;
    auto const min = options.backoff_min.count();
    auto const max = std::max(options.backoff_max.count(), min);
    auto ceiling = min;
    for (unsigned i = 0; i < failures && ceiling < max; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, max);
    ++failures;
    std::uniform_int_distribution<long long> pick(0, static_cast<long long>(ceiling));
    retry_timer.expires_after(std::chrono::milliseconds(pick(rng)));
    retry_timer.async_wait([w = weak_from_this()](auto const& ec) {
      auto self = w.lock();
      if (ec || !self || self->closed) return;
      self->start_connect();
    });
  }

  // Frees the current context without any of our callbacks running for it:
  // pending replies are dropped, no disconnect is reported. Safe from inside
  // a reply callback (hiredis then defers the free until the callback returns).
  void abandon_context() {
    redisAsyncContext* c = std::exchange(ac, nullptr);
    if (c == nullptr) return;
    c->data = nullptr;
    c->onConnect = nullptr;
    c->onDisconnect = nullptr;
    redisAsyncFree(c);
  }

  void close() {
    closed = true;
    connect_timer.cancel();
    retry_timer.cancel();
    abandon_context();
    state = link::idle;
  }

  void notify(bool up) {
    boost::asio::post(io, [w = weak_from_this(), up] {
      auto self = w.lock();
      if (!self || self->closed || !self->on_state_handler) return;
      self->on_state_handler(up);
    });
  }

  void fail_soon(reply_handler done, std::string message) {
    boost::asio::post(
        io, [w = weak_from_this(), done = std::move(done), message = std::move(message)]() mutable {
          auto self = w.lock();
          if (!self || self->closed) return;
          done(reply::error(std::move(message)));
        });
  }

  void send(std::vector<std::string> const& args, reply_handler done) {
    assert(!args.empty());
    if (subscriber) {
      assert(!"command() on a subscriber connection");
      fail_soon(std::move(done), "ERR subscriber connection");
      return;
    }
    if (state != link::up || ac == nullptr) {
      fail_soon(std::move(done), std::string(unavailable));
      return;
    }
    auto p = std::make_unique<pending>(pending{std::move(done)});
    if (send_argv(ac, &impl::on_reply, p.get(), args) != REDIS_OK) {
      fail_soon(std::move(p->done), std::string(unavailable));
      return;
    }
    p.release();  // hiredis's callback list owns it now
  }

  boost::asio::io_context& io;
  connection_options options;
  boost::asio::steady_timer connect_timer;
  boost::asio::steady_timer retry_timer;
  std::minstd_rand rng;

  address_source source;
  endpoint current;
  redisAsyncContext* ac = nullptr;
  link state = link::idle;
  bool closed = false;
  bool subscriber = false;
  bool announced = false;        // notify(true) was sent for the current link
  unsigned failures = 0;         // consecutive, for the backoff
  std::uint64_t attempts = 0;    // all time, for tests and metrics
  std::uint64_t generation = 0;  // tells a stale connect timeout from a live one
  subscriptions subs;

  state_handler on_state_handler;
  message_handler on_message_handler;
};

connection::connection(boost::asio::io_context& io) : connection(io, connection_options{}) {}

connection::connection(boost::asio::io_context& io, connection_options options)
    : impl_(std::make_shared<impl>(io, options)) {}

connection::~connection() {
  impl_->close();
}

void connection::on_state(state_handler handler) {
  impl_->on_state_handler = std::move(handler);
}

void connection::on_message(message_handler handler) {
  impl_->on_message_handler = std::move(handler);
}

void connection::connect(std::string host, int port) {
  connect([e = endpoint{std::move(host), port}]() -> std::optional<endpoint> { return e; });
}

void connection::connect(address_source source) {
  assert(impl_->state == impl::link::idle && !impl_->closed);
  ignore_sigpipe();
  impl_->source = std::move(source);
  impl_->start_connect();
}

endpoint const& connection::peer() const noexcept {
  return impl_->current;
}

void connection::command(std::vector<std::string> args, reply_handler done) {
  impl_->send(args, std::move(done));
}

void connection::evalsha(script const& s, std::vector<std::string> const& keys,
                         std::vector<std::string> const& args, reply_handler done) {
  auto st = s.state_;
  auto argv = std::make_shared<std::vector<std::string>>();
  argv->reserve(3 + keys.size() + args.size());
  argv->push_back("EVALSHA");
  argv->push_back(st->sha);
  argv->push_back(std::to_string(keys.size()));
  argv->insert(argv->end(), keys.begin(), keys.end());
  argv->insert(argv->end(), args.begin(), args.end());

  if (st->sha.empty()) {
    // Learn the SHA from Redis rather than hashing here; the EVAL right
    // behind it in the pipeline answers this call.
    if (!st->loading && connected()) {
      st->loading = true;
      impl_->send({"SCRIPT", "LOAD", st->source}, [st](reply r) {
        st->loading = false;
        if (r.type == reply::kind::string) st->sha = std::move(r.str);
      });
    }
    (*argv)[0] = "EVAL";
    (*argv)[1] = st->source;
    impl_->send(*argv, std::move(done));
    return;
  }

  impl_->send(*argv,
              [w = impl_->weak_from_this(), st, argv, done = std::move(done)](reply r) mutable {
                auto self = w.lock();
                if (self && !self->closed && r.is_error() && r.str.starts_with("NOSCRIPT")) {
                  (*argv)[0] = "EVAL";
                  (*argv)[1] = st->source;
                  self->send(*argv, std::move(done));
                  return;
                }
                done(std::move(r));
              });
}

void connection::subscribe(std::string channel, std::function<void()> ready) {
  impl_->subscriber = true;
  if (impl_->subs.want(channel, std::move(ready))) impl_->send_subscribe({channel});
  impl_->run(impl_->subs.ready_now(channel));
}

void connection::unsubscribe(std::string const& channel) {
  if (!impl_->subs.drop(channel)) return;
  if (impl_->state != impl::link::up || impl_->ac == nullptr) return;
  // hiredis routes the confirmation to the channel's subscribe callback.
  send_argv(impl_->ac, nullptr, nullptr, {"UNSUBSCRIBE", channel});
}

bool connection::connected() const noexcept {
  return impl_->state == impl::link::up;
}

std::uint64_t connection::connect_attempts() const noexcept {
  return impl_->attempts;
}

}  // namespace roundtable::redis
