// A room's operations (stamp a command, submit it, and answer whoever waits
// once it is applied), its snapshot and its replay. The rules, applied in log
// order, are in room_apply.cpp; the durable and replica state in room_state.cpp.
#include "domain/room.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

namespace roundtable {

using protocol::json_writer;

namespace {

// Writes as an array, oldest first, the newest of `items` (given newest first)
// that fit in `count` entries and `bytes`: what a snapshot shows of a list
// that grows for the whole session.
void write_latest(json_writer& w, std::vector<std::string const*> const& newest, std::size_t count,
                  std::size_t bytes) {
  std::size_t n = 0, used = 0;
  while (n < newest.size() && n < count && used + newest[n]->size() <= bytes)
    used += newest[n++]->size();
  w.begin_array();
  for (auto i = n; i-- > 0;) w.raw(*newest[i]);
  w.end_array();
}

std::vector<std::string const*> newest_first(std::vector<buffer> const& items, std::size_t limit) {
  std::vector<std::string const*> out;
  for (auto it = items.rbegin(); it != items.rend() && out.size() < limit; ++it)
    out.push_back(it->get());
  return out;
}

}  // namespace

room::room(table_config cfg, std::uint64_t epoch, std::size_t history_limit,
           room_observer* observer, sequencer* seq)
    : cfg_(std::move(cfg)),
      epoch_(epoch),
      history_limit_(std::max<std::size_t>(history_limit, 1)),
      observer_(observer),
      sequencer_(seq) {}

std::string const& room::node_name() const {
  static std::string const local = "local";
  return sequencer_ ? sequencer_->node_id() : local;
}

std::string room::conn_key(std::uint64_t conn) const {
  return node_name() + ":" + std::to_string(conn);
}

namespace {
// This process's mark in the ids it stamps: a node restarted with the same
// --node-id must not issue "m-node1-1" again while the log still holds the
// first one (a delete would hit the wrong message).
std::string const& incarnation() {
  static std::string const mark = [] {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return std::string(buf);
  }();
  return mark;
}
}  // namespace

std::string room::new_id(char prefix) {
  // The memory engine leaves it to apply: "m<seq>", "i<n>" (see room_apply.cpp).
  if (!sequencer_ || !sequencer_->stamps_ids()) return {};
  return std::string(1, prefix) + "-" + sequencer_->node_id() + "-" + incarnation() + "-" +
         std::to_string(++next_local_id_);
}

// --- submit and answer -------------------------------------------------------

room::ticket room::submit(participant who, std::string conn, std::int64_t ts, command_op op) {
  auto const t = ++next_ticket_;
  pending_.emplace(t, nullptr);
  room_command c{node_name(), t, std::move(conn), std::move(who), ts, std::move(op)};
  if (sequencer_) {
    sequencer_->submit(*this, std::move(c));
  } else {
    apply(lsn_ + 1, epoch_, c);  // the memory engine: the next place in the log, at once
  }
  return t;
}

room::ticket room::reject(error e) {
  auto const t = ++next_ticket_;
  last_resolved_ = {t, std::move(e)};
  return t;
}

void room::resolve(ticket t, outcome o) {
  auto it = pending_.find(t);
  if (it == pending_.end()) return;
  auto fn = std::move(it->second);
  pending_.erase(it);
  placed_.erase(t);
  unconfirmed_.erase(t);
  if (auto j = join_tickets_.find(t); j != join_tickets_.end()) {
    joining_.erase(j->second);  // refused or lost: the connection never became a member
    join_tickets_.erase(j);
  }
  if (fn) {
    ready_.push_back([fn = std::move(fn), o = std::move(o)] { fn(o); });
  } else {
    last_resolved_ = {t, std::move(o)};
  }
}

void room::after(ticket t, std::function<void(outcome)> fn) {
  if (auto it = pending_.find(t); it != pending_.end()) {
    it->second = std::move(fn);
    return;
  }
  outcome o;
  if (t != 0 && last_resolved_.t == t) o = last_resolved_.o;
  ready_.push_back([fn = std::move(fn), o = std::move(o)] { fn(o); });
}

void room::failed(ticket t, error e) {
  resolve(t, std::move(e));
}

void room::sequenced(ticket t, std::uint64_t epoch, std::uint64_t lsn) {
  if (!pending_.count(t)) return;  // applied already
  if (auto held = unconfirmed_.find(t); held != unconfirmed_.end())
    return resolve(t, outcome(held->second));
  placed_[t] = {epoch, lsn};
  settle_skipped();
}

void room::settle_applied(ticket t, outcome const& o) {
  if (!sequencer_ || !sequencer_->confirms() || placed_.count(t)) return resolve(t, o);
  if (pending_.count(t)) unconfirmed_.insert_or_assign(t, o);
}

void room::settle_skipped() {
  // Epochs grow with time: an older one is a log this replica has left.
  for (auto it = placed_.begin(); it != placed_.end();) {
    auto const [epoch, lsn] = it->second;
    auto const t = it->first;
    ++it;
    if (epoch < epoch_ || (epoch == epoch_ && lsn <= lsn_)) {
      resolve(t, make_error(error_code::unavailable,
                            "the room was reloaded before this op's outcome was known; check "
                            "and try again"));
    }
  }
}

// --- operations --------------------------------------------------------------

room::ticket room::join(member const& m, std::int64_t now_ms, profile said, std::string from) {
  if (has_member(m.conn) || joining_.count(m.conn)) return 0;
  if (is_plenary()) {
    members_.emplace(m.conn, local_member{m.worker, nullptr});
    if (per_worker_.size() <= m.worker) per_worker_.resize(m.worker + 1, 0);
    ++per_worker_[m.worker];
    return 0;
  }
  // The connection becomes a member when its join is applied: the snapshot it
  // gets then is exactly at that point of the log.
  joining_.emplace(m.conn, local_member{m.worker, std::make_unique<participant>(m.who)});
  join_tickets_.emplace(next_ticket_ + 1, m.conn);
  return submit(m.who, conn_key(m.conn), now_ms, cmd::join{std::move(said), std::move(from)});
}

room::ticket room::leave(std::uint64_t conn, std::int64_t now_ms) {
  local_member m;
  if (auto it = members_.find(conn); it != members_.end()) {
    m = std::move(it->second);
    members_.erase(it);
    --per_worker_[m.worker];
  } else if (auto j = joining_.find(conn); j != joining_.end()) {
    m = std::move(j->second);
    joining_.erase(j);
  } else {
    return 0;
  }
  if (is_plenary()) return 0;
  return submit(std::move(*m.who), conn_key(conn), now_ms, cmd::leave{});
}

room::ticket room::say(member const& m, std::string_view text, std::int64_t now_ms,
                       std::string alias) {
  // The plenary has no roster (everyone is in it): its membership is local.
  if (is_plenary() && !has_member(m.conn))
    return reject(make_error(error_code::forbidden, "not a member of this room"));
  return submit(m.who, conn_key(m.conn), now_ms,
                cmd::say{new_id('m'), std::string(text), std::move(alias)});
}

room::ticket room::hand(member const& m, bool up, std::int64_t now_ms) {
  return submit(m.who, conn_key(m.conn), now_ms, cmd::hand{up});
}

room::ticket room::next_speaker(participant const& p, bool clear, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::speaker{clear});
}

room::ticket room::add_insight(member const& m, std::string_view text, std::int64_t now_ms,
                               std::string alias) {
  return submit(m.who, conn_key(m.conn), now_ms,
                cmd::insight{new_id('i'), std::string(text), std::move(alias)});
}

room::ticket room::vote(member const& m, std::string_view insight_id, std::int64_t now_ms,
                        bool up) {
  return submit(m.who, conn_key(m.conn), now_ms, cmd::vote{std::string(insight_id), up});
}

room::ticket room::delete_message(participant const& p, std::string_view message_id,
                                  std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::del{std::string(message_id)});
}

room::ticket room::delete_insight(participant const& p, std::string_view insight_id,
                                  std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::del_insight{std::string(insight_id)});
}

room::ticket room::set_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::timer{seconds});
}

void room::timer_expired(std::int64_t ends_at, std::int64_t now_ms) {
  if (timer_ends_at_ == 0 || timer_ends_at_ != ends_at) return;
  submit({}, {}, now_ms, cmd::timer_ended{ends_at});
}

room::ticket room::summary(participant const& p, std::string_view text, bool publish,
                           std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::summary{std::string(text), publish});
}

room::ticket room::set_open(participant const& p, bool open, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::open{open});
}

room::ticket room::hide(participant const& p, std::string_view item, bool on, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::hide{std::string(item), on});
}

room::ticket room::mute(participant const& p, std::string_view who, bool on,
                        std::string_view reason, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::mute{std::string(who), on, std::string(reason)});
}

room::ticket room::remove_member(participant const& p, std::string_view who, bool on,
                                 std::string_view reason, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::remove_member{{std::string(who), on, std::string(reason)}});
}

room::ticket room::help(member const& m, bool done, std::int64_t now_ms) {
  return submit(m.who, conn_key(m.conn), now_ms, cmd::help{done});
}

room::ticket room::set_premoderate(participant const& p, bool on, std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::premoderate{on});
}

room::ticket room::review(participant const& p, std::string_view item, bool approve,
                          std::int64_t now_ms) {
  return submit(p, {}, now_ms, cmd::review{std::string(item), approve});
}

std::vector<std::pair<std::uint64_t, std::uint32_t>> room::take_dropped() {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
  for (auto serial : std::exchange(dropped_, {})) {
    auto it = members_.find(serial);
    if (it == members_.end()) continue;  // it left meanwhile
    out.emplace_back(serial, it->second.worker);
    --per_worker_[it->second.worker];
    members_.erase(it);
  }
  return out;
}

room::ticket room::set_outcome(participant const& p, cmd::outcome op, std::int64_t now_ms) {
  return submit(p, {}, now_ms, std::move(op));
}

room::ticket room::comment(participant const& p, cmd::comment op, std::int64_t now_ms) {
  return submit(p, {}, now_ms, std::move(op));
}

room::ticket room::review_comment(participant const& p, cmd::comment_review op,
                                  std::int64_t now_ms) {
  return submit(p, {}, now_ms, std::move(op));
}

room::ticket room::report(table_config const& table, std::string_view text, std::int64_t now_ms,
                          cmd::report_figures figures) {
  return submit({}, {}, now_ms, cmd::report{table, std::string(text), figures});
}

cmd::report_figures room::report_figures() const {
  auto const s = picture_.stays();
  auto const whole = [](std::uint64_t n) { return static_cast<std::int64_t>(n); };
  return {whole(seen_.size()), whole(spoke_.size()), whole(messages_total_),   whole(s.count),
          s.person_minutes(),  s.median_minutes,     whole(picture_.hops_in())};
}

room::ticket room::broadcast(participant const& from, std::string_view text, std::int64_t now_ms) {
  return submit(from, {}, now_ms, cmd::broadcast{std::string(text)});
}

room::ticket room::phase(std::string_view name, std::int64_t now_ms) {
  return submit({}, {}, now_ms, cmd::phase{std::string(name)});
}

room::ticket room::table_created(table_config const& t, std::int64_t now_ms) {
  return submit({}, {}, now_ms, cmd::table_created{t});
}

std::size_t room::erase_author(std::string_view author, std::int64_t now_ms) {
  auto const held = authored(author).size();  // before the memory engine applies it
  submit({}, {}, now_ms, cmd::erase{std::string(author)});
  return held;
}

// --- what clients read ---------------------------------------------------------

void room::write_participant(json_writer& w, participant const& p) const {
  w.begin_object()
      .field("id", p.id)
      .field("name", p.name)
      .field("role", auth::to_string(p.who))
      .end_object();
}

void room::write_hands(json_writer& w, std::string_view key) const {
  w.key(key).begin_array();
  for (auto const& h : hands_)
    w.begin_object().field("id", h.id).field("name", h.name).end_object();
  w.end_array().key("speaker");
  if (speaker_) {
    w.begin_object().field("id", speaker_->id).field("name", speaker_->name).end_object();
  } else {
    w.null();
  }
}

void room::write_insight(json_writer& w, insight_entry const& i) const {
  w.field("id", i.id).field("text", i.text).key("by");
  write_participant(w, i.by);
  w.field("votes", static_cast<std::uint64_t>(i.voters.size()))
      .field("status", i.status)
      .field("note", i.note);
  if (!i.into.empty()) w.field("into", i.into);
}

std::vector<insight_entry const*> room::ranked_insights() const {
  std::vector<insight_entry const*> out;
  out.reserve(insights_.size());
  for (auto const& i : insights_) {
    if (!hidden_.count(i.id)) out.push_back(&i);
  }
  std::stable_sort(out.begin(), out.end(), [](auto const* a, auto const* b) {
    if (a->voters.size() != b->voters.size()) return a->voters.size() > b->voters.size();
    return a->order < b->order;
  });
  return out;
}

room::summary_status room::summary_state() const noexcept {
  if (draft_.empty()) return summary_status::none;
  return draft_ == published_ ? summary_status::published : summary_status::draft;
}

void room::write_snapshot(json_writer& w, participant const* viewer) const {
  w.begin_object()
      .field("room", cfg_.id)
      .field("epoch", epoch_)
      .field("seq", seq_)
      .field("count", static_cast<std::uint64_t>(count()));
  if (is_plenary()) {
    write_snapshot_plenary(w, viewer);
  } else {
    write_snapshot_table(w, viewer);
  }
  write_snapshot_messages(w);
  if (!is_plenary()) write_snapshot_floor(w, viewer);
  write_polls_snapshot(w, viewer);
  w.end_object();
}

void room::write_snapshot_plenary(json_writer& w, participant const* viewer) const {
  w.field("phase", phase_).field("recall_ends_at", recall_ends_at_);
  w.field("anonymous", cfg_.anonymous);
  if (viewer) write_rounds_view(w, *viewer);
  w.key("reports");
  write_latest(w, newest_first(reports_, snapshot_plenary_items), snapshot_plenary_items,
               snapshot_report_bytes);
  w.key("broadcasts");
  write_latest(w, newest_first(broadcasts_, snapshot_plenary_items), snapshot_plenary_items,
               snapshot_broadcast_bytes);
  w.key("phases").begin_array();
  for (auto const& p : phases_) w.raw(*p);
  w.end_array();
}

void room::write_snapshot_table(json_writer& w, participant const* viewer) const {
  w.field("topic", cfg_.topic)
      .field("moderator", cfg_.moderator)
      .field("capacity", cfg_.capacity)
      .field("open", cfg_.open)
      .field("premoderate", cfg_.premoderate)
      .field("anonymous", cfg_.anonymous);
  write_snapshot_pending(w, viewer);
  w.key("participants").begin_array();
  for (auto const& [key, p] : roster_) write_seated(w, p);
  w.end_array().key("roles").begin_array();
  for (auto const& [id, h] : roles_) {
    w.begin_object().field("participant", id).field("role", h.role);
    w.key("who").begin_object().field("id", id).field("name", h.name).end_object().end_object();
  }
  w.end_array();
  w.field("help_from", cfg_.help_participants ? "participants" : "moderators").key("help");
  if (help_) {
    w.begin_object().key("from");
    write_participant(w, help_->from);
    w.field("ts", help_->ts).end_object();
  } else {
    w.null();
  }
}

void room::write_snapshot_pending(json_writer& w, participant const* viewer) const {
  w.key("pending").begin_array();
  std::uint64_t more = 0;
  auto const pending_start = w.str().size();
  for (auto const& h : held_) {
    // The person behind a pseudonym sees their anonymous items as their own.
    auto const& author = author_of(h.from.id);
    if (!viewer || !sees_held(*viewer, cfg_.id, author)) continue;
    if (w.str().size() - pending_start > snapshot_pending_bytes) {
      ++more;
      continue;
    }
    w.begin_object().field("id", h.id);
    if (h.insight) w.field("insight", true);
    if (viewer->id == author) w.field("own", true);
    w.key("from");
    write_participant(w, h.from);
    w.field("text", h.text).field("ts", h.ts).end_object();
  }
  w.end_array();
  if (more) w.field("pending_more", more);
}

void room::write_snapshot_messages(json_writer& w) const {
  std::vector<std::string const*> latest;
  for (auto it = history_.rbegin(); it != history_.rend() && latest.size() < snapshot_messages;
       ++it) {
    if (it->type == "message" && !it->deleted && !hidden_.count(it->item))
      latest.push_back(it->json.get());
  }
  w.key("messages");
  write_latest(w, latest, snapshot_messages, snapshot_message_bytes);
}

void room::write_snapshot_floor(json_writer& w, participant const* viewer) const {
  write_snapshot_insights(w, viewer);
  w.key("muted").begin_array();
  for (auto const& id : muted_) w.value(id);
  w.end_array();
  write_hands(w, "hands");
  w.key("timer");
  if (timer_ends_at_ || timer_left_ms_) {
    w.begin_object().field("ends_at", timer_ends_at_).field("seconds", timer_seconds_);
    if (timer_left_ms_) w.field("paused", true).field("left", timer_left_ms_);
    w.end_object();
  } else {
    w.null();
  }
  w.field("timer_ended", timer_ended_);
  // The draft is its drafters'; anyone else's summary is the published one.
  bool const drafter = viewer && may_draft(*viewer);
  auto const text_or_null = [&](std::string const& text) {
    if (text.empty())
      w.null();
    else
      w.value(text);
  };
  w.key("summary");
  text_or_null(drafter ? draft_ : published_);
  w.key("published");
  text_or_null(published_);
}

void room::write_snapshot_insights(json_writer& w, participant const* viewer) const {
  w.key("insights").begin_array();
  auto const ranked = ranked_insights();
  auto const start = w.str().size();
  std::size_t n = 0;
  for (; n < ranked.size() && w.str().size() - start <= snapshot_insight_bytes; ++n) {
    w.begin_object();
    write_insight(w, *ranked[n]);
    w.field("voted", viewer && ranked[n]->voters.count(viewer->id) != 0).end_object();
  }
  w.end_array();
  if (n < ranked.size()) w.field("insights_more", static_cast<std::uint64_t>(ranked.size() - n));
}

bool room::replay(std::uint64_t epoch, std::uint64_t after_seq, std::vector<buffer>& out,
                  std::size_t budget) const {
  if (epoch != epoch_ || after_seq > seq_) return false;
  if (after_seq == seq_) return true;
  // The window must hold every event after after_seq.
  if (history_.empty() || history_.front().seq > after_seq + 1) return false;
  auto const first = history_.size() - static_cast<std::size_t>(seq_ - after_seq);
  std::size_t bytes = 0;
  for (auto i = first; i < history_.size(); ++i) {
    bytes += history_[i].json->size();
    if (bytes > budget) return false;  // a snapshot is smaller than this replay
  }
  for (auto i = first; i < history_.size(); ++i) out.push_back(history_[i].json);
  return true;
}

}  // namespace roundtable
