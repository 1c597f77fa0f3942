// Stable strings for the protocol error codes and their std::error_category.
#include "protocol/error.hpp"

namespace roundtable::protocol {

std::string_view to_string(error_code c) noexcept {
  switch (c) {
    case error_code::bad_request: return "bad_request";
    case error_code::unauthorized: return "unauthorized";
    case error_code::forbidden: return "forbidden";
    case error_code::not_found: return "not_found";
    case error_code::full: return "full";
    case error_code::rate_limited: return "rate_limited";
    case error_code::too_large: return "too_large";
    case error_code::unavailable: return "unavailable";
    case error_code::internal: return "internal";
  }
  return "internal";
}

namespace {
class category final : public std::error_category {
 public:
  char const* name() const noexcept override { return "roundtable.protocol"; }
  std::string message(int ev) const override {
    return std::string(to_string(static_cast<error_code>(ev)));
  }
};
}  // namespace

std::error_category const& error_category() noexcept {
  static category const instance;
  return instance;
}

}  // namespace roundtable::protocol
