// The domain of one room: the plenary or a table. A room owns its ordered
// history (seq, epoch, a bounded window of serialized events), its members and,
// for a table, the table state: topic, moderator, capacity, open or closed,
// insights with votes, the raised-hand queue, the timer and the summary.
//
// Plain C++ with no threads and no sockets: the node calls it on the room's home
// thread only, and unit tests drive it directly. Every rule of who may do what
// at a table lives here.
//
// Decide, then apply. Each operation checks its rules against the current state
// and either returns an error (nothing changes) or submits an event draft to
// the room's sequencer. The sequencer gives the event its seq and hands it back
// to `apply`, the one place where state changes. With no sequencer set (the
// memory engine) that happens at once, inside the operation; the Redis engine
// sequences in Redis and applies when the event comes back through pub/sub, on
// every node alike, so every node's copy of the room reaches the same state.
#pragma once

#include "protocol/error.hpp"
#include "protocol/json_writer.hpp"
#include "server/participant.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace roundtable {

using protocol::error;
using protocol::error_code;

// Returned by room operations: empty on success.
using outcome = std::optional<error>;

inline error make_error(error_code c, std::string message) {
  return {c, std::move(message)};
}

struct table_config {
  std::string id;
  std::string topic;
  std::string moderator;      // display name shown in the lobby
  std::int64_t capacity = 0;  // 0: no limit
  bool open = true;
};

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

struct insight_entry {
  std::string id;
  std::string text;
  participant by;
  std::set<std::string> voters;  // participant ids; one vote each
  std::uint64_t order = 0;       // creation order, to break ties in the ranking
};

// An event before it has a seq: its type, the JSON fields after
// {"type","room","seq","epoch" (starting with a comma, or empty), and what the
// room needs to apply it without parsing: the item it concerns (message or
// insight id), its author, and `aux`, which never reaches clients (the
// connection key of a presence event, the voter of a vote).
struct event_draft {
  std::string type;
  std::string item;
  std::string author;
  std::string aux;
  std::string body;
  std::int64_t ts = 0;
};

class room;

// Gives events their seq (the engine). `submit` must eventually call
// `r.apply(...)` on the room's home thread, in seq order, or `r.failed(ticket)`.
class sequencer {
 public:
  virtual ~sequencer() = default;
  virtual void submit(room& r, event_draft d, std::uint64_t ticket) = 0;
  // Names this node in connection keys ("node:serial").
  virtual std::string const& node_id() const noexcept = 0;
};

// Something that wants every event and state change of a room, e.g. the
// durable store. Called on the room's home thread right after the change.
class room_observer {
 public:
  virtual ~room_observer() = default;
  virtual void on_event(std::string const& room, std::uint64_t epoch, history_entry const& e) = 0;
  virtual void on_rewrite(std::string const& room, std::uint64_t epoch, history_entry const& e) = 0;
  virtual void on_state(std::string const& room, std::uint64_t epoch, std::uint64_t seq,
                        std::string const& state_json) = 0;
  // True when the observer keeps every event for good (the durable store): the
  // state it is given then leaves out the plenary's reports and broadcasts,
  // which grow all session, and restore_lists() brings them back from it.
  virtual bool keeps_events() const noexcept { return false; }
};

class room {
 public:
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
  // Key insights per table: a table has a handful, a few dozen at most; the
  // cap bounds the state every vote rewrites (store, Redis) against a flood.
  static constexpr std::size_t max_insights = 200;
  // One participant's share of that cap, so that one person cannot fill it for
  // everyone (moderators and the chair are exempt: they curate the list).
  static constexpr std::size_t max_insights_per_participant = 20;

  room(table_config cfg, std::uint64_t epoch, std::size_t history_limit,
       room_observer* observer = nullptr, sequencer* seq = nullptr);

  std::string const& id() const noexcept { return cfg_.id; }
  bool is_plenary() const noexcept { return cfg_.id == plenary_id; }
  table_config const& config() const noexcept { return cfg_; }
  std::uint64_t epoch() const noexcept { return epoch_; }
  std::uint64_t seq() const noexcept { return seq_; }
  // Who is here: at a table everyone on every node (from presence events); in
  // the plenary, this node's connections.
  std::size_t count() const noexcept { return is_plenary() ? members_.size() : roster_.size(); }
  bool has_member(std::uint64_t conn) const { return members_.count(conn) != 0; }
  // How many members each worker thread has: the node posts one delivery per
  // worker with a non-zero count.
  std::vector<std::uint32_t> const& workers() const noexcept { return per_worker_; }

  // Membership. `join` refuses a closed (forbidden) or full table, except for
  // the table's moderator and the chair. A table emits `presence`; the plenary
  // does not (everyone is in it; its count is in `tables`).
  outcome join(member const& m, std::int64_t now_ms);
  // Returns true if the connection was a member.
  bool leave(std::uint64_t conn, std::int64_t now_ms);

  // Operations, each checked against the sender's role and membership.
  outcome say(member const& m, std::string_view text, std::int64_t now_ms);
  outcome hand(member const& m, bool up, std::int64_t now_ms);
  outcome next_speaker(participant const& p, bool clear, std::int64_t now_ms);
  outcome add_insight(member const& m, std::string_view text, std::int64_t now_ms);
  // up false takes the member's vote back (ok and no event when there is none).
  outcome vote(member const& m, std::string_view insight_id, std::int64_t now_ms, bool up = true);
  outcome delete_message(participant const& p, std::string_view message_id, std::int64_t now_ms);
  // A moderator or the chair removes an insight (and its votes): `deleted`
  // with an `insight` field.
  outcome delete_insight(participant const& p, std::string_view insight_id, std::int64_t now_ms);
  outcome set_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms);
  // The timer ran out at `now_ms`: emits `timer_ended` if this timer is still
  // the current one (`ends_at` guards against a timer restarted meanwhile).
  void timer_expired(std::int64_t ends_at, std::int64_t now_ms);
  std::int64_t timer_ends_at() const noexcept { return timer_ends_at_; }
  outcome summary(participant const& p, std::string_view text, bool publish, std::int64_t now_ms);
  outcome set_open(participant const& p, bool open, std::int64_t now_ms);

  // Plenary events (everyone is a member of the plenary).
  void report(table_config const& table, std::string_view text, std::int64_t now_ms);
  void broadcast(participant const& from, std::string_view text, std::int64_t now_ms);
  void phase(std::string_view name, std::int64_t now_ms);
  void table_created(table_config const& t, std::int64_t now_ms);

  // Erasure on request: removes every message and insight of `author` (the
  // history entries are rewritten as deleted and `deleted` events go out),
  // then an `erased` event removes the rest of them: their name from past
  // events, their votes (`insight` events with the new counts follow) and
  // their raised hand (`hands` follows). Returns how many items were removed.
  std::size_t erase_author(std::string_view author, std::int64_t now_ms);
  // Participants erased by events applied since the last call: the node
  // closes their connections. And whether `id` was ever erased here.
  std::vector<std::string> take_erased() { return std::exchange(newly_erased_, {}); }
  bool erased(std::string const& id) const { return erased_.count(id) != 0; }

  // The snapshot a joining member receives, at the current seq.
  void write_snapshot(protocol::json_writer& w) const;
  // Events after `after_seq` when the client's epoch matches, the window
  // still holds them all and they fit in `budget` bytes; false otherwise (the
  // client needs the snapshot) with `out` as it was.
  bool replay(std::uint64_t epoch, std::uint64_t after_seq, std::vector<buffer>& out,
              std::size_t budget = SIZE_MAX) const;
  // Events emitted since the last call, in seq order.
  std::vector<buffer> take_outbox() { return std::exchange(outbox_, {}); }

  // Applies a sequenced event: the only place state changes. `json` is the
  // complete event as clients see it. An epoch other than the room's means the
  // engine lost its history: the window starts again, the state is kept.
  void apply(std::uint64_t seq, std::uint64_t epoch, event_draft const& d, buffer json);
  // The engine learnt the seq of a submitted event (memory: at once).
  void sequenced(std::uint64_t ticket, std::uint64_t epoch, std::uint64_t seq);
  // The engine could not sequence a submitted event (Redis unreachable).
  void failed(std::uint64_t ticket, error e);
  // Runs `fn` once every event submitted so far has been applied here (or
  // with the error if one could not be sequenced). Memory engine: at once.
  void after(std::function<void(outcome)> fn);
  // Waiters whose events have been applied; the node runs them after it has
  // delivered the events (a reply must follow the events it confirms).
  std::vector<std::function<void()>> take_ready();
  // Set when applied events started, stopped or created something the node
  // must act on: the timer, the open flag, new tables (plenary).
  bool take_timer_changed() noexcept { return std::exchange(timer_changed_, false); }
  std::vector<table_config> take_created() { return std::exchange(created_, {}); }
  // Assembles the complete event JSON from a draft and its seq.
  static std::string assemble(std::string_view room_id, std::uint64_t seq, std::uint64_t epoch,
                              event_draft const& d);

  // Durable state: everything but history and members, as JSON; and restore.
  std::string state_json() const;
  // Restores state and history (newest last) loaded from a store, replacing
  // what the room had (members stay).
  void restore(std::uint64_t seq, std::string_view state_json, std::vector<history_entry> history);
  // The plenary's reports and broadcasts read back from an observer that
  // keeps events (see room_observer::keeps_events), oldest first.
  void restore_lists(std::vector<buffer> reports, std::vector<buffer> broadcasts);
  // The Redis engine's view at start: the epoch and who is here on any node.
  void set_epoch(std::uint64_t epoch) noexcept { epoch_ = epoch; }
  void set_roster(std::map<std::string, participant> roster) { roster_ = std::move(roster); }
  std::map<std::string, participant> const& roster_view() const noexcept { return roster_; }

  // Read-only views for reports.
  std::deque<history_entry> const& history() const noexcept { return history_; }
  std::vector<insight_entry const*> ranked_insights() const;
  std::string const& published_summary() const noexcept { return published_; }
  std::string const& draft_summary() const noexcept { return draft_; }
  std::size_t messages_total() const noexcept { return messages_total_; }
  std::size_t participants_total() const noexcept { return seen_.size(); }
  std::vector<buffer> const& reports() const noexcept { return reports_; }
  std::string const& phase_name() const noexcept { return phase_; }
  void set_initial_phase(std::string p) { phase_ = std::move(p); }
  std::vector<buffer> const& broadcasts() const noexcept { return broadcasts_; }

 private:
  struct hand_entry {
    std::string id;
    std::string name;
  };

  std::string conn_key(std::uint64_t conn) const;
  void submit(event_draft d);
  void apply_state(event_draft const& d, std::string const& json);
  void tombstone(history_entry& e);
  // Applies `erased`: the participant's name leaves the history, their votes
  // and hand leave the state.
  void forget(std::string const& id);
  void blank_name(history_entry& e, std::string const& id);
  void fire_ready();
  void ticket_done(std::uint64_t ticket);
  bool applied(std::uint64_t epoch, std::uint64_t seq) const noexcept {
    return epoch_ > epoch || (epoch_ == epoch && seq_ >= seq);
  }
  // A fresh id for a message or insight: "m<seq>" with the memory engine,
  // "m-<node>-<n>" when several nodes decide at once.
  std::string new_id(char prefix);

  bool may_moderate(participant const& p) const noexcept {
    return p.is_chair() || (!is_plenary() && p.moderates_table(cfg_.id));
  }
  outcome require_table_member(member const& m) const;
  outcome insight_quota(participant const& p) const;
  // Submits an event of `type`; `fill` writes its fields.
  template <class Fill>
  void emit(std::string_view type, std::int64_t now_ms, Fill&& fill, std::string item = {},
            std::string author = {}, std::string aux = {});
  void emit_hands(std::vector<hand_entry> const& queue, std::optional<hand_entry> const& speaker,
                  std::int64_t now_ms);
  void emit_insight(insight_entry const& i, std::size_t votes, std::string voter,
                    std::int64_t now_ms);
  void state_changed();
  void write_participant(protocol::json_writer& w, participant const& p) const;

  table_config cfg_;
  std::uint64_t epoch_;
  std::uint64_t seq_ = 0;
  std::size_t history_limit_;
  room_observer* observer_;
  sequencer* sequencer_;

  std::deque<history_entry> history_;
  std::vector<buffer> outbox_;
  std::map<std::uint64_t, member> members_;    // this node's connections, by serial
  std::map<std::uint64_t, member> joining_;    // submitted `joined`, not applied yet
  std::map<std::string, participant> roster_;  // everyone here, by connection key
  std::vector<std::uint32_t> per_worker_;

  std::uint64_t next_ticket_ = 0;
  // Submitted, seq known, not applied yet: ticket -> (epoch, seq).
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> ticket_seq_;
  std::set<std::uint64_t> done_;  // tickets applied or failed beyond done_upto_
  std::uint64_t done_upto_ = 0;   // every ticket up to here is applied or failed
  std::uint64_t next_local_id_ = 0;
  struct waiter {
    std::uint64_t ticket;
    std::function<void(outcome)> fn;
  };
  std::deque<waiter> waiters_;
  std::map<std::uint64_t, error> failed_;
  std::map<std::uint64_t, std::uint64_t> join_tickets_;  // ticket -> joining connection
  std::vector<std::function<void()>> ready_;
  bool timer_changed_ = false;
  std::vector<table_config> created_;
  std::set<std::string> seen_;    // participant ids that were ever here
  std::set<std::string> erased_;  // participant ids erased on request
  std::vector<std::string> newly_erased_;

  std::vector<insight_entry> insights_;
  std::uint64_t next_insight_ = 1;
  std::uint64_t insight_order_ = 0;
  std::vector<hand_entry> hands_;
  std::optional<hand_entry> speaker_;
  std::int64_t timer_ends_at_ = 0;  // ms since the Unix epoch; 0: no timer
  std::int64_t timer_seconds_ = 0;
  std::string draft_;
  std::string published_;
  std::size_t messages_total_ = 0;

  // Plenary only: what stays in its snapshot for anyone who arrives later.
  std::vector<buffer> reports_;
  std::vector<buffer> broadcasts_;
  std::string phase_;
};

}  // namespace roundtable
