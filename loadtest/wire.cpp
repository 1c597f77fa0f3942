// Wire helpers of the load generator: a one-pass scanner reading the few fields of a
// server object it checks (order-independent, nested snapshot/error read in place),
// request builders, message stamps and the Engine.IO v4 framing.
#include "loadtest/wire.hpp"

#include <charconv>
#include <utility>

namespace loadtest {

struct object_reader::impl {
  std::string decoded;  // unescaped strings; reserved per parse so views stay valid
};

object_reader::object_reader() : impl_(std::make_unique<impl>()) {}
object_reader::~object_reader() = default;

namespace {

// A single-pass scanner over one JSON object: it finds the top-level keys and the raw
// text of their values, skipping nested values by bracket depth (strings honoured), and
// checks the structure it walks (balanced brackets, strings closed, separators in place)
// without validating numbers or literals it never reads. The generator reads a handful
// of fields from every delivery; a full parse of each one cost as much as the server's
// work to send it.
class scanner {
 public:
  explicit scanner(std::string_view s) : s_(s) {}

  // Calls fn(key, raw_value) for each member; false when the text is not an object.
  template <class F>
  bool members(F&& fn) {
    skip_ws();
    if (!eat('{')) return false;
    skip_ws();
    if (eat('}')) return at_end();
    for (;;) {
      std::string_view key;
      if (!string_body(key)) return false;
      skip_ws();
      if (!eat(':')) return false;
      skip_ws();
      auto const start = i_;
      if (!skip_value()) return false;
      if (!fn(key, s_.substr(start, i_ - start))) return false;
      skip_ws();
      if (eat('}')) return at_end();
      if (!eat(',')) return false;
      skip_ws();
    }
  }

 private:
  bool at_end() {
    skip_ws();
    return i_ == s_.size();
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  // A string at i_: out is its raw content (escapes left in place).
  bool string_body(std::string_view& out) {
    if (!eat('"')) return false;
    auto const start = i_;
    while (i_ < s_.size()) {
      char const c = s_[i_];
      if (c == '"') {
        out = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      i_ += c == '\\' ? 2 : 1;
    }
    return false;
  }
  bool skip_value() {
    if (i_ >= s_.size()) return false;
    char const c = s_[i_];
    if (c == '"') {
      std::string_view ignored;
      return string_body(ignored);
    }
    if (c != '{' && c != '[') {
      // A number or a literal: up to the next separator.
      auto const start = i_;
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ')
        ++i_;
      return i_ > start;
    }
    int depth = 0;
    while (i_ < s_.size()) {
      char const d = s_[i_];
      if (d == '"') {
        std::string_view ignored;
        if (!string_body(ignored)) return false;
        continue;
      }
      ++i_;
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A raw string value (quotes included) as its text; escapes are decoded into `arena`
// (reserved by the caller so that earlier views stay valid). False if not a string.
bool read_string(std::string_view raw, std::string& arena, std::string_view& out) {
  if (raw.size() < 2 || raw.front() != '"') return false;
  raw = raw.substr(1, raw.size() - 2);
  if (raw.find('\\') == std::string_view::npos) {
    out = raw;
    return true;
  }
  auto const start = arena.size();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      arena.push_back(raw[i]);
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case 'n':
        arena.push_back('\n');
        break;
      case 't':
        arena.push_back('\t');
        break;
      case 'r':
        arena.push_back('\r');
        break;
      case 'b':
        arena.push_back('\b');
        break;
      case 'f':
        arena.push_back('\f');
        break;
      case 'u': {
        unsigned cp = 0;
        if (i + 4 >= raw.size()) return false;
        if (std::from_chars(raw.data() + i + 1, raw.data() + i + 5, cp, 16).ec != std::errc{})
          return false;
        append_utf8(arena, cp);
        i += 4;
        break;
      }
      default:
        arena.push_back(raw[i]);  // \" \\ \/
    }
  }
  out = std::string_view(arena).substr(start);
  return true;
}

bool read_int(std::string_view raw, std::int64_t& out) {
  return std::from_chars(raw.data(), raw.data() + raw.size(), out).ec == std::errc{};
}

bool read_snapshot(std::string_view raw, std::string& arena, server_object& out) {
  out.has_snapshot = true;
  return scanner(raw).members([&](std::string_view key, std::string_view v) {
    if (key == "room") return read_string(v, arena, out.snapshot_room);
    if (key == "seq") return read_int(v, out.snapshot_seq);
    if (key == "epoch") return read_int(v, out.snapshot_epoch);
    return true;
  });
}

bool read_error(std::string_view raw, std::string& arena, server_object& out) {
  return scanner(raw).members([&](std::string_view key, std::string_view v) {
    return key != "code" || read_string(v, arena, out.error_code);
  });
}

}  // namespace

bool object_reader::parse(std::string_view json, server_object& out) {
  out = server_object{};
  auto& arena = impl_->decoded;
  arena.clear();
  arena.reserve(json.size());
  bool const ok = scanner(json).members([&](std::string_view key, std::string_view v) {
    if (key == "type") return read_string(v, arena, out.type);
    if (key == "rid") return v == "null" || read_int(v, out.rid);
    if (key == "ok") {
      out.ok = v == "true";
      return v == "true" || v == "false";
    }
    if (key == "room") return read_string(v, arena, out.room);
    if (key == "seq") return read_int(v, out.seq);
    if (key == "epoch") return read_int(v, out.epoch);
    if (key == "text") return read_string(v, arena, out.text);
    // join replies carry `snapshot`, hello replies the `plenary` one.
    if (key == "snapshot" || key == "plenary") return read_snapshot(v, arena, out);
    if (key == "error") return read_error(v, arena, out);
    return true;
  });
  return ok && !out.type.empty();
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
