// The one JSON writer: every server message is built with it, so escaping and
// UTF-8 validity are decided in one place. It appends to a std::string and tracks
// commas with a small stack; misuse (a value where a key is due) is a bug: assert.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace roundtable::protocol {

class json_writer {
 public:
  json_writer() { out_.reserve(256); }

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);

  json_writer& value(std::string_view s);
  json_writer& value(char const* s) { return value(std::string_view(s)); }
  json_writer& value(std::int64_t n);
  json_writer& value(std::uint64_t n);
  json_writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
  json_writer& value(bool b);
  json_writer& null();
  // Inserts already-serialized JSON (a nested object built elsewhere) as a value.
  json_writer& raw(std::string_view json);

  // key(k).value(v) in one call.
  template <class T>
  json_writer& field(std::string_view k, T const& v) {
    key(k);
    return value(v);
  }

  std::string const& str() const noexcept { return out_; }
  std::string release() noexcept { return std::move(out_); }
  bool complete() const noexcept { return depth_.empty(); }

 private:
  void before_value();

  std::string out_;
  // One entry per open container: true until its first element is written.
  std::vector<bool> depth_;
  bool after_key_ = false;
};

// Appends `s` as a JSON string (with quotes) to `out`. Control characters and
// quotes are escaped; invalid UTF-8 bytes are replaced by U+FFFD so the output is
// always valid UTF-8 whatever the input.
void append_json_string(std::string& out, std::string_view s);

// True when `s` is valid UTF-8.
bool valid_utf8(std::string_view s) noexcept;

// Empties the name of participant `id` wherever the event `json` (as this
// writer wrote it) holds it: a participant object {"id":..,"name":..,..} or a
// hand {"id":..,"name":..}. Returns true if it changed anything. For erasure.
bool blank_participant_name(std::string& json, std::string_view id);

}  // namespace roundtable::protocol
