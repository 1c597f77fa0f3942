// Structured logs: one JSON object per line on stderr, with a level filter.
// Never log a token or, at info level, what a participant wrote.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace roundtable::log {

enum class level { debug, info, warn, error };

// Sets the minimum level from its name; returns false for an unknown name.
bool set_level(std::string_view name);
bool enabled(level l) noexcept;

using field = std::pair<std::string_view, std::string>;
void write(level l, std::string_view what, std::initializer_list<field> fields = {});

inline void info(std::string_view what, std::initializer_list<field> f = {}) {
  write(level::info, what, f);
}
inline void warn(std::string_view what, std::initializer_list<field> f = {}) {
  write(level::warn, what, f);
}
inline void error(std::string_view what, std::initializer_list<field> f = {}) {
  write(level::error, what, f);
}
inline void debug(std::string_view what, std::initializer_list<field> f = {}) {
  write(level::debug, what, f);
}

}  // namespace roundtable::log
