// Wire helpers of the load generator: simdjson on-demand reading of server objects in
// one pass over the fields (order-independent, nested snapshot/error read in place),
// request builders, message stamps and the Engine.IO v4 framing.
#include "loadtest/wire.hpp"

#include <simdjson.h>

#include <charconv>
#include <utility>

namespace loadtest {

struct object_reader::impl {
  simdjson::ondemand::parser parser;
  std::string buffer;  // the input copied with simdjson's padding after it
};

object_reader::object_reader() : impl_(std::make_unique<impl>()) {}
object_reader::~object_reader() = default;

namespace {

using simdjson::ondemand::object;
using simdjson::ondemand::value;

bool read_snapshot(value& v, server_object& out) {
  object snap;
  if (v.get_object().get(snap)) return false;
  out.has_snapshot = true;
  for (auto f : snap) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return false;
    value& fv = field.value();
    if (key == "room") {
      if (fv.get_string().get(out.snapshot_room)) return false;
    } else if (key == "seq") {
      if (fv.get_int64().get(out.snapshot_seq)) return false;
    } else if (key == "epoch") {
      if (fv.get_int64().get(out.snapshot_epoch)) return false;
    }
  }
  return true;
}

bool read_error(value& v, server_object& out) {
  object err;
  if (v.get_object().get(err)) return false;
  for (auto f : err) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return false;
    if (key == "code" && field.value().get_string().get(out.error_code)) return false;
  }
  return true;
}

}  // namespace

bool object_reader::parse(std::string_view json, server_object& out) {
  out = server_object{};
  auto& buf = impl_->buffer;
  buf.assign(json);
  buf.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (impl_->parser.iterate(buf.data(), buf.size(), buf.capacity()).get(doc)) return false;
  object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto f : obj) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return false;
    value& v = field.value();
    simdjson::error_code ec = simdjson::SUCCESS;
    if (key == "type") {
      ec = v.get_string().get(out.type);
    } else if (key == "rid") {
      ec = v.get_int64().get(out.rid);
    } else if (key == "ok") {
      ec = v.get_bool().get(out.ok);
    } else if (key == "room") {
      ec = v.get_string().get(out.room);
    } else if (key == "seq") {
      ec = v.get_int64().get(out.seq);
    } else if (key == "epoch") {
      ec = v.get_int64().get(out.epoch);
    } else if (key == "text") {
      ec = v.get_string().get(out.text);
    } else if (key == "snapshot" || key == "plenary") {
      // join replies carry `snapshot`, hello replies the `plenary` one.
      if (!read_snapshot(v, out)) return false;
    } else if (key == "error") {
      if (!read_error(v, out)) return false;
    }
    if (ec) return false;
  }
  return !out.type.empty();
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string make_hello(std::int64_t rid, std::string_view name) {
  std::string s = R"({"op":"hello","rid":)" + std::to_string(rid) + R"(,"name":)";
  append_json_string(s, name);
  s.push_back('}');
  return s;
}

std::string make_join(std::int64_t rid, std::string_view table) {
  std::string s = R"({"op":"join","rid":)" + std::to_string(rid) + R"(,"table":)";
  append_json_string(s, table);
  s.push_back('}');
  return s;
}

std::string make_say(std::int64_t rid, std::string_view room, std::string_view text) {
  std::string s;
  s.reserve(48 + room.size() + text.size());
  s = R"({"op":"say","rid":)" + std::to_string(rid) + R"(,"room":)";
  append_json_string(s, room);
  s.append(R"(,"text":)");
  append_json_string(s, text);
  s.push_back('}');
  return s;
}

std::string make_stamp(std::int64_t sent_ns, std::int64_t tag, std::size_t size) {
  std::string s = "t=" + std::to_string(sent_ns) + " p=" + std::to_string(tag);
  if (s.size() < size) {
    s.push_back(' ');
    s.resize(size, '.');
  }
  return s;
}

bool read_stamp(std::string_view text, std::int64_t& sent_ns, std::int64_t& tag) {
  if (!text.starts_with("t=")) return false;
  char const* p = text.data() + 2;
  char const* end = text.data() + text.size();
  auto r = std::from_chars(p, end, sent_ns);
  if (r.ec != std::errc{} || end - r.ptr < 3 || r.ptr[0] != ' ' || r.ptr[1] != 'p' ||
      r.ptr[2] != '=')
    return false;
  return std::from_chars(r.ptr + 3, end, tag).ec == std::errc{};
}

namespace socketio {

std::string wrap(std::string_view json) {
  std::string s;
  s.reserve(json.size() + 9);
  s.append(R"(42["op",)");
  s.append(json);
  s.push_back(']');
  return s;
}

packet classify(std::string_view m, std::string_view& json) {
  if (m.empty()) return packet::other;
  switch (m[0]) {
    case '0':
      return packet::open;
    case '1':
      return packet::disconnect;
    case '2':
      return packet::ping;
    case '4':
      break;
    default:
      return packet::other;
  }
  if (m.size() < 2) return packet::other;
  switch (m[1]) {
    case '0':
      return packet::connected;
    case '1':
      return packet::disconnect;
    case '4':
      return packet::error;
    case '2': {
      // 42["name",{...}]: the argument starts after the name's closing quote and comma.
      auto const name_end = m.find("\",", 3);
      if (name_end == std::string_view::npos || m.back() != ']') return packet::other;
      json = m.substr(name_end + 2, m.size() - (name_end + 2) - 1);
      return packet::event;
    }
    default:
      return packet::other;
  }
}

}  // namespace socketio

}  // namespace loadtest
