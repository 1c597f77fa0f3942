// The domain of one room: the plenary or a table. A room owns its ordered
// history (seq, epoch, a bounded window of serialized events), its members and,
// for a table, the table state: topic, moderator, capacity, open or closed,
// insights with votes, the raised-hand queue, the timer and the summary.
//
// Plain C++ with no threads and no sockets: the node calls it on the room's home
// thread only, and unit tests drive it directly. Every rule of who may do what
// at a table lives here.
//
// One ordered log. An operation decides nothing: it stamps a command (who,
// what, when, any new id) and submits it to the room's sequencer, which gives
// it a place in the room's log (the memory engine: at once; Redis: through its
// Lua script). Every replica applies the log in order with `apply`, the one
// place where rules are checked and state changes, against the state at that
// point of the log; it yields events (numbered here, gapless, identical on
// every replica) or an error. The node that submitted the command answers its
// client with that outcome, matched by the command's ticket.
#pragma once

#include "domain/balance_plan.hpp"
#include "domain/participant.hpp"
#include "domain/room_command.hpp"
#include "domain/room_picture.hpp"
#include "domain/room_polls.hpp"
#include "domain/rounds.hpp"
#include "domain/seating.hpp"
#include "protocol/error.hpp"
#include "protocol/json_writer.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simdjson::dom {
class element;
}

namespace roundtable {

using protocol::error;
using protocol::error_code;

// Returned by room operations: empty on success.
using outcome = std::optional<error>;

inline error make_error(error_code c, std::string message) {
  return {c, std::move(message)};
}

// One event in the history window.
struct history_entry {
  std::uint64_t seq = 0;
  std::string type;
  std::string item;    // message or insight id, for deletion and erasure
  std::string author;  // participant id
  std::int64_t ts = 0;
  buffer json;
  bool deleted = false;
};

// One decision on an insight's outcome, kept in its change history.
struct outcome_change {
  std::string status;
  std::string note;
  std::string into;  // merged: the insight it joined
  participant by;    // who decided (the admin API: "Organisers")
  std::int64_t ts = 0;
};

struct insight_entry {
  std::string id;
  std::string text;
  participant by;
  std::set<std::string> voters;         // participant ids; one vote each
  std::uint64_t order = 0;              // creation order, to break ties in the ranking
  std::string status = "open";          // what became of it (protocol::outcome_statuses)
  std::string note;                     // the public explanation of the status
  std::string into;                     // merged: the insight it joined
  std::vector<outcome_change> history;  // oldest first, the latest max_outcome_history
};

// A comment on a table's outcomes, after the event (room_apply_comments.cpp).
struct comment_entry {
  std::string id;
  std::string insight;  // empty: on the table as a whole
  std::string text;
  participant by;  // name cleared when erased on request
  std::int64_t ts = 0;
  bool approved = false;  // else held for the chair; a rejected one is gone
};

class room;

// The room's log (the engine). `submit` must eventually make every replica
// call `apply(...)` with the command, in log order on each room's home thread,
// or call `failed(ticket)` on the submitting room (the command has no place in
// the log).
class sequencer {
 public:
  virtual ~sequencer() = default;
  virtual void submit(room& r, room_command c) = 0;
  // Names this node in connection keys ("node:serial") and in commands' origin.
  virtual std::string const& node_id() const noexcept = 0;
  // True when a command's reply waits for sequenced() even after the command
  // is applied: the engine confirms it only once it is safe (on replicas).
  virtual bool confirms() const noexcept { return false; }
  // True when a message's or insight's id is stamped at submit, unique over
  // nodes and restarts; false: apply gives it from the log ("m<seq>", "i<n>").
  virtual bool stamps_ids() const noexcept { return true; }
};

// Something that keeps a room's log, e.g. the durable store: each command as
// it is applied, the events it yields, and now and then the room's snapshot,
// so that the snapshot and the commands after it give the room back. Called
// on the room's home thread.
class room_observer {
 public:
  virtual ~room_observer() = default;
  // The command at `lsn`, called before it is applied (so before its events).
  // `snapshot_lsn`: where the room's last snapshot was. True when the
  // observer wants the snapshot once the command is applied (on_snapshot).
  virtual bool on_command(std::string const& room, std::uint64_t epoch, std::uint64_t lsn,
                          std::uint64_t snapshot_lsn, room_command const& c) = 0;
  virtual void on_event(std::string const& room, std::uint64_t epoch, history_entry const& e) = 0;
  virtual void on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) = 0;
  // The room's snapshot_json() after the command at `lsn`; `window`: its
  // history window, which a replay of the commands after it must use (a
  // delete or hide finds its item in the window or not).
  virtual void on_snapshot(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                           std::uint64_t lsn, std::size_t window, std::string const& snapshot) = 0;
  // True when the observer keeps every event for good (the durable store): the
  // state and snapshots then leave out the plenary's reports and broadcasts,
  // which grow all session, and restore_lists() brings them back from it.
  virtual bool keeps_events() const noexcept { return false; }
};

class room {
 public:
  // Names one submitted command on this node; 0: nothing was submitted (the
  // operation had nothing to do, and succeeds).
  using ticket = std::uint64_t;

  static constexpr std::string_view plenary_id = "plenary";
  static constexpr std::size_t snapshot_messages = 50;
  // Snapshot bounds in bytes as sent, so that a hello (two snapshots, the
  // lobby, the replays) stays well below the 1 MiB send-queue bound whatever
  // was said: 50 messages of 4000 escaped quotes would be 400 KB alone.
  static constexpr std::size_t snapshot_message_bytes = 64 * 1024;
  // The plenary snapshot keeps the latest reports and broadcasts; the report
  // and the archive keep them all.
  static constexpr std::size_t snapshot_plenary_items = 20;
  static constexpr std::size_t snapshot_report_bytes = 64 * 1024;
  static constexpr std::size_t snapshot_broadcast_bytes = 32 * 1024;
  // A table snapshot's insights (the best ranked first) and the held messages
  // a moderator reads: in full, 200 insights with notes of 1000 escaped quotes
  // or 200 held messages of 4000 would be megabytes, over the send-queue bound
  // of every joiner. Past the bound the list stops, and `insights_more` or
  // `pending_more` counts what it left out.
  static constexpr std::size_t snapshot_insight_bytes = 256 * 1024;
  static constexpr std::size_t snapshot_pending_bytes = 128 * 1024;
  // The plenary keeps the latest phase changes for late joiners: an agenda has
  // a handful of phases; the bound holds if a chair clicks through it all day.
  static constexpr std::size_t kept_phases = 20;
  // Key insights per table: a table has a handful, a few dozen at most; the
  // cap bounds the state every vote rewrites (store, Redis) against a flood.
  static constexpr std::size_t max_insights = 200;
  // One participant's share of that cap, so that one person cannot fill it for
  // everyone (moderators and the chair are exempt: they curate the list).
  static constexpr std::size_t max_insights_per_participant = 20;
  // Outcome changes kept per insight: a status changes a few times in a
  // session and after it; the bound keeps a table's state (rewritten on every
  // vote) within 200 insights x 10 notes of 1000 bytes at the very most.
  static constexpr std::size_t max_outcome_history = 10;

  room(table_config cfg, std::uint64_t epoch, std::size_t history_limit,
       room_observer* observer = nullptr, sequencer* seq = nullptr);

  std::string const& id() const noexcept { return cfg_.id; }
  bool is_plenary() const noexcept { return cfg_.id == plenary_id; }
  table_config const& config() const noexcept { return cfg_; }
  std::uint64_t epoch() const noexcept { return epoch_; }
  // The seq of the last event (what clients see).
  std::uint64_t seq() const noexcept { return seq_; }
  // The position of the last command applied in the room's log.
  std::uint64_t log_position() const noexcept { return lsn_; }
  // Who is here: at a table everyone on every node (from presence events); in
  // the plenary, this node's connections.
  std::size_t count() const noexcept { return is_plenary() ? members_.size() : roster_.size(); }
  bool has_member(std::uint64_t conn) const { return members_.count(conn) != 0; }
  // Whether this node has connections here, seated or joining.
  bool has_local_members() const noexcept { return !members_.empty() || !joining_.empty(); }
  // How many members each worker thread has: the node posts one delivery per
  // worker with a non-zero count.
  std::vector<std::uint32_t> const& workers() const noexcept { return per_worker_; }

  // Operations: each submits one command and returns its ticket; the outcome
  // (events or an error) is decided when the command is applied. `join` at a
  // table is refused at apply for a closed (forbidden) or full table, except
  // for the table's moderator and the chair; the connection becomes a member
  // when its join is applied. The plenary's membership is this node's own:
  // joining it submits nothing.
  // `said`: what the participant said of themselves at hello, kept by the
  // table for its mix and shown beside their name. `from`: where the
  // connection sat before (cmd::join), for the participation picture.
  ticket join(member const& m, std::int64_t now_ms, profile said = {}, std::string from = {});
  // Stops the connection's deliveries at once and submits its leave; 0 when
  // it was not a member.
  ticket leave(std::uint64_t conn, std::int64_t now_ms);
  // `alias` not empty: an anonymous contribution under that pseudonym (see
  // room_apply_hosts.cpp), refused at apply where the room does not allow it.
  ticket say(member const& m, std::string_view text, std::int64_t now_ms, std::string alias = {});
  ticket hand(member const& m, bool up, std::int64_t now_ms);
  ticket next_speaker(participant const& p, bool clear, std::int64_t now_ms);
  ticket add_insight(member const& m, std::string_view text, std::int64_t now_ms,
                     std::string alias = {});
  // up false takes the member's vote back (ok and no event when there is none).
  ticket vote(member const& m, std::string_view insight_id, std::int64_t now_ms, bool up = true);
  ticket delete_message(participant const& p, std::string_view message_id, std::int64_t now_ms);
  // A moderator or the chair removes an insight (and its votes): `deleted`
  // with an `insight` field, decided at apply.
  ticket delete_insight(participant const& p, std::string_view insight_id, std::int64_t now_ms);
  ticket set_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms);
  // The floor, by the table's moderator or the chair (room_apply_floor.cpp):
  // give it to a raised hand (`not_found` when that hand is not up), end the
  // current turn (the queue stays), lower someone's hand.
  ticket pick_speaker(participant const& p, std::string_view who, std::int64_t now_ms);
  ticket end_turn(participant const& p, std::int64_t now_ms);
  ticket drop_hand(participant const& p, std::string_view who, std::int64_t now_ms);
  // Pause (or resume) the running timer, or add seconds to it, running or
  // paused; `not_found` without one.
  ticket pause_timer(participant const& p, bool pause, std::int64_t now_ms);
  ticket extend_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms);
  // The timer ran out at `now_ms`: ends it if this timer is still the current
  // one at apply (`ends_at` guards against a timer restarted meanwhile).
  void timer_expired(std::int64_t ends_at, std::int64_t now_ms);
  std::int64_t timer_ends_at() const noexcept { return timer_ends_at_; }
  ticket summary(participant const& p, std::string_view text, bool publish, std::int64_t now_ms);
  ticket set_open(participant const& p, bool open, std::int64_t now_ms);
  // The table's moderator or the chair (the admin API too, as the chair) sets
  // an insight's outcome: `outcome` event, decided at apply
  // (room_apply_outcomes.cpp).
  ticket set_outcome(participant const& p, cmd::outcome op, std::int64_t now_ms);

  // Comments after the event (room_apply_comments.cpp): anyone with a token
  // comments on the table or one of its insights; the comment is held until
  // the chair approves it (shown on the outcomes page) or rejects it (gone).
  // No event: a held comment is nobody's to see but the chair's, who reads
  // them through the admin API; the state carries them (store, Redis).
  ticket comment(participant const& p, cmd::comment op, std::int64_t now_ms);
  ticket review_comment(participant const& p, cmd::comment_review op, std::int64_t now_ms);
  std::vector<comment_entry> const& comments() const noexcept { return comments_; }
  // A comment says one thing: a long paragraph, like an outcome's note.
  static constexpr std::size_t max_comment_text = 1000;
  // One person's comments per table (held and approved): enough to answer a
  // few insights, too few to drown the others' voices.
  static constexpr std::size_t max_comments_per_person = 5;
  // Held comments per table: the chair's queue, read in one page.
  static constexpr std::size_t max_held_comments = 200;
  // Every comment of a table, rewritten with the state on every change.
  static constexpr std::size_t max_comments = 1000;

  // Who is at the table (room_apply_roles.cpp). The table's moderator or the
  // chair gives a participant seated here one of the event's table roles, or
  // takes it back (`role` empty): `role` event. A role has one holder and a
  // holder one role: giving a held role moves it (the former holder's `role`
  // event, null, comes first). The rapporteur may draft the summary.
  ticket give_role(participant const& p, std::string_view who, std::string_view role,
                   std::int64_t now_ms);
  // The event's table roles (config `roles`), the same on every replica.
  void set_roles(std::vector<std::string> roles) { roles_offered_ = std::move(roles); }
  // The people seated now per stakeholder group (each person once; those who
  // said none are not counted): the lobby's `mix`.
  std::map<std::string, std::int64_t> const& mix() const noexcept { return seating_.mix(); }
  // Table roles by participant id: {name, role}.
  struct role_holder {
    std::string name;
    std::string role;
  };
  std::map<std::string, role_holder> const& roles() const noexcept { return roles_; }
  // What each participant who sat here said of themselves (the latest join).
  std::map<std::string, profile> const& profiles() const noexcept { return profiles_; }

  // Moderation, by the table's moderator or the chair, each undone with `on`
  // false. A hidden message or insight leaves the snapshots and the report's
  // counts but stays in the history (`hidden`, then `restored` with the item
  // again). A muted participant reads but may not post; a removed one is taken
  // off the table (every connection) and may not come back until let back in.
  ticket hide(participant const& p, std::string_view item, bool on, std::int64_t now_ms);
  ticket mute(participant const& p, std::string_view who, bool on, std::string_view reason,
              std::int64_t now_ms);
  ticket remove_member(participant const& p, std::string_view who, bool on, std::string_view reason,
                       std::int64_t now_ms);
  // This node's connections that applied removals took off the table, by
  // serial with their worker; they leave the member list now. The node calls
  // it after delivering the `removed` event, so the removed hear why.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> take_dropped();
  std::size_t hidden_count() const noexcept { return hidden_.size(); }

  // Pre-moderation (table config `premoderate`, or switched here): a
  // participant's message or insight is held, seen only by its author and
  // whoever may moderate the table, until approved (an ordinary `message` or
  // `insight` then) or rejected.
  ticket set_premoderate(participant const& p, bool on, std::int64_t now_ms);
  ticket review(participant const& p, std::string_view item, bool approve, std::int64_t now_ms);
  // Held items (messages and insights together) per table: the queue is every
  // moderator's to read at each join, and a flood must not grow it (and the
  // state every change rewrites).
  static constexpr std::size_t max_held = 200;
  // One participant's share of that queue, so that one person cannot stop a
  // pre-moderated table's talk for everyone else.
  static constexpr std::size_t max_held_per_participant = 20;
  // An event for a few people only, with no seq (the others' seq stay
  // gapless): whoever may moderate the table (`held`: the author of the held
  // item excepted, who gets their own copy, `author`, which says it is
  // theirs), whoever may draft the table's summary, or the chairs (wherever
  // they are: the node delivers those through the plenary).
  enum class audience { held, author, drafters, chairs };
  struct direct_event {
    std::string author;
    buffer json;
    audience to = audience::held;
  };
  std::vector<direct_event> take_direct() { return std::exchange(direct_, {}); }
  // Whether `viewer` decides on the held items at table `table`.
  static bool reviews_held(participant const& viewer, std::string const& table) {
    return viewer.is_chair() || viewer.moderates_table(table);
  }
  // Whether `viewer` receives the held items of `author` (a participant id,
  // never a pseudonym) at table `table`.
  static bool sees_held(participant const& viewer, std::string const& table,
                        std::string const& author) {
    return viewer.id == author || reviews_held(viewer, table);
  }
  // Who may write table `table`'s summary, and so read its draft before it is
  // published, whatever the table's roles (the member may_draft adds its
  // rapporteur): the op's check, the snapshot's and the delivery's filter.
  static bool may_draft(participant const& p, std::string const& table) {
    return p.is_chair() || p.moderates_table(table);
  }
  static bool receives(participant const& viewer, std::string const& table, direct_event const& d) {
    switch (d.to) {
      case audience::drafters:  // `author`: the table's rapporteur, if any
        return may_draft(viewer, table) || (!d.author.empty() && viewer.id == d.author);
      case audience::chairs:
        return viewer.is_chair();
      case audience::author:  // the one participant `author` (e.g. a group's member)
        return viewer.id == d.author;
      case audience::held:
        break;
    }
    return viewer.id != d.author && reviews_held(viewer, table);
  }

  // Calling the chair (room_apply_help.cpp): the table's moderator, or a
  // participant seated there when the table allows it, calls; `done` closes
  // the call (the chair, the table's moderator or the caller), as does the
  // chair joining the table. One open call per table: calling again is ok
  // and changes nothing.
  ticket help(member const& m, bool done, std::int64_t now_ms);
  bool help_requested() const noexcept { return help_.has_value(); }

  // Polls and reactions (room_apply_polls.cpp). A poll is the chair's in the
  // plenary, the table's moderator's (or the chair's) at a table; members
  // vote, one ballot each, replaced while the poll is open. Reactions: one of
  // protocol::reaction_emojis per participant per message or report; the same
  // emoji again takes it back, another one replaces it. Ballots and reactions
  // publish no room event: their counts go out coalesced (take_coalesced).
  ticket poll(participant const& p, cmd::poll op, std::int64_t now_ms);
  ticket poll_vote(member const& m, cmd::poll_vote op, std::int64_t now_ms);
  ticket poll_close(participant const& p, std::string_view poll_id, std::int64_t now_ms);
  ticket react(member const& m, cmd::react op, std::int64_t now_ms);
  // Polls per room: every snapshot carries them all, and a session asks a
  // handful of questions per room; past it `poll` gets `full`.
  static constexpr std::size_t max_polls = 20;
  // Items with reactions kept per room: every snapshot carries their counts;
  // past it the oldest item's reactions are dropped (deterministic: log order).
  static constexpr std::size_t max_reacted_items = 200;
  // Whether counts changed since the last take_coalesced; and the events that
  // tell them (one `poll_results` per open poll whose counts changed, one
  // `reactions` with the items that changed), for the node's coalescing timer.
  bool coalesce_pending() const noexcept {
    return !polls_changed_.empty() || !reactions_changed_.empty();
  }
  std::vector<coalesced_event> take_coalesced();
  std::vector<poll_entry> const& polls() const noexcept { return polls_; }
  // Whether `p` may run polls in room `id` and so see counts a poll keeps
  // hidden till its close.
  static bool may_run_polls(participant const& p, std::string const& id) noexcept {
    return p.is_chair() || (id != plenary_id && p.moderates_table(id));
  }

  // The chair seats a participant at a table (room_apply_hosts.cpp): a
  // plenary command, refused at apply for an unknown table. Each node takes
  // the orders its replica applied and seats its own connections of that
  // participant (a join in the table's log, which has the last word on
  // capacity and closed tables).
  ticket move(participant const& chair, cmd::move op, std::int64_t now_ms);
  struct move_order {
    cmd::move what;
    participant by;
  };
  std::vector<move_order> take_moves() { return std::exchange(moves_, {}); }
  // The chair's `balance` (room_apply_balance.cpp): the moves planned on the
  // chair's node, in the plenary's log as one command, each handed out as a
  // move order (with `from`: only a connection still there moves).
  ticket balance(participant const& chair, cmd::balance op, std::int64_t now_ms);
  // What a table tells the planner: how many people are seated (moderators
  // and the chair included, each person once), and the participants who may
  // be moved, the most recently seated first.
  std::size_t people() const noexcept { return seating_.people(); }
  std::vector<balance_person> movable() const { return seating_.movable(); }
  // Back to the plenary (plenary commands too): the chair's countdown, a
  // `recall` event everyone receives. Its end is a command (every replica's
  // countdown submits `recall_ended`; the first ends it, the others find it
  // ended), so that every node sees it end at the same place in the log and
  // then takes its connections off the tables and closes them.
  ticket recall(participant const& chair, cmd::recall op, std::int64_t now_ms);
  void recall_expired(std::int64_t ends_at, std::int64_t now_ms);
  std::int64_t recall_ends_at() const noexcept { return recall_ends_at_; }
  bool take_recalled() noexcept { return std::exchange(recalled_, false); }

  // Networking rounds (room_apply_rounds.cpp), plenary commands. The chair
  // starts `rounds` rounds of `minutes`: at each, the people here and not
  // opted out form random groups (rounds::form_groups, seeded from the
  // command and the round's number), each group one of the group rooms
  // `group-G` its members are seated at (a move order, as `move`) and told of
  // (a `group` event to them only); a `rounds` event tells everyone where
  // rounds stand.
  // Before each round, a gathering of gather_ms: every node reports the
  // people connected to it (take_gathering, then round_present). At each
  // deadline every replica's countdown submits `round_due`; the first in the
  // log forms the round's groups from the reports, or ends the running round
  // (its rooms close: take_group_orders) and gathers the next, if any.
  ticket rounds_start(participant const& chair, cmd::rounds_start op, std::int64_t now_ms);
  ticket rounds_stop(participant const& chair, std::int64_t now_ms);
  ticket opt_out(participant const& p, bool on, std::int64_t now_ms);
  ticket round_present(cmd::round_present op, std::int64_t now_ms);
  void round_expired(std::int64_t due_at, std::int64_t now_ms);
  // The next deadline (the gathering's or the running round's end); 0: none.
  std::int64_t round_due_at() const noexcept { return rounds_.due_at; }
  // The round whose gathering began since the last call; 0: none.
  std::int64_t take_gathering() noexcept { return std::exchange(gathering_, 0); }
  std::int64_t round_number() const noexcept { return rounds_.round; }
  bool opted_out(std::string const& id) const { return rounds_.opted_out.count(id) != 0; }
  rounds::met_pairs const& met_pairs() const noexcept { return rounds_.met; }
  // What each node does to a group room, in this order, before the round's
  // move orders: begin a round there (its members) or end it (no members;
  // the node also sends the room's members back to the plenary).
  struct group_order {
    std::string room;
    cmd::group_round what;
  };
  std::vector<group_order> take_group_orders() { return std::exchange(group_orders_, {}); }
  // Where rounds stand for `viewer`, in the plenary's snapshot (a reload gets
  // its group back): the `rounds` event's fields, `opted_out`, and `group`
  // (the viewer's running group as the `group` event tells it, or null).
  void write_rounds_view(protocol::json_writer& w, participant const& viewer) const;

  // Group rooms, `group-1` to `group-100`, reused by every round: they are
  // never listed in the lobby and their number never grows with the rounds.
  // 100 groups seat 200 to 500 people; past it, the rest wait for a round.
  static constexpr std::size_t max_group_rooms = 100;
  static constexpr std::string_view group_prefix = "group-";
  static bool is_group_room(std::string_view id) noexcept { return id.rfind(group_prefix, 0) == 0; }
  // A group room's side (the node submits the plenary's group orders here).
  ticket group_round(cmd::group_round op, std::int64_t now_ms);
  // Pairs who met kept, oldest dropped first: 20,000 pairs hold every pair of
  // 200 people, and the plenary's state rewrites them at each change.
  static constexpr std::size_t max_met_pairs = 20000;
  // Opted-out participants kept: more than an event's audience.
  static constexpr std::size_t max_opted_out = 10000;
  // People a round's gathering pools: enough for max_group_rooms of 4 and
  // more, so the groups are drawn from everyone who may be grouped.
  static constexpr std::size_t max_pooled = 2000;
  // The gathering: long enough for every node's report to reach the log
  // before the first countdown forms the groups, short enough not to be felt.
  static constexpr std::int64_t gather_ms = 1500;

  // Plenary events (everyone is a member of the plenary).
  ticket report(table_config const& table, std::string_view text, std::int64_t now_ms,
                cmd::report_figures figures = {});
  // This table's figures for its report (the plenary `report` event's).
  cmd::report_figures report_figures() const;
  ticket broadcast(participant const& from, std::string_view text, std::int64_t now_ms);
  ticket phase(std::string_view name, std::int64_t now_ms);
  // Opens a table: refused at apply (bad_request) when the id is one the
  // plenary's log already knows, so of concurrent creates of one id on any
  // nodes exactly one wins; every node opens the winner's table.
  ticket table_created(table_config const& t, std::int64_t now_ms);
  // Plenary: the tables known before the log (the event config's; with the
  // memory engine, those its store recorded).
  void set_known_tables(std::vector<std::string> const& ids) {
    tables_.insert(ids.begin(), ids.end());
  }
  // Plenary: --max-tables, checked at apply against the tables the log knows.
  void set_max_tables(std::size_t n) noexcept { max_tables_ = n; }

  // Erasure on request, one command: at apply every message and insight of
  // `author` is rewritten as deleted (`deleted` events), then an `erased` event
  // removes the rest of them: their name from past events, their votes
  // (`insight` events with the new counts follow) and their raised hand
  // (`hands` follows). Returns how many items this replica holds now.
  std::size_t erase_author(std::string_view author, std::int64_t now_ms);
  // Participants erased by commands applied since the last call: the node
  // closes their connections. And whether `id` was ever erased here.
  std::vector<std::string> take_erased() { return std::exchange(newly_erased_, {}); }
  bool erased(std::string const& id) const { return erased_.count(id) != 0; }

  // Runs `fn` with the outcome of the command `t` once it is applied here (or
  // could not be sequenced). Call it right after the operation that returned
  // `t`, on the same turn. `fn` goes to take_ready(), never runs inside.
  void after(ticket t, std::function<void(outcome)> fn);
  // The engine could not give the command `t` a place in the log.
  void failed(ticket t, error e);
  // The engine gave the command `t` its place in the log (and, when it
  // confirms(), made it safe: an outcome held since its apply goes out now).
  // If this replica is already past it (it loaded a snapshot over it, or the
  // log was lost), its outcome is unknown here: the waiter gets `unavailable`,
  // never silence.
  void sequenced(ticket t, std::uint64_t epoch, std::uint64_t lsn);

  // Applies the command at log position `lsn`: checks the rules against the
  // current state, changes it, and emits the events (into the outbox), or
  // yields an error and changes nothing. Deterministic: replicas fed the same
  // log reach the same state and the same event bytes. An epoch other than the
  // room's means the engine lost its log: the history starts again at seq 1,
  // the state is kept.
  outcome apply(std::uint64_t lsn, std::uint64_t epoch, room_command const& c);

  // The snapshot a joining member receives, at the current seq. `viewer`: who
  // gets it, for the held messages they may see and, at a table, whether they
  // voted for each insight (neither without).
  void write_snapshot(protocol::json_writer& w, participant const* viewer = nullptr) const;
  // Events after `after_seq` when the client's epoch matches, the window
  // still holds them all and they fit in `budget` bytes; false otherwise (the
  // client needs the snapshot) with `out` as it was.
  bool replay(std::uint64_t epoch, std::uint64_t after_seq, std::vector<buffer>& out,
              std::size_t budget = SIZE_MAX) const;
  // Events emitted since the last call, in seq order.
  std::vector<buffer> take_outbox() { return std::exchange(outbox_, {}); }
  // Waiters whose commands have been applied; the node runs them after it has
  // delivered the events (a reply must follow the events it confirms).
  std::vector<std::function<void()>> take_ready() { return std::exchange(ready_, {}); }
  // Set when applied commands started, stopped or created something the node
  // must act on: the timer, new tables (plenary).
  bool take_timer_changed() noexcept { return std::exchange(timer_changed_, false); }
  std::vector<table_config> take_created() { return std::exchange(created_, {}); }
  // Set when who is seated, or what they said of themselves, changed: the
  // lobby's mix and the balance's people and movable are worth publishing
  // only then.
  bool take_mix_changed() noexcept { return std::exchange(mix_changed_, false); }

  // Durable state: everything but history, members and who is here (they do
  // not outlive the process), as JSON; and restore, which replaces what the
  // room had with it and with the history loaded from a store (newest last),
  // the log going on after `lsn`.
  std::string state_json() const;
  void restore(std::uint64_t seq, std::string_view state_json, std::vector<history_entry> history,
               std::uint64_t lsn = 0);
  // The snapshot of a log that keeps the events (room_observer): the replica's
  // state with the history window's entries but not their text (only their
  // ids and marks decide what later commands do; the events hold the text),
  // without the plenary's lists when the observer keeps events, and without
  // the names of erased participants still seated. load_replica
  // reads it into a scratch room that replays the commands after it.
  std::string snapshot_json() const;
  // Hands the observer the room's snapshot now (at start; apply does it when
  // the observer asks and after an erasure). Nothing without an observer.
  void save_snapshot();
  // The plenary's reports and broadcasts read back from an observer that
  // keeps events (see room_observer::keeps_events), oldest first.
  void restore_lists(std::vector<buffer> reports, std::vector<buffer> broadcasts);
  // A replica's whole state (the durable state plus who is here, the hands,
  // the history window, seq, epoch and log position), for an engine that loads
  // a room from a snapshot and the log's tail; and load it back. `load_replica`
  // returns false and changes nothing when the text cannot be read.
  std::string replica_json() const;
  bool load_replica(std::string_view json);
  // The engine lost the log (a new epoch): keep the state, start the history
  // and the log again.
  void start_epoch(std::uint64_t epoch);
  // A replica the engine let go (no one here uses it): everything its log
  // decided goes, so a table this node does not hold costs its config only;
  // load_replica brings it back from a snapshot. Epoch and log position
  // become 0, which is behind every snapshot and every shared lobby row.
  // False, changing nothing, while this node has connections, commands or
  // replies in the room.
  bool shed();
  std::map<std::string, participant> const& roster_view() const noexcept { return roster_; }
  // What a deleted message or insight event becomes: it keeps its seq so
  // replay stays gapless, but not its text. The one writer of tombstones.
  static std::string tombstone_json(std::string_view room, std::uint64_t epoch,
                                    history_entry const& e);

  // Read-only views for reports.
  std::deque<history_entry> const& history() const noexcept { return history_; }
  std::vector<insight_entry const*> ranked_insights() const;
  std::string const& published_summary() const noexcept { return published_; }
  std::string const& draft_summary() const noexcept { return draft_; }
  std::size_t messages_total() const noexcept { return messages_total_; }
  std::size_t participants_total() const noexcept { return seen_.size(); }
  // Participants who posted at least one message here, and messages deleted.
  std::size_t speakers_total() const noexcept { return spoke_.size(); }
  std::size_t messages_deleted() const noexcept { return messages_deleted_; }
  // Occupancy and contributions per minute, arrivals by origin, stays.
  table_picture const& picture() const noexcept { return picture_; }
  std::vector<buffer> const& reports() const noexcept { return reports_; }
  std::string const& phase_name() const noexcept { return phase_; }
  // At a glance, for the chair's overview (the lobby rows): raised hands
  // waiting, whether a moderator of this table is seated, and the summary:
  // none, a draft (saved, not published as it stands) or published.
  enum class summary_status { none, draft, published };
  std::size_t hands_waiting() const noexcept { return hands_.size(); }
  bool moderator_seated() const noexcept { return seating_.moderator_seated(); }
  summary_status summary_state() const noexcept;
  void set_initial_phase(std::string p) { phase_ = std::move(p); }
  std::vector<buffer> const& broadcasts() const noexcept { return broadcasts_; }

 private:
  struct hand_entry {
    std::string id;
    std::string name;
  };
  // The outcome of the last command resolved with nobody waiting yet: the
  // memory engine applies during the operation, before `after` is called.
  struct resolved {
    ticket t = 0;
    outcome o;
  };

  std::string conn_key(std::uint64_t conn) const;
  std::string const& node_name() const;
  ticket submit(participant who, std::string conn, std::int64_t ts, command_op op);
  ticket reject(error e);
  void resolve(ticket t, outcome o);
  void settle_skipped();
  // One of this node's commands was applied: answer, or hold the outcome
  // until the engine confirms it.
  void settle_applied(ticket t, outcome const& o);
  // A fresh id for a message or insight, stamped at submission when several
  // nodes submit at once: "m-<node>-<process>-<n>", where <process> is
  // random per process (a restarted node issues no id twice). Empty with the memory engine, where
  // apply gives "m<seq>" and "i<n>".
  std::string new_id(char prefix);

  // Hands the command being applied to the observer; true: a snapshot is due.
  bool log_command(room_command const& c);
  // apply, one rule set per command (room_apply.cpp).
  outcome on(room_command const& c, cmd::join const&);
  outcome on(room_command const& c, cmd::leave const&);
  outcome on(room_command const& c, cmd::say const&);
  outcome on(room_command const& c, cmd::hand const&);
  outcome on(room_command const& c, cmd::speaker const&);
  outcome on(room_command const& c, cmd::insight const&);
  outcome on(room_command const& c, cmd::vote const&);
  outcome on(room_command const& c, cmd::del const&);
  outcome on(room_command const& c, cmd::del_insight const&);
  outcome on(room_command const& c, cmd::timer const&);
  outcome on(room_command const& c, cmd::timer_ended const&);
  outcome on(room_command const& c, cmd::summary const&);
  outcome on(room_command const& c, cmd::open const&);
  outcome on(room_command const& c, cmd::report const&);
  outcome on(room_command const& c, cmd::broadcast const&);
  outcome on(room_command const& c, cmd::phase const&);
  outcome on(room_command const& c, cmd::table_created const&);
  outcome on(room_command const& c, cmd::erase const&);
  outcome on(room_command const& c, cmd::hide const&);
  outcome on(room_command const& c, cmd::mute const&);
  outcome on(room_command const& c, cmd::remove_member const&);
  outcome on(room_command const& c, cmd::premoderate const&);
  outcome on(room_command const& c, cmd::review const&);
  outcome on(room_command const& c, cmd::help const&);
  // Closes the open call and tells the chairs who closed it.
  void answer_help(room_command const& c);
  // A direct `help` event {table, ...fill} to every chair.
  template <class Fill>
  void tell_chairs(Fill&& fill);
  // Holds a participant's message or insight at a pre-moderated table (the
  // apply of say and insight); `id` empty: the memory engine's id.
  outcome hold(room_command const& c, std::string const& id, std::string const& text,
               participant const& from, bool insight);
  // Whether the sender's items wait for the moderator here.
  bool holds_from(participant const& p) const {
    return !is_plenary() && cfg_.premoderate && !may_moderate(p);
  }
  // Adds an insight and tells the table (captured, or approved when held).
  void capture_insight(std::string id, std::string text, participant by, std::int64_t ts);
  // Held insights, all or those of one participant (`author` not empty).
  std::size_t held_insights(std::string const& author = {}) const;
  // Who an item shows as its author: the sender, or with `alias` the
  // pseudonym ("Anonymous"), refused where the room does not allow it.
  outcome author_shown(room_command const& c, std::string const& alias, participant& from);
  // The participant behind an id shown as an author (a pseudonym, or the id).
  std::string const& author_of(std::string const& shown) const;
  // `pending` to the author and the moderators of the held item `h`.
  struct held_entry {
    std::string id;
    std::string text;
    participant from;
    std::int64_t ts = 0;
    bool insight = false;  // else a message
  };
  void tell_held(held_entry const& h, bool pending, bool approved);
  // The checks mute and remove share: a table, its moderator or the chair, a
  // participant who was here and is not a moderator.
  outcome may_sanction(room_command const& c, std::string const& who) const;
  // Sets (`on`) or clears the participant in `list` and tells the table with
  // an event of `type`; nothing when it already was so.
  outcome sanction(room_command const& c, cmd::mute const& op, std::set<std::string>& list,
                   std::string_view type);
  // Takes every connection of `who` off the roster (presence `left` each).
  void unseat(std::string const& who, std::int64_t ts);
  outcome refuse_muted(participant const& p) const;
  outcome on(room_command const& c, cmd::outcome const&);
  outcome on(room_command const& c, cmd::pick const&);
  outcome on(room_command const& c, cmd::end_turn const&);
  outcome on(room_command const& c, cmd::drop_hand const&);
  outcome on(room_command const& c, cmd::timer_pause const&);
  outcome on(room_command const& c, cmd::timer_extend const&);
  outcome on(room_command const& c, cmd::poll const&);
  outcome on(room_command const& c, cmd::poll_vote const&);
  outcome on(room_command const& c, cmd::poll_close const&);
  outcome on(room_command const& c, cmd::react const&);
  outcome on(room_command const& c, cmd::comment const&);
  outcome on(room_command const& c, cmd::comment_review const&);
  // A member of this room: anyone in the plenary, someone seated at a table.
  outcome require_member(room_command const& c) const;
  poll_entry* find_poll(std::string const& id);
  // Whether `item` is a message or report one may react to here.
  bool reactable(std::string const& item) const;
  // The snapshot's `polls`, `reactions` and `reacted` for `viewer`.
  void write_polls_snapshot(protocol::json_writer& w, participant const* viewer) const;
  // A poll as the `poll` event and snapshots show it (without counts).
  void write_poll(protocol::json_writer& w, poll_entry const& p) const;
  outcome on(room_command const& c, cmd::move const&);
  outcome on(room_command const& c, cmd::balance const&);
  outcome on(room_command const& c, cmd::recall const&);
  outcome on(room_command const& c, cmd::recall_ended const&);
  // Everyone back: the `recall` event with `ended`, and the node is told.
  void end_recall(std::int64_t ts);
  outcome on(room_command const& c, cmd::role const&);
  outcome on(room_command const& c, cmd::rounds_start const&);
  outcome on(room_command const& c, cmd::rounds_stop const&);
  outcome on(room_command const& c, cmd::opt_out const&);
  outcome on(room_command const& c, cmd::round_present const&);
  outcome on(room_command const& c, cmd::round_due const&);
  outcome on(room_command const& c, cmd::group_round const&);
  // A group room's new round: everything said or done there before is gone.
  void clear_for_group();
  // The next round's gathering starts.
  void gather_round(std::int64_t ts);
  // Forms the gathered round's groups; none (fewer than two to group): the
  // rounds end.
  void form_round(std::int64_t ts);
  // The running round's rooms close; the next round gathers, if any is left.
  void end_round(std::int64_t ts);
  void finish_rounds(std::int64_t ts);
  // The running round's group rooms end (group orders); no groups run.
  void close_groups();
  // The `rounds` event's fields: the event, and the snapshot's view.
  void write_rounds_fields(protocol::json_writer& w) const;
  void emit_rounds(std::int64_t ts);
  void write_group(protocol::json_writer& w, std::size_t g) const;
  // Whether `p` may write the table's summary draft: its moderator, the
  // chair, or the participant who holds the rapporteur role here.
  bool may_draft(participant const& p) const;
  // The participant holding the rapporteur role here; empty: nobody.
  std::string rapporteur_id() const;
  // A seated participant as presence and snapshots show them: id, name,
  // role, and what they said of themselves when they did.
  void write_seated(protocol::json_writer& w, participant const& p) const;
  // `role` {participant, name, role}; role null when taken back.
  void emit_role(std::string const& who, role_holder const& h, std::int64_t ts);
  // Who may run the floor and the timer here, as `speaker` and `timer` check.
  outcome require_floor_moderator(room_command const& c) const;
  // The `timer` event for the current timer (running, paused or stopped).
  void emit_timer(std::int64_t ts);
  // The joining connection of this node that `c` names, made a member now.
  void admit(room_command const& c);
  // `deleted` with `field` naming the item (an erasure's insights are
  // "message", as the protocol has said since before insights could be deleted).
  void deleted(std::string const& item, std::int64_t ts, std::string_view field = "message");
  // The ids of the messages and insights by `author` this replica holds.
  std::set<std::string> authored(std::string_view author) const;
  void tombstone(history_entry& e);
  // Applies `erased`: the participant's name leaves the history, their votes
  // and hand leave the state.
  void forget(std::string const& id);
  // Erasure: the participant's ballots and reactions leave the counts.
  void forget_ballots(std::string const& id);
  void blank_name(history_entry& e, std::string const& id);

  bool may_moderate(participant const& p) const noexcept {
    return p.is_chair() || (!is_plenary() && p.moderates_table(cfg_.id));
  }
  outcome require_seated(room_command const& c, bool open_only) const;
  outcome insight_quota(participant const& p) const;
  // Pause and extend: who may, and whether a timer runs or is paused.
  outcome may_change_timer(room_command const& c) const;
  // Emits an event of `type` with the next seq; `fill` writes its fields.
  template <class Fill>
  void emit(std::string_view type, std::int64_t ts, Fill&& fill, std::string item = {},
            std::string author = {});
  void emit_hands(std::int64_t ts);
  void emit_message(std::string const& id, participant const& from, std::string const& text,
                    std::int64_t ts);
  void emit_insight(insight_entry const& i, std::int64_t ts);
  // An insight as events and snapshots show it: id, text, by, votes, status,
  // note (and into, when merged).
  void write_insight(protocol::json_writer& w, insight_entry const& i) const;
  // The snapshot's parts: the plenary's lists; a table's settings and people
  // (with the held items its viewer may see); the latest messages; a table's
  // floor (insights, hands, timer, summary).
  void write_snapshot_plenary(protocol::json_writer& w, participant const* viewer) const;
  void write_snapshot_table(protocol::json_writer& w, participant const* viewer) const;
  void write_snapshot_pending(protocol::json_writer& w, participant const* viewer) const;
  void write_snapshot_messages(protocol::json_writer& w) const;
  void write_snapshot_floor(protocol::json_writer& w, participant const* viewer) const;
  // The snapshot's insights, best ranked first, within snapshot_insight_bytes.
  void write_snapshot_insights(protocol::json_writer& w, participant const* viewer) const;
  void write_participant(protocol::json_writer& w, participant const& p) const;
  // The raised hands as `key` [{id, name}], then "speaker" (or null).
  void write_hands(protocol::json_writer& w, std::string_view key) const;
  // `lean`: snapshot_json's form of a replica.
  void write_state(protocol::json_writer& w, bool replica, bool lean = false) const;
  // The state's parts (room_state.cpp), each with its reader.
  void write_state_settings(protocol::json_writer& w, bool replica) const;
  void write_state_people(protocol::json_writer& w) const;
  void write_state_items(protocol::json_writer& w) const;
  void write_state_insights(protocol::json_writer& w) const;
  void write_state_polls(protocol::json_writer& w) const;
  void write_state_lists(protocol::json_writer& w, bool replica) const;
  void write_state_live(protocol::json_writer& w, bool lean) const;
  void write_rounds(protocol::json_writer& w) const;
  void read_rounds(simdjson::dom::element const& doc);
  bool read_state(std::string_view json, bool replica);
  void read_state_settings(simdjson::dom::element const& doc, bool replica);
  void read_state_people(simdjson::dom::element const& doc);
  // seating_ again from the roster and the profiles, once both are read.
  void reseat();
  void read_state_items(simdjson::dom::element const& doc);
  void read_state_insights(simdjson::dom::element const& doc);
  void read_state_lists(simdjson::dom::element const& doc);
  bool read_state_live(simdjson::dom::element const& doc);

  table_config cfg_;
  std::uint64_t epoch_;
  std::uint64_t seq_ = 0;
  std::uint64_t lsn_ = 0;
  std::uint64_t snapshot_lsn_ = 0;  // where save_snapshot() last ran
  std::size_t history_limit_;
  room_observer* observer_;
  sequencer* sequencer_;

  std::deque<history_entry> history_;
  std::vector<buffer> outbox_;
  // One of this node's connections here: the worker that owns it and, at a
  // table, who it is (its leave is submitted in their name). The plenary
  // holds every connection and submits nothing for them, so its entries keep
  // no copy: an idle connection's share of the plenary is one small node.
  struct local_member {
    std::uint32_t worker = 0;
    std::unique_ptr<participant> who;
  };
  std::map<std::uint64_t, local_member> members_;   // this node's connections, by serial
  std::map<std::uint64_t, local_member> joining_;   // join submitted, not applied yet
  std::map<ticket, std::uint64_t> join_tickets_;    // ticket -> joining connection
  std::map<std::string, participant> roster_;       // everyone here, by connection key
  std::map<std::string, std::uint64_t> seated_at_;  // the log position of each one's join
  seating seating_;  // roster_ per person, with their profiles_: kept with both
  std::vector<std::uint32_t> per_worker_;

  // This node's commands not applied yet, with who waits for each.
  std::map<ticket, std::function<void(outcome)>> pending_;
  std::map<ticket, std::pair<std::uint64_t, std::uint64_t>> placed_;  // -> (epoch, lsn)
  // Applied, their outcome held until the engine confirms them (confirms()).
  std::map<ticket, outcome> unconfirmed_;
  resolved last_resolved_;
  ticket next_ticket_ = 0;
  std::uint64_t next_local_id_ = 0;
  std::vector<std::function<void()>> ready_;
  bool timer_changed_ = false;
  bool mix_changed_ = true;
  std::vector<table_config> created_;
  std::set<std::string> seen_;    // participant ids that were ever here
  std::set<std::string> erased_;  // participant ids erased on request
  std::vector<std::string> newly_erased_;
  std::set<std::string> hidden_;     // hidden message and insight ids
  std::set<std::string> muted_;      // participant ids
  std::set<std::string> removed_;    // participant ids kept off the table
  std::set<std::uint64_t> dropped_;  // this node's removed connections, by serial
  std::vector<held_entry> held_;     // pre-moderation's queue, oldest first
  std::vector<direct_event> direct_;
  struct help_call {
    participant from;
    std::int64_t ts = 0;
  };
  std::optional<help_call> help_;  // the open call for the chair

  std::vector<poll_entry> polls_;  // in creation order
  std::uint64_t next_poll_ = 1;
  std::vector<reaction_entry> reactions_;    // oldest first, at most max_reacted_items
  std::set<std::string> polls_changed_;      // open polls whose counts changed
  std::set<std::string> reactions_changed_;  // items whose counts changed
  std::vector<move_order> moves_;
  std::int64_t recall_ends_at_ = 0;  // plenary: the running recall's end; 0: none
  // Pseudonym -> participant id: quotas, erasure and held messages follow the
  // person; only the pseudonym ever leaves the room.
  std::map<std::string, std::string> aliases_;
  bool recalled_ = false;
  // Plenary: networking rounds (room_apply_rounds.cpp).
  struct rounds_schedule {
    std::int64_t size = 0;
    std::int64_t minutes = 0;
    std::int64_t left = 0;    // rounds still to form, the gathered one included
    std::int64_t round = 0;   // rounds formed this session; the running one's number
    std::int64_t due_at = 0;  // the next deadline; 0: no rounds run
    bool gathering = false;   // the deadline forms round + 1 (else ends round)
    std::int64_t seed = 0;
    std::map<std::string, std::string> pool;  // gathering: id -> name, as reported
    participant by;                           // who started them: the move orders' `by`
    // The running round's groups (group g in room group-(g+1)), id -> name.
    std::vector<std::map<std::string, std::string>> groups;
    std::set<std::string> opted_out;
    rounds::met_pairs met{max_met_pairs};
  };
  rounds_schedule rounds_;
  std::vector<group_order> group_orders_;
  // A group room: its round, its members (only they join), and the last seq
  // of earlier rounds (a store's history before it is not read back).
  std::int64_t group_round_ = 0;
  std::set<std::string> group_members_;
  std::uint64_t history_floor_ = 0;
  std::int64_t gathering_ = 0;

  std::vector<insight_entry> insights_;
  std::vector<comment_entry> comments_;  // in the order posted
  std::uint64_t next_insight_ = 1;
  std::uint64_t insight_order_ = 0;
  std::vector<hand_entry> hands_;
  std::optional<hand_entry> speaker_;
  std::int64_t timer_ends_at_ = 0;  // ms since the Unix epoch; 0: no timer
  std::int64_t timer_seconds_ = 0;
  bool timer_ended_ = false;  // the last timer ran out (and none was set since)
  // A paused timer: ends_at is 0 and this many milliseconds are left.
  std::int64_t timer_left_ms_ = 0;
  std::string draft_;
  std::string published_;
  std::size_t messages_total_ = 0;
  std::size_t messages_deleted_ = 0;
  std::set<std::string> spoke_;               // participant ids that posted a message here
  std::map<std::string, profile> profiles_;   // by participant id: what they said at hello
  std::map<std::string, role_holder> roles_;  // by participant id
  std::vector<std::string> roles_offered_;    // the event's table roles
  table_picture picture_;

  // Plenary only: what stays in its snapshot for anyone who arrives later.
  std::vector<buffer> reports_;
  std::vector<buffer> phases_;  // the latest kept_phases `phase` events, oldest first
  std::vector<buffer> broadcasts_;
  std::string phase_;
  std::set<std::string> tables_;  // every table id, from the config and the log
  std::size_t max_tables_ = SIZE_MAX;
};

}  // namespace roundtable
