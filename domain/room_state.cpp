// A room's state as text, written and read in one place: the durable state
// (what the memory engine's store keeps beside the events) and the replica
// state (what the Redis engine keeps as a snapshot beside the log's tail).
#include "domain/room.hpp"

#include <simdjson.h>

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

namespace {

// Readers that keep the default when a field is missing or mistyped, so an
// older or damaged state still loads what it can.
std::string str_in(simdjson::dom::element e, char const* key) {
  std::string_view v;
  return e[key].get(v) ? std::string() : std::string(v);
}

template <class T>
T num_in(simdjson::dom::element e, char const* key, T fallback) {
  T v{};
  return e[key].get(v) ? fallback : v;
}

// The elements of an array field; none when it is missing (a default
// simdjson array cannot be iterated), e.g. a state written before the field.
std::vector<simdjson::dom::element> array_in(simdjson::dom::element e, char const* key) {
  std::vector<simdjson::dom::element> out;
  simdjson::dom::array a;
  if (!e[key].get(a)) {
    for (auto x : a) out.push_back(x);
  }
  return out;
}

std::set<std::string> ids_in(simdjson::dom::element e, char const* key) {
  std::set<std::string> out;
  for (simdjson::dom::element s : array_in(e, key)) {
    std::string_view v;
    if (!s.get(v)) out.insert(std::string(v));
  }
  return out;
}

void write_ids(json_writer& w, std::string_view key, std::set<std::string> const& ids) {
  w.key(key).begin_array();
  for (auto const& s : ids) w.value(s);
  w.end_array();
}

participant participant_in(simdjson::dom::element e) {
  participant p;
  p.id = str_in(e, "id");
  p.name = str_in(e, "name");
  p.who = auth::parse_role(str_in(e, "role")).value_or(role::participant);
  return p;
}

std::vector<buffer> buffers_in(simdjson::dom::element e, char const* key) {
  std::vector<buffer> out;
  for (simdjson::dom::element b : array_in(e, key)) {
    std::string_view v;
    if (!b.get(v)) out.push_back(std::make_shared<std::string const>(v));
  }
  return out;
}

// The polls and reactions of a state.
void read_polls(simdjson::dom::element doc, std::uint64_t& next_poll,
                std::vector<poll_entry>& polls, std::vector<reaction_entry>& reactions) {
  next_poll = num_in<std::uint64_t>(doc, "next_poll", 1);
  polls.clear();
  for (simdjson::dom::element e : array_in(doc, "polls")) {
    poll_entry& p = polls.emplace_back();
    p.id = str_in(e, "id");
    p.question = str_in(e, "question");
    p.multiple = num_in<bool>(e, "multiple", false);
    p.live = num_in<bool>(e, "live", true);
    p.open = num_in<bool>(e, "open", true);
    p.ts = num_in<std::int64_t>(e, "ts", 0);
    simdjson::dom::element by;
    if (!e["by"].get(by)) p.by = participant_in(by);
    for (simdjson::dom::element o : array_in(e, "options")) {
      std::string_view v;
      if (!o.get(v)) p.options.emplace_back(v);
    }
    simdjson::dom::object ballots;
    if (e["ballots"].get(ballots)) continue;
    for (auto [who, choices] : ballots) {
      auto& b = p.ballots[std::string(who)];
      simdjson::dom::array a;
      if (choices.get(a)) continue;
      for (simdjson::dom::element n : a) {
        std::int64_t v = 0;
        // A damaged index must not count past the options.
        if (!n.get(v) && v >= 0 && static_cast<std::size_t>(v) < p.options.size()) b.push_back(v);
      }
    }
  }
  reactions.clear();
  for (simdjson::dom::element e : array_in(doc, "reactions")) {
    reaction_entry& r = reactions.emplace_back();
    r.item = str_in(e, "item");
    simdjson::dom::object by;
    if (e["by"].get(by)) continue;
    for (auto [who, emoji] : by) {
      std::string_view v;
      if (!emoji.get(v)) r.by.emplace(std::string(who), std::string(v));
    }
  }
}

}  // namespace

std::string room::tombstone_json(std::string_view room, std::uint64_t epoch,
                                 history_entry const& e) {
  json_writer w;
  w.begin_object()
      .field("type", e.type)
      .field("room", room)
      .field("seq", e.seq)
      .field("epoch", epoch)
      .field("id", e.item)
      .field("deleted", true)
      .end_object();
  return w.release();
}

void room::tombstone(history_entry& e) {
  e.deleted = true;
  e.json = std::make_shared<std::string const>(tombstone_json(cfg_.id, epoch_, e));
  if (observer_) observer_->on_rewrite(cfg_.id, epoch_, e);
}

// The state is written in parts, each read back by its reader below; the
// fields keep their order within the whole.
void room::write_state(json_writer& w, bool replica, bool lean) const {
  w.begin_object();
  write_state_settings(w, replica);
  write_state_people(w);
  write_state_items(w);
  write_state_insights(w);
  write_state_polls(w);
  write_rounds(w);
  w.field("group_round", group_round_).field("history_floor", history_floor_);
  write_ids(w, "group_members", group_members_);
  write_state_lists(w, replica && !lean);
  // Who is here and the hands belong to live connections: a replica shares
  // them, a restarted process does not.
  if (replica) write_state_live(w, lean);
  w.end_object();
}

// The table's settings, counters and timers, the sets of ids and the picture.
void room::write_state_settings(json_writer& w, bool replica) const {
  w.field("topic", cfg_.topic)
      .field("moderator", cfg_.moderator)
      .field("capacity", cfg_.capacity)
      .field("open", cfg_.open)
      .field("premoderate", cfg_.premoderate)
      .field("anonymous", cfg_.anonymous)
      .field("next_insight", next_insight_)
      .field("insight_order", insight_order_)
      .field("messages_total", static_cast<std::uint64_t>(messages_total_))
      .field("messages_deleted", static_cast<std::uint64_t>(messages_deleted_))
      .field("draft", draft_)
      .field("published", published_)
      .field("timer_ends_at", timer_ends_at_)
      .field("timer_seconds", timer_seconds_)
      .field("timer_ended", timer_ended_)
      .field("timer_left_ms", timer_left_ms_)
      .field("recall_ends_at", recall_ends_at_)
      .field("phase", phase_);
  write_ids(w, "spoke", spoke_);
  write_ids(w, "seen", seen_);
  w.key("picture");
  picture_.write(w, replica);
  w.key("aliases").begin_object();
  for (auto const& [shown, id] : aliases_) w.field(shown, id);
  w.end_object();
  write_ids(w, "erased", erased_);
  write_ids(w, "hidden", hidden_);
  write_ids(w, "muted", muted_);
  write_ids(w, "removed", removed_);
}

// The open call for the chair, what people said of themselves, table roles.
void room::write_state_people(json_writer& w) const {
  w.key("help");
  if (help_) {
    w.begin_object().field("ts", help_->ts).key("from");
    write_participant(w, help_->from);
    w.end_object();
  } else {
    w.null();
  }
  w.key("profiles").begin_array();
  for (auto const& [id, p] : profiles_) {
    w.begin_object()
        .field("id", id)
        .field("stakeholder", p.stakeholder)
        .field("expertise", p.expertise)
        .end_object();
  }
  w.end_array().key("roles").begin_array();
  for (auto const& [id, h] : roles_)
    w.begin_object().field("id", id).field("name", h.name).field("role", h.role).end_object();
  w.end_array();
}

// Held messages and comments.
void room::write_state_items(json_writer& w) const {
  w.key("held").begin_array();
  for (auto const& h : held_) {
    w.begin_object().field("id", h.id).field("text", h.text).field("ts", h.ts);
    if (h.insight) w.field("insight", true);
    w.key("from");
    write_participant(w, h.from);
    w.end_object();
  }
  w.end_array();
  w.key("comments").begin_array();
  for (auto const& e : comments_) {
    w.begin_object()
        .field("id", e.id)
        .field("insight", e.insight)
        .field("text", e.text)
        .field("ts", e.ts)
        .field("approved", e.approved)
        .key("by");
    write_participant(w, e.by);
    w.end_object();
  }
  w.end_array();
}

// The insights with their voters and the history of their outcomes.
void room::write_state_insights(json_writer& w) const {
  w.key("insights").begin_array();
  for (auto const& i : insights_) {
    w.begin_object().field("id", i.id).field("text", i.text).field("order", i.order).key("by");
    write_participant(w, i.by);
    w.key("voters").begin_array();
    for (auto const& v : i.voters) w.value(v);
    w.end_array().field("status", i.status).field("note", i.note).field("into", i.into);
    w.key("history").begin_array();
    for (auto const& h : i.history) {
      w.begin_object()
          .field("status", h.status)
          .field("note", h.note)
          .field("into", h.into)
          .field("ts", h.ts)
          .key("by");
      write_participant(w, h.by);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
}

// The polls with every ballot, and the reactions (read_polls reads them).
void room::write_state_polls(json_writer& w) const {
  w.field("next_poll", next_poll_).key("polls").begin_array();
  for (auto const& p : polls_) {
    w.begin_object();
    write_poll(w, p);  // as the `poll` event tells it
    w.field("ts", p.ts).key("ballots").begin_object();
    for (auto const& [who, choices] : p.ballots) {
      w.key(who).begin_array();
      for (auto const n : choices) w.value(n);
      w.end_array();
    }
    w.end_object().end_object();
  }
  w.end_array().key("reactions").begin_array();
  for (auto const& r : reactions_) {
    w.begin_object().field("item", r.item).key("by").begin_object();
    for (auto const& [who, emoji] : r.by) w.field(who, emoji);
    w.end_object().end_object();
  }
  w.end_array();
}

// The plenary's lists: tables, phases, reports and broadcasts.
void room::write_state_lists(json_writer& w, bool replica) const {
  w.key("tables").begin_array();
  for (auto const& t : tables_) w.value(t);
  w.end_array().key("phases").begin_array();  // bounded: kept in the state itself
  for (auto const& p : phases_) w.value(*p);
  w.end_array();
  // A store that keeps every event gives them back (restore_lists): else every
  // report or broadcast would rewrite all the earlier ones.
  if (replica || !observer_ || !observer_->keeps_events()) {
    w.key("reports").begin_array();
    for (auto const& r : reports_) w.value(*r);
    w.end_array().key("broadcasts").begin_array();
    for (auto const& b : broadcasts_) w.value(*b);
    w.end_array();
  }
}

// A replica's own part: its place in the log, who is here, the hands and the
// history window.
void room::write_state_live(json_writer& w, bool lean) const {
  w.field("epoch", epoch_).field("seq", seq_).field("lsn", lsn_);
  w.key("roster").begin_array();
  for (auto const& [conn, p] : roster_) {
    auto const at = seated_at_.find(conn);
    w.begin_object().field("conn", conn).field("moderates", p.moderates);
    w.field("at", at == seated_at_.end() ? std::uint64_t{0} : at->second).key("who");
    // An erased participant's connections stay seated until they close: the
    // snapshot written at the erasure must not keep the name (no rule reads it).
    bool const blank = lean && erased_.count(p.id);
    write_participant(w, blank ? participant{p.id, {}, p.who, p.moderates} : p);
    w.end_object();
  }
  w.end_array();
  write_hands(w, "hands");
  w.key("history").begin_array();
  for (auto const& e : history_) {
    w.begin_object()
        .field("seq", e.seq)
        .field("type", e.type)
        .field("item", e.item)
        .field("author", e.author)
        .field("ts", e.ts)
        .field("deleted", e.deleted);
    if (!lean) w.field("json", *e.json);
    w.end_object();
  }
  w.end_array();
}

bool room::read_state(std::string_view json, bool replica) {
  simdjson::dom::parser parser;
  simdjson::padded_string const padded(json);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) || !doc.is_object()) return false;
  if (replica && !read_state_live(doc)) return false;
  read_state_settings(doc, replica);
  read_state_people(doc);
  reseat();
  read_state_items(doc);
  read_state_insights(doc);
  read_polls(doc, next_poll_, polls_, reactions_);
  read_rounds(doc);
  group_round_ = num_in<std::int64_t>(doc, "group_round", 0);
  history_floor_ = num_in<std::uint64_t>(doc, "history_floor", 0);
  group_members_ = ids_in(doc, "group_members");
  read_state_lists(doc);
  return true;
}

void room::read_state_settings(simdjson::dom::element const& doc, bool replica) {
  cfg_.topic = str_in(doc, "topic");
  cfg_.moderator = str_in(doc, "moderator");
  cfg_.capacity = num_in<std::int64_t>(doc, "capacity", 0);
  cfg_.open = num_in<bool>(doc, "open", true);
  cfg_.premoderate = num_in<bool>(doc, "premoderate", cfg_.premoderate);
  cfg_.anonymous = num_in<bool>(doc, "anonymous", cfg_.anonymous);
  next_insight_ = num_in<std::uint64_t>(doc, "next_insight", 1);
  messages_total_ = num_in<std::uint64_t>(doc, "messages_total", 0);
  messages_deleted_ = num_in<std::uint64_t>(doc, "messages_deleted", 0);
  draft_ = str_in(doc, "draft");
  published_ = str_in(doc, "published");
  timer_ends_at_ = num_in<std::int64_t>(doc, "timer_ends_at", 0);
  timer_seconds_ = num_in<std::int64_t>(doc, "timer_seconds", 0);
  timer_ended_ = num_in<bool>(doc, "timer_ended", false);
  timer_left_ms_ = num_in<std::int64_t>(doc, "timer_left_ms", 0);
  recall_ends_at_ = num_in<std::int64_t>(doc, "recall_ends_at", 0);
  timer_changed_ = true;
  phase_ = str_in(doc, "phase");
  seen_ = ids_in(doc, "seen");
  spoke_ = ids_in(doc, "spoke");
  simdjson::dom::element pic;
  if (doc["picture"].get(pic)) {
    picture_ = {};  // a state written before the picture
  } else {
    picture_.read(pic, replica);
  }
  aliases_.clear();
  simdjson::dom::object aliases;
  if (!doc["aliases"].get(aliases)) {
    for (auto [shown, who] : aliases) {
      std::string_view id;
      if (!who.get(id)) aliases_.emplace(std::string(shown), std::string(id));
    }
  }
  erased_ = ids_in(doc, "erased");
  hidden_ = ids_in(doc, "hidden");
  muted_ = ids_in(doc, "muted");
  removed_ = ids_in(doc, "removed");
}

void room::read_state_people(simdjson::dom::element const& doc) {
  help_.reset();
  simdjson::dom::element call, caller;
  if (!doc["help"].get(call) && call.is_object() && !call["from"].get(caller))
    help_ = help_call{participant_in(caller), num_in<std::int64_t>(call, "ts", 0)};
  profiles_.clear();
  mix_changed_ = true;
  for (simdjson::dom::element p : array_in(doc, "profiles"))
    profiles_[str_in(p, "id")] = profile{str_in(p, "stakeholder"), str_in(p, "expertise")};
  roles_.clear();
  for (simdjson::dom::element r : array_in(doc, "roles"))
    roles_[str_in(r, "id")] = role_holder{str_in(r, "name"), str_in(r, "role")};
}

void room::reseat() {
  seating_.clear();
  for (auto const& [key, p] : roster_) {
    auto const at = seated_at_.find(key);
    auto const said = profiles_.find(p.id);
    seating_.sit(key, p, at == seated_at_.end() ? 0 : at->second, p.moderates_table(cfg_.id),
                 said == profiles_.end() ? profile{} : said->second);
  }
}

void room::read_state_items(simdjson::dom::element const& doc) {
  held_.clear();
  for (simdjson::dom::element h : array_in(doc, "held")) {
    held_entry& e = held_.emplace_back();
    e.id = str_in(h, "id");
    e.text = str_in(h, "text");
    e.ts = num_in<std::int64_t>(h, "ts", 0);
    e.insight = num_in<bool>(h, "insight", false);
    simdjson::dom::element from;
    if (!h["from"].get(from)) e.from = participant_in(from);
  }
  comments_.clear();  // a state written before comments existed has none
  for (simdjson::dom::element e : array_in(doc, "comments")) {
    comment_entry& ce = comments_.emplace_back();
    ce.id = str_in(e, "id");
    ce.insight = str_in(e, "insight");
    ce.text = str_in(e, "text");
    ce.ts = num_in<std::int64_t>(e, "ts", 0);
    ce.approved = num_in<bool>(e, "approved", false);
    simdjson::dom::element by;
    if (!e["by"].get(by)) ce.by = participant_in(by);
  }
}

void room::read_state_insights(simdjson::dom::element const& doc) {
  insights_.clear();
  insight_order_ = num_in<std::uint64_t>(doc, "insight_order", 0);
  for (simdjson::dom::element i : array_in(doc, "insights")) {
    insight_entry& e = insights_.emplace_back();
    e.id = str_in(i, "id");
    e.text = str_in(i, "text");
    e.order = num_in<std::uint64_t>(i, "order", 0);
    insight_order_ = std::max(insight_order_, e.order);
    simdjson::dom::element by;
    if (!i["by"].get(by)) e.by = participant_in(by);
    for (simdjson::dom::element v : array_in(i, "voters")) {
      std::string_view id;
      if (!v.get(id)) e.voters.insert(std::string(id));
    }
    // A state written before outcomes existed: every insight is open.
    if (auto const status = str_in(i, "status"); !status.empty()) e.status = status;
    e.note = str_in(i, "note");
    e.into = str_in(i, "into");
    for (simdjson::dom::element h : array_in(i, "history")) {
      outcome_change& ch = e.history.emplace_back();
      ch.status = str_in(h, "status");
      ch.note = str_in(h, "note");
      ch.into = str_in(h, "into");
      ch.ts = num_in<std::int64_t>(h, "ts", 0);
      simdjson::dom::element hb;
      if (!h["by"].get(hb)) ch.by = participant_in(hb);
    }
  }
}

void room::read_state_lists(simdjson::dom::element const& doc) {
  if (doc["tables"].is_array()) {  // an older state without it keeps the config's
    tables_.clear();
    for (simdjson::dom::element t : array_in(doc, "tables")) {
      std::string_view v;
      if (!t.get(v)) tables_.insert(std::string(v));
    }
  }
  phases_ = buffers_in(doc, "phases");
  reports_ = buffers_in(doc, "reports");
  broadcasts_ = buffers_in(doc, "broadcasts");
}

// False, changing nothing, when the replica's place in the log is missing.
bool room::read_state_live(simdjson::dom::element const& doc) {
  std::uint64_t epoch = 0, lsn = 0, seq = 0;
  if (doc["epoch"].get(epoch) || doc["lsn"].get(lsn) || doc["seq"].get(seq)) return false;
  epoch_ = epoch;
  lsn_ = lsn;
  seq_ = seq;
  roster_.clear();
  mix_changed_ = true;
  seated_at_.clear();
  for (simdjson::dom::element r : array_in(doc, "roster")) {
    simdjson::dom::element who;
    if (r["who"].get(who)) continue;
    auto p = participant_in(who);
    p.moderates = str_in(r, "moderates");
    seated_at_[str_in(r, "conn")] = num_in<std::uint64_t>(r, "at", 0);
    roster_.emplace(str_in(r, "conn"), std::move(p));
  }
  hands_.clear();
  for (simdjson::dom::element h : array_in(doc, "hands")) {
    hands_.push_back({str_in(h, "id"), str_in(h, "name")});
  }
  simdjson::dom::element sp;
  speaker_.reset();
  if (!doc["speaker"].get(sp) && sp.is_object())
    speaker_ = hand_entry{str_in(sp, "id"), str_in(sp, "name")};
  history_.clear();
  for (simdjson::dom::element e : array_in(doc, "history")) {
    history_.push_back(history_entry{
        num_in<std::uint64_t>(e, "seq", 0), str_in(e, "type"), str_in(e, "item"),
        str_in(e, "author"), num_in<std::int64_t>(e, "ts", 0),
        std::make_shared<std::string const>(str_in(e, "json")), num_in<bool>(e, "deleted", false)});
  }
  return true;
}

std::string room::state_json() const {
  json_writer w;
  write_state(w, false);
  return w.release();
}

std::string room::replica_json() const {
  json_writer w;
  write_state(w, true);
  return w.release();
}

std::string room::snapshot_json() const {
  json_writer w;
  write_state(w, true, true);
  return w.release();
}

void room::save_snapshot() {
  if (!observer_) return;
  snapshot_lsn_ = lsn_;
  observer_->on_snapshot(cfg_.id, epoch_, seq_, lsn_, history_limit_, snapshot_json());
}

bool room::load_replica(std::string_view json) {
  if (!read_state(json, true)) return false;
  snapshot_lsn_ = lsn_;
  settle_skipped();
  return true;
}

bool room::shed() {
  if (has_local_members() || !pending_.empty() || !placed_.empty() || !unconfirmed_.empty() ||
      !ready_.empty() || !outbox_.empty() || !dropped_.empty() || is_plenary())
    return false;
  room fresh(cfg_, 0, history_limit_, observer_, sequencer_);
  // What the node set rather than the log, and the names this node issues.
  fresh.roles_offered_ = std::move(roles_offered_);
  fresh.next_ticket_ = next_ticket_;
  fresh.next_local_id_ = next_local_id_;
  fresh.per_worker_ = std::move(per_worker_);
  *this = std::move(fresh);
  return true;
}

void room::restore(std::uint64_t seq, std::string_view state, std::vector<history_entry> history,
                   std::uint64_t lsn) {
  seq_ = seq;
  lsn_ = lsn;
  snapshot_lsn_ = lsn;
  hands_.clear();  // hands belong to live connections: after a restart nobody's is up
  speaker_.reset();
  history_.assign(std::make_move_iterator(history.begin()), std::make_move_iterator(history.end()));
  while (history_.size() > history_limit_) history_.pop_front();
  // A window read back from a store may still hold messages that a later
  // `deleted` in the same window removed.
  std::set<std::string> gone, forgotten;
  for (auto const& e : history_) {
    if (e.type == "deleted") gone.insert(e.item);
    if (e.type == "erased") forgotten.insert(e.author);
  }
  for (auto& e : history_) {
    if ((e.type == "message" || e.type == "insight") && !e.deleted && gone.count(e.item))
      tombstone(e);
    for (auto const& id : forgotten) blank_name(e, id);
  }
  if (!state.empty()) read_state(state, false);  // an unreadable state keeps the defaults
  // A group room's earlier rounds: the store still holds them, the room does not.
  while (!history_.empty() && history_.front().seq <= history_floor_) history_.pop_front();
}

void room::restore_lists(std::vector<buffer> reports, std::vector<buffer> broadcasts) {
  reports_ = std::move(reports);
  broadcasts_ = std::move(broadcasts);
}

void room::blank_name(history_entry& e, std::string const& id) {
  auto json = *e.json;
  if (!protocol::blank_participant_name(json, id)) return;
  e.json = std::make_shared<std::string const>(std::move(json));
  if (observer_) observer_->on_rewrite(cfg_.id, epoch_, e);
}

// Networking rounds (room_apply_rounds.cpp): the schedule, the gathering's
// pool, who opted out and who met whom, so that a restarted or later node
// forms the same groups.
void room::write_rounds(json_writer& w) const {
  auto const& r = rounds_;
  w.key("rounds")
      .begin_object()
      .field("size", r.size)
      .field("minutes", r.minutes)
      .field("left", r.left)
      .field("round", r.round)
      .field("due_at", r.due_at)
      .field("gathering", r.gathering)
      .field("seed", r.seed)
      .key("by");
  write_participant(w, r.by);
  w.key("groups").begin_array();
  for (auto const& g : r.groups) {
    w.begin_object();
    for (auto const& [id, name] : g) w.field(id, name);
    w.end_object();
  }
  w.end_array().key("pool").begin_object();
  for (auto const& [id, name] : r.pool) w.field(id, name);
  w.end_object();
  write_ids(w, "opted_out", r.opted_out);
  w.key("met").begin_array();
  for (auto const& [a, b] : r.met.pairs()) w.begin_array().value(a).value(b).end_array();
  w.end_array().end_object();
}

void room::read_rounds(simdjson::dom::element const& doc) {
  rounds_ = rounds_schedule{};
  simdjson::dom::element r;
  if (doc["rounds"].get(r)) return;  // a state from before rounds
  rounds_.size = num_in<std::int64_t>(r, "size", 0);
  rounds_.minutes = num_in<std::int64_t>(r, "minutes", 0);
  rounds_.left = num_in<std::int64_t>(r, "left", 0);
  rounds_.round = num_in<std::int64_t>(r, "round", 0);
  rounds_.due_at = num_in<std::int64_t>(r, "due_at", 0);
  rounds_.gathering = num_in<bool>(r, "gathering", false);
  rounds_.seed = num_in<std::int64_t>(r, "seed", 0);
  simdjson::dom::element by;
  if (!r["by"].get(by)) rounds_.by = participant_in(by);
  auto const names_in = [](simdjson::dom::element e, std::map<std::string, std::string>& out) {
    simdjson::dom::object o;
    if (e.get(o)) return;
    for (auto field : o) {
      std::string_view name;
      if (!field.value.get(name)) out.emplace(std::string(field.key), std::string(name));
    }
  };
  for (simdjson::dom::element g : array_in(r, "groups")) names_in(g, rounds_.groups.emplace_back());
  simdjson::dom::element pool;
  if (!r["pool"].get(pool)) names_in(pool, rounds_.pool);
  rounds_.opted_out = ids_in(r, "opted_out");
  for (simdjson::dom::element pair : array_in(r, "met")) {
    std::string_view a, b;
    if (!pair.at(0).get(a) && !pair.at(1).get(b)) rounds_.met.add(std::string(a), std::string(b));
  }
}

}  // namespace roundtable
