// Lobby rows shared between nodes: writing and taking them (server/glance.hpp).
#include "server/glance.hpp"

#include "protocol/json_writer.hpp"

#include <simdjson.h>

#include <utility>

namespace roundtable {

std::string glance_row(room_slot& s, std::uint64_t epoch, std::uint64_t lsn) {
  auto constexpr relaxed = std::memory_order_relaxed;
  protocol::json_writer w;
  w.begin_object()
      .field("epoch", epoch)
      .field("lsn", lsn)
      .field("count", s.count.load(relaxed))
      .field("open", s.open.load(relaxed))
      .field("hands", s.hands.load(relaxed))
      .field("moderated", s.moderated.load(relaxed))
      .field("timer_ends_at", s.timer_ends_at.load(relaxed))
      .field("summary", static_cast<std::int64_t>(s.summary.load(relaxed)))
      .field("help", s.help.load(relaxed))
      .key("mix")
      .begin_object();
  {
    std::lock_guard lock(s.mix_mutex);
    for (auto const& [group, n] : s.mix) w.field(group, n);
  }
  w.end_object().end_object();
  return w.release();
}

namespace {

struct row {
  std::uint64_t epoch = 0, lsn = 0;
  std::int64_t count = 0, hands = 0, timer_ends_at = 0, summary = 0;
  bool open = true, moderated = false, help = false;
  std::map<std::string, std::int64_t> mix;
};

bool parse(std::string_view text, row& r) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(simdjson::padded_string(text)).get(o)) return false;
  simdjson::dom::object mix;
  if (o["epoch"].get(r.epoch) || o["lsn"].get(r.lsn) || o["count"].get(r.count) ||
      o["open"].get(r.open) || o["hands"].get(r.hands) || o["moderated"].get(r.moderated) ||
      o["timer_ends_at"].get(r.timer_ends_at) || o["summary"].get(r.summary) ||
      o["help"].get(r.help) || o["mix"].get(mix) || r.summary < 0 || r.summary > 2) {
    return false;
  }
  for (auto field : mix) {
    std::int64_t n = 0;
    if (field.value.get(n)) return false;
    r.mix.emplace(std::string(field.key), n);
  }
  return true;
}

}  // namespace

bool take_glance_row(room_slot& s, std::string_view text) {
  row r;
  if (!parse(text, r)) return false;
  if (std::pair(r.epoch, r.lsn) <= std::pair(s.glance_epoch, s.glance_lsn)) return false;
  s.glance_epoch = r.epoch;
  s.glance_lsn = r.lsn;
  bool changed = s.count.exchange(r.count) != r.count;
  changed |= s.open.exchange(r.open) != r.open;
  changed |= s.hands.exchange(r.hands) != r.hands;
  changed |= s.moderated.exchange(r.moderated) != r.moderated;
  changed |= s.timer_ends_at.exchange(r.timer_ends_at) != r.timer_ends_at;
  changed |= s.summary.exchange(static_cast<int>(r.summary)) != r.summary;
  changed |= s.help.exchange(r.help) != r.help;
  std::lock_guard lock(s.mix_mutex);
  changed |= s.mix != r.mix;
  s.mix = std::move(r.mix);
  return changed;
}

}  // namespace roundtable
