// libFuzzer target for protocol::parser. Any input must parse or fail cleanly
// (ASan/UBSan watch the rest). A command that parses must hold the promises of
// command.hpp: fields within their limits, ids of id characters, names trimmed,
// no stray control characters. It must also survive a round trip: written back as
// JSON and parsed again, it gives the same command.
#include "protocol/json_writer.hpp"
#include "protocol/parse.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace roundtable::protocol;

void check(bool ok, char const* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

bool id_ok(std::string_view s) {
  if (s.empty() || s.size() > limits::id) return false;
  for (char ch : s) {
    auto const c = static_cast<unsigned char>(ch);
    bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool controls_ok(std::string_view s, bool allow_lines) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && !(allow_lines && (c == '\n' || c == '\t'))) return false;
    if (c == 0x7F) return false;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return false;
  }
  return true;
}

void check_text(std::string_view s, std::size_t min, std::size_t max) {
  check(s.size() >= min && s.size() <= max, "text length");
  check(valid_utf8(s), "text utf-8");
  check(controls_ok(s, true), "text controls");
}

void check_label(std::string_view s, bool required, std::size_t max) {
  check(s.size() <= max, "label length");
  check(!required || !s.empty(), "label empty");
  check(valid_utf8(s), "label utf-8");
  check(controls_ok(s, false), "label controls");
  check(s.empty() || (s.front() != ' ' && s.back() != ' '), "label trimmed");
}

void check_invariants(command const& c) {
  if (!c.rid.empty()) {
    check(c.rid.size() <= limits::rid, "rid length");
    auto const f = c.rid.front();
    check(f == '"' || f == '-' || (f >= '0' && f <= '9'), "rid is a number or a string");
    auto const b = c.rid.back();
    check(b != ' ' && b != '\n' && b != '\t' && b != '\r', "rid has no trailing space");
  }
  std::visit(
      [](auto const& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, hello>) {
          check_label(op.name, true, limits::name);
          check(op.token.size() <= limits::token, "token length");
          check_label(op.stakeholder, false, limits::name);
          check_label(op.expertise, false, limits::expertise);
          check(op.has_resume || op.resume.empty(), "resume flag");
          check(op.resume.size() <= limits::resume_rooms, "resume rooms");
          for (auto const& r : op.resume) check(id_ok(r.room), "resume room id");
        } else if constexpr (std::is_same_v<T, join>) {
          check(id_ok(op.table), "join table");
        } else if constexpr (std::is_same_v<T, say>) {
          check(id_ok(op.room), "say room");
          check_text(op.text, 1, limits::text);
        } else if constexpr (std::is_same_v<T, speaker>) {
          check(id_ok(op.room), "speaker room");
          check(
              op.participant.empty() || (id_ok(op.participant) && op.what == speaker::action::next),
              "speaker participant");
        } else if constexpr (std::is_same_v<T, insight>) {
          check_text(op.text, 1, limits::insight);
        } else if constexpr (std::is_same_v<T, hand>) {
          check(op.participant.empty() || (id_ok(op.participant) && !op.up), "hand participant");
        } else if constexpr (std::is_same_v<T, vote>) {
          check(id_ok(op.insight), "vote insight");
        } else if constexpr (std::is_same_v<T, del>) {
          check(id_ok(op.room), "delete room");
          check(op.message.empty() != op.insight.empty(), "delete: one of message and insight");
          check(op.message.empty() || id_ok(op.message), "delete message");
          check(op.insight.empty() || id_ok(op.insight), "delete insight");
        } else if constexpr (std::is_same_v<T, timer>) {
          check(id_ok(op.room), "timer room");
          check(op.seconds >= 0 && op.seconds <= limits::timer_seconds, "timer seconds");
          check(op.what != timer::action::extend || op.seconds > 0, "timer extend");
        } else if constexpr (std::is_same_v<T, summary>) {
          check(op.table.empty() || id_ok(op.table), "summary table");
          check_text(op.text, 0, limits::summary);
        } else if constexpr (std::is_same_v<T, broadcast>) {
          check_text(op.text, 1, limits::broadcast);
        } else if constexpr (std::is_same_v<T, phase>) {
          check_label(op.name, true, limits::topic);
        } else if constexpr (std::is_same_v<T, table>) {
          check(id_ok(op.table), "table id");
        } else if constexpr (std::is_same_v<T, create_table>) {
          check(id_ok(op.table), "create_table id");
          check_label(op.topic, true, limits::topic);
          check_label(op.moderator, false, limits::name);
          check(op.capacity >= 0 && op.capacity <= limits::capacity, "capacity");
        } else if constexpr (std::is_base_of_v<hide, T>) {
          check(op.room.empty() || id_ok(op.room), "item room");
          check(id_ok(op.item), "item id");
        } else if constexpr (std::is_base_of_v<mute, T>) {
          check(op.table.empty() || id_ok(op.table), "mute table");
          check(id_ok(op.participant), "mute participant");
          check_label(op.reason, false, limits::reason);
        } else if constexpr (std::is_same_v<T, moderation>) {
          check(id_ok(op.table), "moderation table");
        } else if constexpr (std::is_same_v<T, help>) {
          check(op.table.empty() || id_ok(op.table), "help table");
        } else if constexpr (std::is_same_v<T, move>) {
          check(id_ok(op.table), "move table");
          check(op.participant.empty() != op.name.empty(), "move: one of participant and name");
          check(op.participant.empty() || id_ok(op.participant), "move participant");
          check_label(op.name, false, limits::name);
        } else if constexpr (std::is_same_v<T, recall>) {
          check(op.seconds >= 0 && op.seconds <= limits::recall_seconds, "recall seconds");
          check(!op.cancel || op.seconds == 0, "recall cancel has no time");
        } else if constexpr (std::is_same_v<T, networking>) {
          bool const starting = op.size != 0;
          check(starting + op.stop + op.opting == 1, "networking: one form");
          check(!op.opt_out || op.opting, "networking opt_out only when opting");
          if (starting) {
            check(op.size >= limits::group_size_min && op.size <= limits::group_size_max,
                  "networking size");
            check(
                op.minutes >= limits::round_minutes_min && op.minutes <= limits::round_minutes_max,
                "networking minutes");
            check(op.rounds >= 1 && op.rounds <= limits::rounds_max, "networking rounds");
          }
        } else if constexpr (std::is_same_v<T, outcome>) {
          check(op.table.empty() || id_ok(op.table), "outcome table");
          check(id_ok(op.insight), "outcome insight");
          check(is_outcome_status(op.status), "outcome status");
          check_text(op.note, 0, limits::note);
          check((op.status == "merged") == !op.into.empty(), "outcome into");
          check(op.into.empty() || (id_ok(op.into) && op.into != op.insight), "outcome into id");
        } else if constexpr (std::is_same_v<T, poll>) {
          check(id_ok(op.room), "poll room");
          check_label(op.question, true, limits::poll_question);
          check(op.options.size() >= limits::poll_options_min &&
                    op.options.size() <= limits::poll_options_max,
                "poll options count");
          for (std::size_t i = 0; i < op.options.size(); ++i) {
            check_label(op.options[i], true, limits::poll_option);
            for (std::size_t j = 0; j < i; ++j) check(op.options[i] != op.options[j], "distinct");
          }
        } else if constexpr (std::is_same_v<T, poll_vote>) {
          check(op.room.empty() || id_ok(op.room), "poll_vote room");
          check(id_ok(op.poll), "poll_vote poll");
          check(!op.choices.empty() && op.choices.size() <= limits::poll_options_max, "choices");
          for (std::size_t i = 0; i < op.choices.size(); ++i) {
            check(op.choices[i] >= 0 &&
                      op.choices[i] < static_cast<std::int64_t>(limits::poll_options_max),
                  "choice range");
            for (std::size_t j = 0; j < i; ++j) check(op.choices[i] != op.choices[j], "distinct");
          }
        } else if constexpr (std::is_same_v<T, poll_close>) {
          check(op.room.empty() || id_ok(op.room), "poll_close room");
          check(id_ok(op.poll), "poll_close poll");
        } else if constexpr (std::is_same_v<T, react>) {
          check(op.room.empty() || id_ok(op.room), "react room");
          check(id_ok(op.item), "react item");
          check(is_reaction_emoji(op.emoji), "react emoji");
        } else if constexpr (std::is_same_v<T, balance>) {
          check(op.tables.empty() || (op.tables.size() >= limits::balance_tables_min &&
                                      op.tables.size() <= limits::balance_tables_max),
                "balance tables count");
          for (std::size_t i = 0; i < op.tables.size(); ++i) {
            check(id_ok(op.tables[i]) && op.tables[i] != "plenary", "balance table");
            for (std::size_t j = 0; j < i; ++j) check(op.tables[i] != op.tables[j], "distinct");
          }
        } else if constexpr (std::is_same_v<T, give_role>) {
          check(op.table.empty() || id_ok(op.table), "role table");
          check(id_ok(op.participant), "role participant");
          check_label(op.role, false, limits::role);
        }
      },
      c.op);
}

// Writes a command back as a client message, every field included.
std::string to_json(command const& c) {
  json_writer w;
  w.begin_object().field("op", op_name(c.op));
  if (!c.rid.empty()) w.key("rid").raw(c.rid);
  std::visit(
      [&w](auto const& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, hello>) {
          w.field("name", op.name);
          if (!op.token.empty()) w.field("token", op.token);
          if (!op.stakeholder.empty()) w.field("stakeholder", op.stakeholder);
          if (!op.expertise.empty()) w.field("expertise", op.expertise);
          if (op.has_resume) {
            w.key("resume").begin_object();
            for (auto const& r : op.resume) {
              w.key(r.room).begin_object().field("epoch", r.epoch).field("seq", r.seq).end_object();
            }
            w.end_object();
          }
        } else if constexpr (std::is_same_v<T, join>) {
          w.field("table", op.table);
        } else if constexpr (std::is_same_v<T, say>) {
          w.field("room", op.room).field("text", op.text).field("anonymous", op.anonymous);
        } else if constexpr (std::is_same_v<T, hand>) {
          w.field("up", op.up);
          if (!op.participant.empty()) w.field("participant", op.participant);
        } else if constexpr (std::is_same_v<T, speaker>) {
          static constexpr char const* actions[] = {"next", "clear", "end"};
          w.field("room", op.room).field("action", actions[static_cast<int>(op.what)]);
          if (!op.participant.empty()) w.field("participant", op.participant);
        } else if constexpr (std::is_same_v<T, insight>) {
          w.field("text", op.text).field("anonymous", op.anonymous);
        } else if constexpr (std::is_same_v<T, vote>) {
          w.field("insight", op.insight).field("up", op.up);
        } else if constexpr (std::is_same_v<T, del>) {
          w.field("room", op.room);
          if (!op.message.empty()) w.field("message", op.message);
          if (!op.insight.empty()) w.field("insight", op.insight);
        } else if constexpr (std::is_same_v<T, timer>) {
          w.field("room", op.room);
          if (op.what == timer::action::set) w.field("seconds", op.seconds);
          if (op.what == timer::action::pause) w.field("pause", true);
          if (op.what == timer::action::resume) w.field("pause", false);
          if (op.what == timer::action::extend) w.field("extend", op.seconds);
        } else if constexpr (std::is_same_v<T, summary>) {
          if (!op.table.empty()) w.field("table", op.table);
          w.field("text", op.text).field("publish", op.publish);
        } else if constexpr (std::is_same_v<T, broadcast>) {
          w.field("text", op.text);
        } else if constexpr (std::is_same_v<T, phase>) {
          w.field("name", op.name);
        } else if constexpr (std::is_same_v<T, table>) {
          w.field("table", op.table).field("open", op.open);
        } else if constexpr (std::is_same_v<T, create_table>) {
          w.field("table", op.table).field("topic", op.topic);
          w.field("moderator", op.moderator).field("capacity", op.capacity);
        } else if constexpr (std::is_base_of_v<hide, T>) {
          if (!op.room.empty()) w.field("room", op.room);
          w.field("item", op.item);
        } else if constexpr (std::is_base_of_v<mute, T>) {
          if (!op.table.empty()) w.field("table", op.table);
          w.field("participant", op.participant).field("on", op.on).field("reason", op.reason);
        } else if constexpr (std::is_same_v<T, moderation>) {
          w.field("table", op.table).field("premoderate", op.premoderate);
        } else if constexpr (std::is_same_v<T, help>) {
          if (!op.table.empty()) w.field("table", op.table);
          w.field("done", op.done);
        } else if constexpr (std::is_same_v<T, move>) {
          w.field("table", op.table);
          if (!op.participant.empty()) w.field("participant", op.participant);
          if (!op.name.empty()) w.field("name", op.name);
        } else if constexpr (std::is_same_v<T, recall>) {
          if (op.cancel) {
            w.field("cancel", true);
          } else {
            w.field("seconds", op.seconds);
          }
        } else if constexpr (std::is_same_v<T, networking>) {
          if (op.stop) w.field("stop", true);
          if (op.opting) w.field("opt_out", op.opt_out);
          if (op.size != 0) {
            w.field("size", op.size).field("minutes", op.minutes).field("rounds", op.rounds);
          }
        } else if constexpr (std::is_same_v<T, outcome>) {
          if (!op.table.empty()) w.field("table", op.table);
          w.field("insight", op.insight).field("status", op.status).field("note", op.note);
          if (!op.into.empty()) w.field("into", op.into);
        } else if constexpr (std::is_same_v<T, poll>) {
          w.field("room", op.room).field("question", op.question).key("options").begin_array();
          for (auto const& o : op.options) w.value(o);
          w.end_array().field("multiple", op.multiple).field("live", op.live);
        } else if constexpr (std::is_same_v<T, poll_vote>) {
          if (!op.room.empty()) w.field("room", op.room);
          w.field("poll", op.poll).key("choices").begin_array();
          for (auto const n : op.choices) w.value(n);
          w.end_array();
        } else if constexpr (std::is_same_v<T, poll_close>) {
          if (!op.room.empty()) w.field("room", op.room);
          w.field("poll", op.poll);
        } else if constexpr (std::is_same_v<T, react>) {
          if (!op.room.empty()) w.field("room", op.room);
          w.field("item", op.item).field("emoji", op.emoji);
        } else if constexpr (std::is_same_v<T, balance>) {
          if (!op.tables.empty()) {
            w.key("tables").begin_array();
            for (auto const& t : op.tables) w.value(t);
            w.end_array();
          }
        } else if constexpr (std::is_same_v<T, give_role>) {
          if (!op.table.empty()) w.field("table", op.table);
          w.field("participant", op.participant);
          if (op.role.empty()) {
            w.key("role").null();
          } else {
            w.field("role", op.role);
          }
        } else {
          // Ops without fields (leave, ping); a new op must be written above.
          static_assert(std::is_same_v<T, leave> || std::is_same_v<T, ping>, "write this op");
        }
      },
      c.op);
  w.end_object();
  return w.release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static parser p;
  static parser again;
  std::string_view const input(reinterpret_cast<char const*>(data), size);
  command cmd;
  error err;
  if (!p.parse(input, cmd, err)) {
    check(!err.message.empty(), "an error has a message");
    check(err.code == error_code::bad_request || err.code == error_code::too_large,
          "parse errors are bad_request or too_large");
    check(cmd.rid.size() <= limits::rid, "rid length on error");
    return 0;
  }
  check_invariants(cmd);

  auto const written = to_json(cmd);
  command back;
  error err2;
  if (!again.parse(written, back, err2)) {
    std::fprintf(stderr, "round trip failed: %s\n%s\n", err2.message.c_str(), written.c_str());
    std::abort();
  }
  check(back.rid == cmd.rid, "round trip rid");
  check(back.op.index() == cmd.op.index(), "round trip op");
  check(to_json(back) == written, "round trip fields");
  return 0;
}
