// JSON writer implementation: escaping and UTF-8 repair.
#include "protocol/json_writer.hpp"

#include <simdjson.h>

#include <cassert>
#include <charconv>

namespace roundtable::protocol {

bool valid_utf8(std::string_view s) noexcept { return simdjson::validate_utf8(s.data(), s.size()); }

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  auto const b = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    auto const b1 = static_cast<unsigned char>(s[i + 1]);
    if (b == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b == 0xED && b1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    auto const b1 = static_cast<unsigned char>(s[i + 1]);
    if (b == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  bool const utf8_ok = valid_utf8(s);
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t const n = utf8_ok ? 1 : utf8_sequence(s, i);
      if (n == 0) {
        out.append("\xEF\xBF\xBD");
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

void json_writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!depth_.empty()) {
    if (!depth_.back()) out_.push_back(',');
    depth_.back() = false;
  }
}

json_writer& json_writer::begin_object() {
  before_value();
  out_.push_back('{');
  depth_.push_back(true);
  return *this;
}

json_writer& json_writer::end_object() {
  assert(!depth_.empty() && !after_key_);
  depth_.pop_back();
  out_.push_back('}');
  return *this;
}

json_writer& json_writer::begin_array() {
  before_value();
  out_.push_back('[');
  depth_.push_back(true);
  return *this;
}

json_writer& json_writer::end_array() {
  assert(!depth_.empty() && !after_key_);
  depth_.pop_back();
  out_.push_back(']');
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  assert(!depth_.empty() && !after_key_);
  before_value();
  append_json_string(out_, k);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
  return *this;
}

json_writer& json_writer::value(std::int64_t n) {
  before_value();
  char buf[24];
  auto const r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, r.ptr);
  return *this;
}

json_writer& json_writer::value(std::uint64_t n) {
  before_value();
  char buf[24];
  auto const r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, r.ptr);
  return *this;
}

json_writer& json_writer::value(bool b) {
  before_value();
  out_.append(b ? "true" : "false");
  return *this;
}

json_writer& json_writer::null() {
  before_value();
  out_.append("null");
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  before_value();
  out_.append(json);
  return *this;
}

bool blank_participant_name(std::string& json, std::string_view id) {
  // The writer puts "name" right after "id" in both shapes, without spaces.
  std::string needle = "\"id\":";
  append_json_string(needle, id);
  needle += ",\"name\":\"";
  bool changed = false;
  for (auto at = json.find(needle); at != std::string::npos; at = json.find(needle, at)) {
    auto const start = at + needle.size();
    auto end = start;
    while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    if (end >= json.size()) break;  // not written by the writer: leave it
    changed = changed || end > start;
    json.erase(start, end - start);
    at = start;
  }
  return changed;
}

}  // namespace roundtable::protocol
