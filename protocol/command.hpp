// Typed client commands: what `parse` turns one WebSocket text message into.
// One struct per op, named as on the wire; the field names match PROTOCOL.md.
// Values are already validated (types, required fields, lengths) when a command
// exists, so the server never re-checks the wire format.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace roundtable::protocol {

// Length limits in bytes, each with its reason. Over a limit: `too_large`.
namespace limits {
inline constexpr std::size_t message_bytes = 64 * 1024;  // whole frame; close 1009 above
inline constexpr std::size_t name = 64;                  // fits a name badge and a lobby row
inline constexpr std::size_t id = 64;                    // room, table, message and insight ids
inline constexpr std::size_t text = 4000;                // a chat message: a long paragraph
inline constexpr std::size_t insight = 500;              // a key insight is one or two sentences
inline constexpr std::size_t summary = 20000;            // a table's report: a page or two
inline constexpr std::size_t broadcast = 2000;           // an announcement from the chair
inline constexpr std::size_t topic = 200;                // a table topic, a phase name
inline constexpr std::size_t note = 1000;          // an outcome's public explanation: a paragraph
inline constexpr std::size_t token = 4096;         // a JWT with its claims
inline constexpr std::size_t rid = 64;             // a request id, number or string
inline constexpr std::size_t resume_rooms = 256;   // one entry per room a client was in
inline constexpr std::size_t reason = 300;         // why a moderator acted: a sentence or two
inline constexpr std::size_t expertise = 200;      // what one brings to a table: one line
inline constexpr std::size_t role = 64;            // a table role's name, like a name badge
inline constexpr std::size_t poll_question = 300;  // a question on a slide: a sentence or two
inline constexpr std::size_t poll_option = 100;    // an answer fits on one button
inline constexpr std::size_t poll_options_min = 2;
inline constexpr std::size_t poll_options_max = 10;  // beyond ten, nobody reads them all
inline constexpr std::int64_t timer_seconds = 24 * 3600;
inline constexpr std::int64_t capacity = 100000;
// `recall`: tables close at most two hours on, the length of a long breakout.
inline constexpr std::int64_t recall_minutes = 120;
inline constexpr std::int64_t recall_seconds = recall_minutes * 60;
// `balance`: the tables named, at most what an event may hold (--max-tables).
inline constexpr std::size_t balance_tables_min = 2;
inline constexpr std::size_t balance_tables_max = 1000;
// `networking` rounds: groups of 2 to 4 (small enough that everyone speaks),
// 1 to 30 minutes each (a coffee-break chat), at most 10 rounds per start
// (a block of rounds a chair plans at once; more need another start).
inline constexpr std::int64_t group_size_min = 2;
inline constexpr std::int64_t group_size_max = 4;
inline constexpr std::int64_t round_minutes_min = 1;
inline constexpr std::int64_t round_minutes_max = 30;
inline constexpr std::int64_t rounds_max = 10;
}  // namespace limits

struct resume_point {
  std::string room;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
};

struct hello {
  std::string name;
  std::string token;  // empty: none
  // Who one is at the tables: a stakeholder group of the event's list
  // (checked by the server, which knows the list) and one line of expertise.
  std::string stakeholder;  // empty: not said
  std::string expertise;    // empty: not said
  bool has_resume = false;
  std::vector<resume_point> resume;
};
struct join {
  std::string table;
};
struct leave {};
struct say {
  std::string room;
  std::string text;
  bool anonymous = false;  // shown as "Anonymous" with a pseudonym, where the table allows it
};
// Raise or lower the sender's hand at its table; with `participant`, a
// moderator lowers that person's hand (up must then be false).
struct hand {
  bool up = false;
  std::string participant;  // empty: the sender's own hand
};
// Moderator: give the floor to the first raised hand (or to `participant`, any
// hand in the queue), end the current turn, or clear the queue.
struct speaker {
  enum class action { next, clear, end };
  std::string room;
  action what = action::next;
  std::string participant;  // with next: pick this raised hand
};
struct insight {
  std::string text;
  bool anonymous = false;
};
// up false takes the sender's vote back.
struct vote {
  std::string insight;
  bool up = true;
};
struct del {  // "delete" on the wire: exactly one of message and insight
  std::string room;
  std::string message;
  std::string insight;
};
// Exactly one of: `seconds` (start, 0 stops), `pause` (true pauses a running
// timer, false resumes a paused one), `extend` (seconds added to the timer).
struct timer {
  enum class action { set, pause, resume, extend };
  std::string room;
  action what = action::set;
  std::int64_t seconds = 0;  // set: 0 stops the timer; extend: the seconds added
};
struct summary {
  std::string table;  // empty: the moderator's own table
  std::string text;
  bool publish = false;
};
struct broadcast {
  std::string text;
};
struct phase {
  std::string name;
};
// Close or reopen a table.
struct table {
  std::string table;
  bool open = true;
};
// Chair: open a new table at run time.
struct create_table {
  std::string table;
  std::string topic;
  std::string moderator;      // display name, may be empty
  std::int64_t capacity = 0;  // 0: no limit
};
struct ping {};

// Moderation. `hide` takes a message or an insight out of view and `restore`
// brings it back; `room` empty: the sender's table.
struct hide {
  std::string room;
  std::string item;
};
struct restore : hide {};
// Mute (can read, not post) or remove a participant at a table, or undo it
// (`on` false). `table` empty: the sender's table, else the one it moderates.
struct mute {
  std::string table;
  std::string participant;
  bool on = true;
  std::string reason;  // told to the person; may be empty
};
struct remove_from_table : mute {};
// Pre-moderation: switch it at a table, and decide on a held message.
struct moderation {
  std::string table;
  bool premoderate = false;
};
struct approve : hide {};
struct reject : hide {};
// Calling the chair to the table (`table`: default the sender's), or
// (`done`) closing the call.
struct help {
  std::string table;
  bool done = false;
};

// What became of an insight, as on the wire: `open` until a moderator or the
// chair decides otherwise.
inline constexpr std::array<std::string_view, 5> outcome_statuses = {"open", "taken_up", "noted",
                                                                     "merged", "out_of_scope"};
inline bool is_outcome_status(std::string_view s) noexcept {
  for (auto const st : outcome_statuses)
    if (st == s) return true;
  return false;
}

// Moderator or chair: set an insight's outcome status and its public note.
struct outcome {
  std::string table;  // empty: the sender's table, else the table it moderates
  std::string insight;
  std::string status;  // one of outcome_statuses
  std::string note;    // may be empty
  std::string into;    // the insight it was merged into; only with "merged"
};

// Polls: the chair in the plenary, a table's moderator at the table. `live`
// false: the counts reach the participants only when the poll closes.
struct poll {
  std::string room;
  std::string question;
  std::vector<std::string> options;  // 2 to 10, each a one-line label
  bool multiple = false;
  bool live = true;
};
// One ballot per participant, replaced by the next while the poll is open:
// `choices` are option indexes (0-based), distinct; exactly one unless the
// poll is multiple (checked at apply). `room` empty: the sender's table, else
// the plenary.
struct poll_vote {
  std::string room;
  std::string poll;
  std::vector<std::int64_t> choices;
};
struct poll_close {
  std::string room;
  std::string poll;
};

// Reactions on a message or a report: one of a fixed set, one per person per
// item. `room` empty: the sender's table, else the plenary.
inline constexpr std::array<std::string_view, 6> reaction_emojis = {
    "\xF0\x9F\x91\x8D",          // 👍 thumbs up
    "\xE2\x9D\xA4\xEF\xB8\x8F",  // ❤️ heart
    "\xF0\x9F\x92\xA1",          // 💡 idea
    "\xF0\x9F\x91\x8F",          // 👏 applause
    "\xE2\x9D\x93",              // ❓ question
    "\xF0\x9F\x91\x8E"};         // 👎 thumbs down
inline bool is_reaction_emoji(std::string_view s) noexcept {
  for (auto const e : reaction_emojis)
    if (e == s) return true;
  return false;
}
struct react {
  std::string room;
  std::string item;
  std::string emoji;
};

// Chair: seat a participant at a table; `participant` (an id) or `name` (every
// connection with that display name), exactly one.
struct move {
  std::string participant;
  std::string name;
  std::string table;
};
// Chair: everyone back to the plenary in `minutes` (or `seconds` on the wire;
// 0: at once), the tables closed then; `cancel` calls a running countdown off.
struct recall {
  std::int64_t seconds = 0;
  bool cancel = false;
};
// Moderator or chair: give a participant seated at the table one of the
// event's table roles, or take it back (`role` empty; null on the wire too).
struct give_role {
  std::string table;  // empty: the sender's table, else the table it moderates
  std::string participant;
  std::string role;  // empty: none
};

// Chair: move participants so that the open tables' counts differ by at most
// one; `tables` empty: every open table, else those (2 or more, distinct).
struct balance {
  std::vector<std::string> tables;
};

// Networking rounds, exactly one of three forms: the chair starts `rounds`
// rounds of random groups of `size`, `minutes` each; the chair stops them
// (`stop`); anyone opts out of being grouped, or back in (`opt_out`).
struct networking {
  std::int64_t size = 0;  // 0 unless starting
  std::int64_t minutes = 0;
  std::int64_t rounds = 1;
  bool stop = false;
  bool opting = false;  // the `opt_out` form
  bool opt_out = false;
};

using body =
    std::variant<hello, join, leave, say, hand, speaker, insight, vote, del, timer, summary,
                 broadcast, phase, table, create_table, ping, outcome, hide, restore, mute,
                 remove_from_table, moderation, approve, reject, poll, poll_vote, poll_close, react,
                 help, move, recall, give_role, balance, networking>;

struct command {
  // The request id exactly as the client wrote it (a JSON number or string),
  // echoed verbatim in the reply; empty when absent.
  std::string rid;
  body op;
};

// The op name as on the wire, e.g. "delete" for del.
std::string_view op_name(body const& b) noexcept;

}  // namespace roundtable::protocol
