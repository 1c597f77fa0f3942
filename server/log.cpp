// JSON-lines logger.
#include "server/log.hpp"

#include "protocol/json_writer.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace roundtable::log {

namespace {
std::atomic<level> threshold{level::info};

char const* name_of(level l) {
  switch (l) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}
}  // namespace

bool set_level(std::string_view name) {
  for (auto l : {level::debug, level::info, level::warn, level::error}) {
    if (name == name_of(l)) {
      threshold = l;
      return true;
    }
  }
  return false;
}

bool enabled(level l) noexcept {
  return l >= threshold.load(std::memory_order_relaxed);
}

void write(level l, std::string_view what, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  protocol::json_writer w;
  auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  w.begin_object()
      .field("ts", static_cast<std::int64_t>(ms))
      .field("level", name_of(l))
      .field("msg", what);
  for (auto const& [k, v] : fields) w.field(k, v);
  w.end_object();
  auto line = w.release();
  line.push_back('\n');
  // One fwrite per line keeps lines whole across threads.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace roundtable::log
