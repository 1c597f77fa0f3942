// roundtable-ceiling: the fan-out ceiling peer of the benchmarks. A from-scratch,
// single-threaded epoll WebSocket server speaking the subset of Roundtable's protocol the
// load generator uses (hello, join as a hop with a snapshot, say; `message` and
// `presence` events with a gapless seq per room, the same objects as the Node peers),
// built to do the least work per delivery this machine allows: each event is framed once
// (an unmasked server frame, header and payload in one string) and those bytes are
// appended to every member's one contiguous output buffer; every buffer that grew in a
// loop iteration leaves with one send() at the end of the iteration. It is the physical
// limit of fan-out here, a measuring stick rather than a server: no history, no auth, no
// timeouts, one bound (an output buffer over 64 MiB closes the connection).
//
//   roundtable-ceiling --host 127.0.0.1 --port 0 --event event.json
// prints "listening on HOST:PORT".
#include "loadtest/wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <simdjson.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using loadtest::append_json_string;

// Past this many unsent bytes a client is not reading: drop it rather than grow.
constexpr std::size_t max_output_bytes = 64u << 20;
// Drained output buffers up to this capacity are kept for reuse (at most max_spares of
// them), bigger ones are freed: idle connections hold no buffer, busy ones allocate none.
constexpr std::size_t kept_output_capacity = 1u << 20;
constexpr std::size_t max_spares = 1024;
// The largest request head and client message accepted.
constexpr std::size_t max_input_bytes = 64u << 10;

// Appends an unmasked, final text frame holding `payload`.
void append_frame(std::string& out, std::string_view payload, unsigned char opcode = 0x1) {
  auto const n = payload.size();
  out.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  out.append(payload);
}

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2).
std::string accept_key(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<unsigned char const*>(s.data()), s.size(), digest);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int const n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char const*>(b64), static_cast<std::size_t>(n));
}

// The value of header `name` (case-insensitive) in an HTTP request head, or empty.
std::string_view header_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    auto const start = pos + 2;
    auto const end = head.find("\r\n", start);
    auto const line = head.substr(start, end - start);
    auto const colon = line.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      auto v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    }
    pos = end;
  }
  return {};
}

struct room;

struct conn {
  int fd = -1;
  bool upgraded = false;
  bool named = false;
  bool dirty = false;       // in the server's dirty list
  bool want_write = false;  // EPOLLOUT armed: the kernel buffer was full
  bool over_bound = false;  // output over max_output_bytes: to be dropped
  bool dead = false;
  std::string in;            // bytes of an incomplete request head or frame
  std::string out;           // bytes not yet sent start at out[out_sent]
  std::size_t out_sent = 0;  // compacted lazily: no memmove per partial send
  std::string id;
  std::string name_json;  // the name as a JSON string literal
  room* table = nullptr;
  std::size_t slot[2] = {0, 0};  // index in plenary.members and table->members
};

struct room {
  std::string id;
  std::string topic;
  int index = 0;  // 0 for the plenary (slot 0), 1 for tables (slot 1)
  std::int64_t seq = 0;
  std::vector<conn*> members;

  void add(conn* c) {
    c->slot[index] = members.size();
    members.push_back(c);
  }
  void remove(conn* c) {
    auto const i = c->slot[index];
    if (i >= members.size() || members[i] != c) return;
    members[i] = members.back();
    members[i]->slot[index] = i;
    members.pop_back();
  }
};

struct event_config {
  std::string id = "demo";
  std::string title = "Demo";
  std::vector<std::pair<std::string, std::string>> tables;  // id, topic
};

class ceiling_server {
 public:
  explicit ceiling_server(event_config ev);
  // Binds and listens; returns the port or -1.
  int listen_on(std::string const& host, int port);
  void run();

 private:
  void accept_all();
  void on_readable(conn* c);
  // Consumes complete requests/frames from [p, p+n); returns the bytes consumed.
  std::size_t consume(conn* c, char const* p, std::size_t n);
  std::size_t upgrade(conn* c, std::string_view data);
  void on_text(conn* c, std::string_view json);
  void hello(conn* c, std::string_view rid, std::string_view name);
  void join(conn* c, std::string_view rid, std::string_view table);
  void say(conn* c, std::string_view rid, std::string_view room_id, std::string_view text);
  // Gives `body` (an object's fields after room/seq/epoch, closing brace included) the
  // room's next seq, frames it once and appends the frame to every member.
  void publish(room& r, std::string_view body);
  void reply(conn* c, std::string_view rid, std::string_view extra = {});
  void fail(conn* c, std::string_view rid, std::string_view code, std::string_view message);
  void send_raw(conn* c, std::string_view frame);
  void mark_dirty(conn* c);
  // Takes `b`'s memory into the spares (or frees it), leaving `b` empty.
  void give_buffer(std::string& b);
  void snapshot(std::string& out, room const& r) const;
  void flush();
  void kill(conn* c);
  // Drops the connections whose output went over its bound (their leaving publishes
  // presence, which may push others over theirs).
  void drop_over_bound();
  void reap();

  event_config event_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  std::unordered_map<std::string, std::unique_ptr<room>> rooms_;
  room* plenary_ = nullptr;
  std::vector<std::unique_ptr<conn>> by_fd_;
  std::vector<conn*> dirty_;
  std::vector<conn*> dead_;
  std::vector<conn*> over_bound_;
  std::vector<std::string> spares_;  // drained output buffers, reused by the next writer
  std::vector<char> scratch_;        // recv buffer shared by every connection
  std::string message_;              // one unmasked client message, with simdjson padding
  std::string body_;                 // event under construction
  std::string frame_;                // the framed event, shared by every member
  simdjson::ondemand::parser parser_;
  std::uint64_t next_id_ = 1;
};

ceiling_server::ceiling_server(event_config ev) : event_(std::move(ev)), scratch_(256 * 1024) {
  auto p = std::make_unique<room>();
  p->id = "plenary";
  p->topic = event_.title;
  plenary_ = p.get();
  rooms_.emplace(p->id, std::move(p));
  for (auto const& [id, topic] : event_.tables) {
    auto t = std::make_unique<room>();
    t->id = id;
    t->topic = topic;
    t->index = 1;
    rooms_.emplace(id, std::move(t));
  }
}

int ceiling_server::listen_on(std::string const& host, int port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return -1;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  if (listen(listen_fd_, 4096) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  return ntohs(a.sin_port);
}

void ceiling_server::run() {
  std::vector<epoll_event> events(1024);
  for (;;) {
    int const n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) {
      std::perror("epoll_wait");
      return;
    }
    for (int i = 0; i < n; ++i) {
      int const fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
        continue;
      }
      conn* c = by_fd_[static_cast<std::size_t>(fd)].get();
      if (!c || c->dead) continue;
      if (events[i].events & EPOLLOUT) mark_dirty(c);
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
    drop_over_bound();
    flush();
    reap();
  }
}

void ceiling_server::accept_all() {
  for (;;) {
    int const fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) std::perror("accept");
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto const i = static_cast<std::size_t>(fd);
    if (by_fd_.size() <= i) by_fd_.resize(i + 1);
    by_fd_[i] = std::make_unique<conn>();
    by_fd_[i]->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void ceiling_server::on_readable(conn* c) {
  ssize_t const got = recv(c->fd, scratch_.data(), scratch_.size(), 0);
  if (got <= 0) {
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    return kill(c);
  }
  auto const n = static_cast<std::size_t>(got);
  if (c->in.empty()) {
    // The common case: whole frames, parsed in place from the shared buffer.
    auto const used = consume(c, scratch_.data(), n);
    if (!c->dead && used < n) c->in.assign(scratch_.data() + used, n - used);
  } else {
    c->in.append(scratch_.data(), n);
    auto const used = consume(c, c->in.data(), c->in.size());
    c->in.erase(0, used);
    if (c->in.empty()) std::string().swap(c->in);
  }
  if (c->in.size() > max_input_bytes + 14) kill(c);
}

std::size_t ceiling_server::consume(conn* c, char const* p, std::size_t n) {
  std::size_t used = 0;
  if (!c->upgraded) {
    used = upgrade(c, std::string_view(p, n));
    if (!c->upgraded) return used;
  }
  while (!c->dead) {
    auto const* b = reinterpret_cast<unsigned char const*>(p + used);
    std::size_t const avail = n - used;
    if (avail < 2) break;
    std::size_t len = b[1] & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (std::size_t{b[2]} << 8) | b[3];
      head = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      head = 10;
    }
    bool const fin = (b[0] & 0x80) != 0;
    bool const masked = (b[1] & 0x80) != 0;
    // Client frames must be masked; fragmented messages are not part of the subset.
    if (!fin || !masked || len > max_input_bytes) {
      kill(c);
      break;
    }
    if (avail < head + 4 + len) break;
    unsigned char const* mask = b + head;
    unsigned char const* data = b + head + 4;
    message_.resize(len + simdjson::SIMDJSON_PADDING);
    for (std::size_t i = 0; i < len; ++i) message_[i] = static_cast<char>(data[i] ^ mask[i & 3]);
    used += head + 4 + len;
    switch (b[0] & 0x0f) {
      case 0x1:
        on_text(c, std::string_view(message_.data(), len));
        break;
      case 0x8:  // close: echo it and hang up
        send_raw(c, std::string_view("\x88\x00", 2));
        kill(c);
        break;
      case 0x9:  // ping: pong with the same payload
        frame_.clear();
        append_frame(frame_, std::string_view(message_.data(), len), 0xA);
        send_raw(c, frame_);
        break;
      case 0xA:
        break;
      default:
        kill(c);
    }
  }
  return used;
}

std::size_t ceiling_server::upgrade(conn* c, std::string_view data) {
  auto const end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > max_input_bytes) kill(c);
    return 0;
  }
  auto const head = data.substr(0, end + 2);
  auto const key = header_value(head, "Sec-WebSocket-Key");
  if (!head.starts_with("GET /ws") || key.empty()) {
    send_raw(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    kill(c);
    return end + 4;
  }
  std::string res =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  res += accept_key(key);
  res += "\r\n\r\n";
  send_raw(c, res);
  c->upgraded = true;
  c->id = "p" + std::to_string(next_id_++);
  return end + 4;
}

void ceiling_server::on_text(conn* c, std::string_view json) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser_.iterate(json.data(), json.size(), json.size() + simdjson::SIMDJSON_PADDING)
          .get(doc) ||
      doc.get_object().get(obj)) {
    return fail(c, "null", "bad_request", "not JSON");
  }
  std::string_view op, rid = "null", name, table, room_id, text;
  for (auto f : obj) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) {
      return fail(c, "null", "bad_request", "not JSON");
    }
    auto& v = field.value();
    simdjson::error_code ec = simdjson::SUCCESS;
    if (key == "op") {
      ec = v.get_string().get(op);
    } else if (key == "rid") {
      rid = v.raw_json_token();
    } else if (key == "name") {
      name = v.raw_json_token();
    } else if (key == "table") {
      ec = v.get_string().get(table);
    } else if (key == "room") {
      ec = v.get_string().get(room_id);
    } else if (key == "text") {
      text = v.raw_json_token();  // re-sent as it came, already a JSON string
    }
    if (ec) return fail(c, rid, "bad_request", "bad field");
  }
  while (!rid.empty() && rid.back() == ' ') rid.remove_suffix(1);
  if (op == "hello") return hello(c, rid, name);
  if (!c->named) return fail(c, rid, "unauthorized", "hello first");
  if (op == "join") return join(c, rid, table);
  if (op == "say") return say(c, rid, room_id, text);
  if (op == "ping") return reply(c, rid);
  fail(c, rid, "bad_request", "unknown op");
}

void ceiling_server::hello(conn* c, std::string_view rid, std::string_view name) {
  if (c->named) return fail(c, rid, "bad_request", "hello was already sent");
  c->named = true;
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  c->name_json = name.starts_with('"') ? std::string(name) : std::string("\"anon\"");
  plenary_->add(c);
  std::string extra = R"(,"you":{"id":")" + c->id + R"(","name":)" + c->name_json +
                      R"(,"role":"participant","table":null},"event":{"id":)";
  append_json_string(extra, event_.id);
  extra += R"(,"title":)";
  append_json_string(extra, event_.title);
  extra += R"(,"phase":"roundtables"},"tables":[)";
  for (std::size_t i = 0; i < event_.tables.size(); ++i) {
    auto const& t = *rooms_.at(event_.tables[i].first);
    if (i) extra += ',';
    extra += R"({"id":)";
    append_json_string(extra, t.id);
    extra += R"(,"topic":)";
    append_json_string(extra, t.topic);
    extra += R"(,"moderator":null,"count":)" + std::to_string(t.members.size()) +
             R"(,"capacity":null,"open":true})";
  }
  extra += R"(],"plenary":)";
  snapshot(extra, *plenary_);
  reply(c, rid, extra);
}

void ceiling_server::join(conn* c, std::string_view rid, std::string_view table) {
  auto it = rooms_.find(std::string(table));
  if (it == rooms_.end() || it->second.get() == plenary_) {
    return fail(c, rid, "not_found", "no such table");
  }
  room& r = *it->second;
  if (c->table != &r) {
    if (c->table) {
      c->table->remove(c);
      publish(*c->table, R"("type":"presence","left":")" + c->id + "\"}");
    }
    publish(r, R"("type":"presence","joined":{"id":")" + c->id + R"(","name":)" + c->name_json +
                   R"(,"role":"participant"}})");
    r.add(c);
    c->table = &r;
  }
  std::string extra = R"(,"snapshot":)";
  snapshot(extra, r);
  reply(c, rid, extra);
}

void ceiling_server::say(conn* c, std::string_view rid, std::string_view room_id,
                         std::string_view text) {
  room* r =
      room_id == "plenary" ? plenary_ : (c->table && c->table->id == room_id ? c->table : nullptr);
  if (!r) return fail(c, rid, "forbidden", "not a member");
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.starts_with('"')) return fail(c, rid, "bad_request", "text must be a string");
  auto const ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string body = R"("type":"message","id":"m)" + std::to_string(r->seq + 1) +
                     R"(","from":{"id":")" + c->id + R"(","name":)" + c->name_json +
                     R"(,"role":"participant"},"text":)";
  body.append(text);
  body += R"(,"ts":)" + std::to_string(ts) + "}";
  publish(*r, body);
  reply(c, rid);
}

void ceiling_server::publish(room& r, std::string_view body) {
  ++r.seq;
  body_ = R"({"room":)";
  append_json_string(body_, r.id);
  body_ += R"(,"seq":)" + std::to_string(r.seq) + R"(,"epoch":1,)";
  body_.append(body);
  frame_.clear();
  append_frame(frame_, body_);
  for (conn* m : r.members) send_raw(m, frame_);
}

void ceiling_server::reply(conn* c, std::string_view rid, std::string_view extra) {
  body_ = R"({"type":"reply","rid":)";
  body_.append(rid);
  body_ += R"(,"ok":true)";
  body_.append(extra);
  body_ += '}';
  frame_.clear();
  append_frame(frame_, body_);
  send_raw(c, frame_);
}

void ceiling_server::fail(conn* c, std::string_view rid, std::string_view code,
                          std::string_view message) {
  body_ = R"({"type":"reply","rid":)";
  body_.append(rid);
  body_ += R"(,"ok":false,"error":{"code":")";
  body_.append(code);
  body_ += R"(","message":)";
  append_json_string(body_, message);
  body_ += "}}";
  frame_.clear();
  append_frame(frame_, body_);
  send_raw(c, frame_);
}

// Appends bytes to the connection's output; they leave at the end of the iteration.
void ceiling_server::send_raw(conn* c, std::string_view bytes) {
  if (c->dead || c->over_bound) return;
  if (c->out.empty() && !spares_.empty() && c->out.capacity() < spares_.back().capacity()) {
    c->out.swap(spares_.back());
    spares_.pop_back();
  }
  c->out.append(bytes);
  if (c->out.size() - c->out_sent > max_output_bytes) {
    // Not at once: a publish may be walking the member list this would change.
    c->over_bound = true;
    std::string().swap(c->out);
    c->out_sent = 0;
    over_bound_.push_back(c);
    return;
  }
  // While the kernel buffer is full, EPOLLOUT says when to try again.
  if (!c->want_write) mark_dirty(c);
}

void ceiling_server::give_buffer(std::string& b) {
  b.clear();
  if (spares_.size() < max_spares && b.capacity() <= kept_output_capacity &&
      b.capacity() > std::string().capacity()) {
    spares_.push_back(std::move(b));
  }
  std::string().swap(b);
}

void ceiling_server::mark_dirty(conn* c) {
  if (c->dirty) return;
  c->dirty = true;
  dirty_.push_back(c);
}

void ceiling_server::snapshot(std::string& out, room const& r) const {
  out += R"({"room":)";
  append_json_string(out, r.id);
  out += R"(,"epoch":1,"seq":)" + std::to_string(r.seq) + R"(,"topic":)";
  append_json_string(out, r.topic);
  out += R"(,"moderator":null,"participants":[],"messages":[],"insights":[],"hands":[],)"
         R"("timer":null,"summary":null})";
}

// One send per connection that has output: the corked frames of the whole iteration.
void ceiling_server::flush() {
  for (conn* c : dirty_) {
    c->dirty = false;
    if (c->fd < 0 || c->out.empty()) continue;
    auto const pending = c->out.size() - c->out_sent;
    ssize_t const sent =
        send(c->fd, c->out.data() + c->out_sent, pending, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && errno != EAGAIN && errno != EINTR) {
      kill(c);
      continue;
    }
    c->out_sent += sent < 0 ? std::size_t{0} : static_cast<std::size_t>(sent);
    if (c->out_sent == c->out.size()) {
      // Drained: the buffer goes back to the spares, so an idle connection holds none.
      c->out_sent = 0;
      give_buffer(c->out);
    } else if (c->out_sent > c->out.size() / 2) {
      c->out.erase(0, c->out_sent);
      c->out_sent = 0;
    }
    bool const want = !c->out.empty();
    if (want != c->want_write && !c->dead) {
      c->want_write = want;
      epoll_event ev{};
      ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
      ev.data.fd = c->fd;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
    }
  }
  dirty_.clear();
}

// Leaves the rooms at once; the descriptor closes at the end of the iteration, so that
// its number is not reused while the dirty list may still point at this connection.
void ceiling_server::kill(conn* c) {
  if (c->dead) return;
  c->dead = true;
  if (c->named) plenary_->remove(c);
  if (c->table) {
    c->table->remove(c);
    publish(*c->table, R"("type":"presence","left":")" + c->id + "\"}");
    c->table = nullptr;
  }
  dead_.push_back(c);
}

void ceiling_server::drop_over_bound() {
  while (!over_bound_.empty()) {
    auto doomed = std::move(over_bound_);
    over_bound_.clear();
    for (conn* c : doomed) kill(c);
  }
}

void ceiling_server::reap() {
  for (conn* c : dead_) {
    // A final close or error reply may still be queued: try it once.
    if (c->out.size() > c->out_sent) {
      send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent,
           MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    int const fd = c->fd;
    close(fd);
    by_fd_[static_cast<std::size_t>(fd)].reset();
  }
  dead_.clear();
}

bool load_event(char const* file, event_config& ev) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(file).get(doc)) return false;
  std::string_view s;
  if (!doc["id"].get(s)) ev.id = s;
  if (!doc["title"].get(s)) ev.title = s;
  simdjson::dom::array tables;
  if (doc["tables"].get(tables)) return false;
  for (auto t : tables) {
    std::string_view id, topic;
    if (t["id"].get(id)) return false;
    if (t["topic"].get(topic)) topic = id;
    ev.tables.emplace_back(std::string(id), std::string(topic));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  event_config ev;
  ev.tables = {{"synergies", "Synergies and sustainability"},
               {"big-data", "Big data for open governance"},
               {"inclusiveness", "Inclusiveness"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view const a = argv[i];
    if (a == "--host") {
      host = argv[i + 1];
    } else if (a == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (a == "--event") {
      ev = event_config{};
      if (!load_event(argv[i + 1], ev)) {
        std::fprintf(stderr, "cannot read the event file %s\n", argv[i + 1]);
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: roundtable-ceiling [--host H] [--port P] [--event FILE]\n");
      return 2;
    }
  }
  ceiling_server server(std::move(ev));
  int const bound = server.listen_on(host, port);
  if (bound < 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("listening on %s:%d\n", host.c_str(), bound);
  std::fflush(stdout);
  server.run();
  return 1;
}
