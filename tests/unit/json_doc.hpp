// One parsed event or snapshot for the room unit tests, read by JSON pointer;
// the parser lives as long as the element.
#pragma once

#include <simdjson.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace roundtable {

class doc {
 public:
  explicit doc(std::string text) : text_(std::move(text)) {
    auto const err = parser_->parse(text_).get(root_);
    if (err) FAIL("invalid JSON from the room: " << text_);
  }
  std::string const& text() const { return text_; }
  bool has(std::string_view ptr) const {
    simdjson::dom::element e;
    return root_.at_pointer(ptr).get(e) == simdjson::SUCCESS;
  }
  std::string str(std::string_view ptr) const {
    std::string_view v;
    return root_.at_pointer(ptr).get(v) ? std::string() : std::string(v);
  }
  std::int64_t num(std::string_view ptr) const {
    std::int64_t v = -1;
    return root_.at_pointer(ptr).get(v) ? -1 : v;
  }
  bool boolean(std::string_view ptr) const {
    bool v = false;
    return root_.at_pointer(ptr).get(v) ? false : v;
  }
  bool is_null(std::string_view ptr) const {
    simdjson::dom::element e;
    return root_.at_pointer(ptr).get(e) == simdjson::SUCCESS && e.is_null();
  }
  std::size_t size(std::string_view ptr) const {
    simdjson::dom::array a;
    return root_.at_pointer(ptr).get(a) ? 0 : a.size();
  }

 private:
  std::string text_;
  std::unique_ptr<simdjson::dom::parser> parser_ = std::make_unique<simdjson::dom::parser>();
  simdjson::dom::element root_;
};

}  // namespace roundtable
