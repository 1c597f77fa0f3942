// What the load generator reads and writes on the wire: the few fields it needs from a
// server object (read by a one-pass scanner), the requests it sends, the stamp it
// embeds in message texts, and the Socket.IO (Engine.IO v4) framing around them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace loadtest {

// The fields of one server object the scenarios look at. Views point into the reader's
// buffers and stay valid until its next parse.
struct server_object {
  std::string_view type;
  std::int64_t rid = -1;
  bool ok = false;
  std::string_view error_code;
  // Room events (`message` and the like).
  std::string_view room;
  std::int64_t seq = -1;
  std::int64_t epoch = -1;
  std::string_view text;
  // A reply that carries a `snapshot` (join) or a `plenary` snapshot (hello).
  bool has_snapshot = false;
  std::string_view snapshot_room;
  std::int64_t snapshot_seq = -1;
  std::int64_t snapshot_epoch = -1;
};

// Parses server objects; one per thread (holds the buffer of decoded strings).
class object_reader {
 public:
  object_reader();
  ~object_reader();
  object_reader(object_reader const&) = delete;
  object_reader& operator=(object_reader const&) = delete;
  // Parses one JSON object; false when it is not valid JSON or not an object.
  bool parse(std::string_view json, server_object& out);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Appends s as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

std::string make_hello(std::int64_t rid, std::string_view name);
std::string make_join(std::int64_t rid, std::string_view table);
std::string make_say(std::int64_t rid, std::string_view room, std::string_view text);

// The text of a timed message: "t=<sent ns> p=<publisher tag>", padded with '.' to at
// least `size` bytes so message size can be chosen.
std::string make_stamp(std::int64_t sent_ns, std::int64_t tag, std::size_t size);
// Reads a stamp back; false when the text is not one.
bool read_stamp(std::string_view text, std::int64_t& sent_ns, std::int64_t& tag);

// Engine.IO v4 / Socket.IO framing over one WebSocket. Client requests go out as the
// event "op" with the Roundtable-shaped object as its argument; the peer answers with
// events whose one argument is a Roundtable-shaped object, which unwrap() returns.
namespace socketio {
inline constexpr std::string_view path = "/socket.io/?EIO=4&transport=websocket";
std::string wrap(std::string_view json);
enum class packet { open, ping, connected, event, disconnect, error, other };
// Classifies one Engine.IO message; for `event` sets json to the event's argument.
packet classify(std::string_view message, std::string_view& json);
}  // namespace socketio

}  // namespace loadtest
