// A room operation as it travels through the room's log: who asked (the
// connection and the participant), when, any id stamped at submission, and
// what. Commands carry requests, not decisions: every replica applies them in
// log order with `room::apply`, which checks the rules against the state at
// that point of the log. The log's text form (one JSON object) is written and
// read here, and nowhere else; the Redis engine's Lua script writes the one
// command it makes itself (a `leave` for an expired connection) in this shape.
#pragma once

#include "domain/participant.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace roundtable {

struct table_config {
  std::string id;
  std::string topic;
  std::string moderator;      // display name shown in the lobby
  std::int64_t capacity = 0;  // 0: no limit
  bool open = true;
  bool premoderate = false;  // participants' messages wait for the moderator
  // Config `"help": "participants"`: its participants may call the chair too.
  bool help_participants = false;
  bool anonymous = false;  // `say` and `insight` may be anonymous here
};

namespace cmd {
struct join {
  profile said;  // from the joiner's hello
  // Where the connection sat before: a table id (a hop), "lobby" or
  // "plenary" (table_picture); empty: a resumed seat.
  std::string from;
};
struct leave {};
struct say {
  std::string id;  // stamped at submission
  std::string text;
  std::string alias;  // anonymous: the sender's pseudonym, stamped at submission
};
struct hand {
  bool up = false;
};
struct speaker {
  bool clear = false;  // false: the first raised hand gets the floor
};
struct insight {
  std::string id;  // stamped at submission
  std::string text;
  std::string alias;
};
struct vote {
  std::string insight;
  bool up = true;  // false takes the vote back
};
struct del {
  std::string message;
};
struct del_insight {
  std::string insight;
};
struct timer {
  std::int64_t seconds = 0;  // 0 stops the timer; ends_at is ts + seconds
};
struct timer_ended {
  std::int64_t ends_at = 0;  // ignored unless it is still the running timer
};
struct summary {
  std::string text;
  bool publish = false;
};
struct open {
  bool open = true;
};
// A table's figures when its report was published, carried by the command
// so that every node's `report` event says the same.
struct report_figures {
  std::int64_t participants = 0, spoke = 0, messages = 0;
  std::int64_t stays = 0, person_minutes = 0, median_minutes = 0, hops_in = 0;
};
struct report {
  table_config table;
  std::string text;
  report_figures figures;
};
struct broadcast {
  std::string text;
};
struct phase {
  std::string name;
};
struct table_created {
  table_config table;
};
struct erase {
  std::string author;
};
// Moderation (room_apply_moderation.cpp). `on` false is the undo: restore,
// unmute, let back in.
struct hide {
  std::string item;  // a message or an insight
  bool on = true;
};
struct mute {
  std::string participant;
  bool on = true;
  std::string reason;
};
struct remove_member : mute {};
struct premoderate {
  bool on = false;
};
// A held message approved (it reaches the table) or rejected.
struct review {
  std::string item;
  bool approve = true;
};
// A moderator's or the chair's decision on an insight (room_apply_outcomes.cpp).
struct outcome {
  std::string insight;
  std::string status;
  std::string note;
  std::string into;  // merged: the insight it joins
};
// The floor, run by a moderator (room_apply_floor.cpp).
struct pick {
  std::string participant;  // a raised hand: it gets the floor
};
struct end_turn {};
struct drop_hand {
  std::string participant;
};
struct timer_pause {
  bool pause = true;  // false resumes
};
struct timer_extend {
  std::int64_t seconds = 0;
};
// Polls and reactions (room_apply_polls.cpp).
struct poll {
  std::string id;  // stamped at submission (Redis); empty: apply gives "q<n>"
  std::string question;
  std::vector<std::string> options;
  bool multiple = false;
  bool live = true;  // false: counts reach participants only at close
};
struct poll_vote {
  std::string poll;
  std::vector<std::int64_t> choices;  // option indexes, distinct
};
struct poll_close {
  std::string poll;
};
struct react {
  std::string item;  // a message or a report
  std::string emoji;
};
// The chair called to the table, or the call closed (room_apply_help.cpp).
struct help {
  bool done = false;
};
// The hosts' tools, plenary commands (room_apply_hosts.cpp): the chair seats
// a participant (by id, or every connection with that display name) at a
// table; every node applies it, and the one holding the person's connections
// seats them.
struct move {
  std::string participant;
  std::string name;
  std::string table;
  std::string from;  // balance: only the connections still at that table move
};
// The chair's `balance` (room_apply_balance.cpp): the moves its node planned.
struct balance {
  std::vector<move> moves;
};
// Back to the plenary: a countdown of `seconds` (0: at once), or `cancel`.
struct recall {
  std::int64_t seconds = 0;
  bool cancel = false;
};
// A node's countdown ran out: ends the recall if it is still the one running.
struct recall_ended {
  std::int64_t ends_at = 0;
};
// A table role given or taken back (room_apply_roles.cpp).
struct role {
  std::string participant;
  std::string role;  // empty: taken back
};
// A comment on a table's outcomes, after the event, from someone who took
// part; held for the chair (room_apply_comments.cpp). `id` is stamped at
// submission, so the poster learns it and every replica stores the same.
struct comment {
  std::string id;
  std::string insight;  // empty: on the table as a whole
  std::string text;
};
// The chair approves a held comment (it is shown) or rejects it (gone).
struct comment_review {
  std::string id;
  bool approve = true;
};
// Networking rounds (room_apply_rounds.cpp), plenary commands: the chair
// starts rounds of random groups (the seed stamped at submission, so that
// every replica forms the same groups) or stops them; anyone opts out of the
// groups or back in. The plenary's membership is each node's own, so before
// each round every node reports who is connected to it (`round_present`);
// every node's countdown then submits `round_due`, and the first in the log
// forms the groups from the reports (or, at a round's end, ends it).
struct rounds_start {
  std::int64_t size = 0;
  std::int64_t minutes = 0;
  std::int64_t rounds = 1;
  std::int64_t seed = 0;
};
struct rounds_stop {};
struct opt_out {
  bool on = true;
};
struct round_present {
  std::int64_t round = 0;  // the round being gathered; ignored for any other
  std::vector<std::string> ids;
  std::vector<std::string> names;  // ids[i]'s display name
};
struct round_due {
  std::int64_t due_at = 0;  // ignored unless it is still the running deadline
};
// A group room's side of a round (room_apply_rounds.cpp), submitted by every
// node before it seats the round's members there: round `round` begins with
// `members` (the room's earlier content cleared: a new group must not read
// the last one's chat), or, with no members, it is over (nobody joins). The
// first of the nodes' copies acts; the others, and any older round's, are stale.
struct group_round {
  std::int64_t round = 0;
  std::vector<std::string> members;
};
}  // namespace cmd

using command_op =
    std::variant<cmd::join, cmd::leave, cmd::say, cmd::hand, cmd::speaker, cmd::insight, cmd::vote,
                 cmd::del, cmd::del_insight, cmd::timer, cmd::timer_ended, cmd::summary, cmd::open,
                 cmd::report, cmd::broadcast, cmd::phase, cmd::table_created, cmd::erase,
                 cmd::outcome, cmd::hide, cmd::mute, cmd::remove_member, cmd::premoderate,
                 cmd::review, cmd::pick, cmd::end_turn, cmd::drop_hand, cmd::timer_pause,
                 cmd::timer_extend, cmd::poll, cmd::poll_vote, cmd::poll_close, cmd::react,
                 cmd::help, cmd::move, cmd::recall, cmd::recall_ended, cmd::role, cmd::comment,
                 cmd::comment_review, cmd::balance, cmd::rounds_start, cmd::rounds_stop,
                 cmd::opt_out, cmd::round_present, cmd::round_due, cmd::group_round>;

struct room_command {
  // The node that submitted it and its ticket there: that node, and only it,
  // answers its client with the outcome. Empty origin: nobody waits.
  std::string origin;
  std::uint64_t ticket = 0;
  std::string conn;  // connection key "node:serial"; empty when no connection asked
  participant who;
  std::int64_t ts = 0;  // ms since the Unix epoch, stamped at submission
  command_op op;
};

// The log's text form: one JSON object. `command_from_json` returns nullopt
// for anything it cannot read completely (a damaged or foreign entry).
std::string command_json(room_command const& c);
std::optional<room_command> command_from_json(std::string_view json);

// An erasure's mark on a command its participant sent: their name, the
// profile they gave and any text they wrote are cleared; ids and choices stay.
void blank_sender(room_command& c);

// Someone a command names besides its sender: a chair's move (by id, or by
// display name with no id) and the people a round_present reports.
struct named_person {
  std::string id;  // empty for a move by name
  std::string name;
};
std::vector<named_person> names(room_command const& c);
// An erasure's mark on the commands of others that name its participant:
// clears each name of names(c) for which `erased(id, name)` holds; ids stay.
// True when it cleared any.
bool blank_named(room_command& c,
                 std::function<bool(std::string const& id, std::string const& name)> const& erased);

}  // namespace roundtable
