// Room domain rules, event emission, snapshots, replay and durable state.
#include "server/room.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cassert>

namespace roundtable {

using protocol::json_writer;

room::room(table_config cfg, std::uint64_t epoch, std::size_t history_limit,
           room_observer* observer)
    : cfg_(std::move(cfg)),
      epoch_(epoch),
      history_limit_(std::max<std::size_t>(history_limit, 1)),
      observer_(observer) {}

template <class Fill>
history_entry& room::emit(std::string_view type, std::int64_t now_ms, Fill&& fill, std::string item,
                          std::string author) {
  json_writer w;
  w.begin_object()
      .field("type", type)
      .field("room", cfg_.id)
      .field("seq", ++seq_)
      .field("epoch", epoch_);
  fill(w);
  w.end_object();
  auto json = std::make_shared<std::string const>(w.release());
  outbox_.push_back(json);
  history_.push_back(history_entry{seq_, std::string(type), std::move(item), std::move(author),
                                   now_ms, std::move(json), false});
  if (history_.size() > history_limit_) history_.pop_front();
  if (observer_) observer_->on_event(cfg_.id, epoch_, history_.back());
  return history_.back();
}

void room::state_changed() {
  if (observer_) observer_->on_state(cfg_.id, epoch_, seq_, state_json());
}

void room::write_participant(json_writer& w, participant const& p) const {
  w.begin_object()
      .field("id", p.id)
      .field("name", p.name)
      .field("role", auth::to_string(p.who))
      .end_object();
}

outcome room::require_table_member(member const& m) const {
  if (is_plenary()) return make_error(error_code::bad_request, "this op is for a table");
  if (!has_member(m.conn)) return make_error(error_code::forbidden, "not at this table");
  return {};
}

outcome room::join(member const& m, std::int64_t now_ms) {
  if (has_member(m.conn)) return {};
  if (!is_plenary()) {
    bool const privileged = may_moderate(m.who);
    if (!cfg_.open && !privileged) return make_error(error_code::forbidden, "the table is closed");
    if (cfg_.capacity > 0 && static_cast<std::int64_t>(members_.size()) >= cfg_.capacity &&
        !privileged) {
      return make_error(error_code::full, "the table is full");
    }
  }
  members_.emplace(m.conn, m);
  if (per_worker_.size() <= m.worker) per_worker_.resize(m.worker + 1, 0);
  ++per_worker_[m.worker];
  if (is_plenary()) return {};
  seen_.insert(m.who.id);
  emit("presence", now_ms, [&](json_writer& w) {
    w.key("joined");
    write_participant(w, m.who);
  });
  return {};
}

bool room::leave(std::uint64_t conn, std::int64_t now_ms) {
  auto const it = members_.find(conn);
  if (it == members_.end()) return false;
  member const m = std::move(it->second);
  members_.erase(it);
  --per_worker_[m.worker];
  if (is_plenary()) return true;
  auto const had_hand = std::erase_if(hands_, [&](hand_entry const& h) { return h.conn == conn; });
  emit("presence", now_ms, [&](json_writer& w) { w.field("left", m.who.id); });
  if (had_hand) emit_hands(now_ms);
  return true;
}

outcome room::say(member const& m, std::string_view text, std::int64_t now_ms) {
  if (!has_member(m.conn)) return make_error(error_code::forbidden, "not a member of this room");
  if (!is_plenary() && !cfg_.open && !may_moderate(m.who)) {
    return make_error(error_code::forbidden, "the table is closed");
  }
  std::string const id = "m" + std::to_string(seq_ + 1);
  ++messages_total_;
  emit(
      "message", now_ms,
      [&](json_writer& w) {
        w.field("id", id);
        w.key("from");
        write_participant(w, m.who);
        w.field("text", text).field("ts", now_ms);
      },
      id, m.who.id);
  return {};
}

void room::emit_hands(std::int64_t now_ms) {
  emit("hands", now_ms, [&](json_writer& w) {
    w.key("queue").begin_array();
    for (auto const& h : hands_)
      w.begin_object().field("id", h.id).field("name", h.name).end_object();
    w.end_array().key("speaker");
    if (speaker_) {
      w.begin_object().field("id", speaker_->id).field("name", speaker_->name).end_object();
    } else {
      w.null();
    }
  });
  state_changed();
}

outcome room::hand(member const& m, bool up, std::int64_t now_ms) {
  if (auto e = require_table_member(m)) return e;
  auto const it = std::find_if(hands_.begin(), hands_.end(),
                               [&](hand_entry const& h) { return h.conn == m.conn; });
  if (up == (it != hands_.end())) return {};  // already as asked: nothing to tell anyone
  if (up) {
    hands_.push_back({m.conn, m.who.id, m.who.name});
  } else {
    hands_.erase(it);
  }
  emit_hands(now_ms);
  return {};
}

outcome room::next_speaker(participant const& p, bool clear, std::int64_t now_ms) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary has no hand queue");
  if (!may_moderate(p))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (clear) {
    hands_.clear();
    speaker_.reset();
  } else if (hands_.empty()) {
    speaker_.reset();
  } else {
    speaker_ = hands_.front();
    hands_.erase(hands_.begin());
  }
  emit_hands(now_ms);
  return {};
}

void room::emit_insight(insight_entry const& i, std::int64_t now_ms) {
  emit(
      "insight", now_ms,
      [&](json_writer& w) {
        w.field("id", i.id).field("text", i.text).key("by");
        write_participant(w, i.by);
        w.field("votes", static_cast<std::uint64_t>(i.voters.size()));
      },
      i.id, i.by.id);
  state_changed();
}

outcome room::add_insight(member const& m, std::string_view text, std::int64_t now_ms) {
  if (auto e = require_table_member(m)) return e;
  if (!cfg_.open && !may_moderate(m.who))
    return make_error(error_code::forbidden, "the table is closed");
  auto& i = insights_.emplace_back();
  i.id = "i" + std::to_string(next_insight_);
  i.order = next_insight_++;
  i.text = text;
  i.by = m.who;
  emit_insight(i, now_ms);
  return {};
}

outcome room::vote(member const& m, std::string_view insight_id, std::int64_t now_ms) {
  if (auto e = require_table_member(m)) return e;
  auto const it = std::find_if(insights_.begin(), insights_.end(),
                               [&](insight_entry const& i) { return i.id == insight_id; });
  if (it == insights_.end()) return make_error(error_code::not_found, "no such insight");
  if (!it->voters.insert(m.who.id).second) {
    return make_error(error_code::forbidden, "already voted for this insight");
  }
  emit_insight(*it, now_ms);
  return {};
}

outcome room::delete_message(participant const& p, std::string_view message_id,
                             std::int64_t now_ms) {
  if (!may_moderate(p))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto const it = std::find_if(history_.begin(), history_.end(), [&](history_entry const& e) {
    return e.type == "message" && e.item == message_id;
  });
  if (it == history_.end() || it->deleted)
    return make_error(error_code::not_found, "no such message");
  it->deleted = true;
  // The entry keeps its seq so replay stays gapless, but not its text.
  json_writer w;
  w.begin_object()
      .field("type", "message")
      .field("room", cfg_.id)
      .field("seq", it->seq)
      .field("epoch", epoch_)
      .field("id", it->item)
      .field("deleted", true)
      .end_object();
  it->json = std::make_shared<std::string const>(w.release());
  if (observer_) observer_->on_rewrite(cfg_.id, epoch_, *it);
  std::string const id(message_id);
  emit("deleted", now_ms, [&](json_writer& ew) { ew.field("message", id); });
  return {};
}

outcome room::set_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms) {
  if (is_plenary() && !p.is_chair()) return make_error(error_code::forbidden, "only the chair");
  if (!may_moderate(p) && !is_plenary()) {
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  }
  timer_seconds_ = seconds;
  timer_ends_at_ = seconds > 0 ? now_ms + seconds * 1000 : 0;
  emit("timer", now_ms,
       [&](json_writer& w) { w.field("ends_at", timer_ends_at_).field("seconds", seconds); });
  state_changed();
  return {};
}

void room::timer_expired(std::int64_t ends_at, std::int64_t now_ms) {
  if (timer_ends_at_ == 0 || timer_ends_at_ != ends_at) return;
  timer_ends_at_ = 0;
  timer_seconds_ = 0;
  emit("timer_ended", now_ms, [](json_writer&) {});
  state_changed();
}

outcome room::summary(participant const& p, std::string_view text, bool publish,
                      std::int64_t now_ms) {
  if (is_plenary()) return make_error(error_code::bad_request, "summaries belong to tables");
  if (!p.moderates_table(cfg_.id))
    return make_error(error_code::forbidden, "only the table's moderator");
  draft_ = text;
  if (publish) published_ = text;
  emit("summary", now_ms,
       [&](json_writer& w) { w.field("text", text).field("published", publish); });
  state_changed();
  return {};
}

outcome room::set_open(participant const& p, bool open, std::int64_t now_ms) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary is always open");
  if (!may_moderate(p))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (cfg_.open == open) return {};
  cfg_.open = open;
  emit("table", now_ms, [&](json_writer& w) { w.field("table", cfg_.id).field("open", open); });
  state_changed();
  return {};
}

void room::report(table_config const& table, std::string_view text, std::int64_t now_ms) {
  assert(is_plenary());
  auto& e = emit("report", now_ms, [&](json_writer& w) {
    w.field("table", table.id)
        .field("topic", table.topic)
        .field("moderator", table.moderator)
        .field("text", text)
        .field("ts", now_ms);
  });
  reports_.push_back(e.json);
  state_changed();
}

void room::broadcast(participant const& from, std::string_view text, std::int64_t now_ms) {
  assert(is_plenary());
  auto& e = emit("broadcast", now_ms, [&](json_writer& w) {
    w.key("from");
    write_participant(w, from);
    w.field("text", text).field("ts", now_ms);
  });
  broadcasts_.push_back(e.json);
  state_changed();
}

void room::phase(std::string_view name, std::int64_t now_ms) {
  assert(is_plenary());
  phase_ = name;
  emit("phase", now_ms, [&](json_writer& w) { w.field("name", name); });
  state_changed();
}

void room::table_created(table_config const& t, std::int64_t now_ms) {
  assert(is_plenary());
  emit("table_created", now_ms, [&](json_writer& w) {
    w.field("table", t.id)
        .field("topic", t.topic)
        .field("moderator", t.moderator)
        .field("capacity", t.capacity);
  });
}

std::size_t room::erase_author(std::string_view author, std::int64_t now_ms) {
  std::vector<std::string> gone;
  for (auto& e : history_) {
    if (e.type != "message" || e.author != author || e.deleted) continue;
    e.deleted = true;
    json_writer w;
    w.begin_object()
        .field("type", "message")
        .field("room", cfg_.id)
        .field("seq", e.seq)
        .field("epoch", epoch_)
        .field("id", e.item)
        .field("deleted", true)
        .end_object();
    e.json = std::make_shared<std::string const>(w.release());
    if (observer_) observer_->on_rewrite(cfg_.id, epoch_, e);
    gone.push_back(e.item);
  }
  // Insight events in the window carry the text too: rewrite them as well.
  for (auto& e : history_) {
    if (e.type != "insight" || e.author != author || e.deleted) continue;
    e.deleted = true;
    json_writer w;
    w.begin_object()
        .field("type", "insight")
        .field("room", cfg_.id)
        .field("seq", e.seq)
        .field("epoch", epoch_)
        .field("id", e.item)
        .field("deleted", true)
        .end_object();
    e.json = std::make_shared<std::string const>(w.release());
    if (observer_) observer_->on_rewrite(cfg_.id, epoch_, e);
  }
  auto const erased = std::erase_if(insights_, [&](insight_entry const& i) {
    if (i.by.id != author) return false;
    gone.push_back(i.id);
    return true;
  });
  for (auto const& id : gone) {
    emit("deleted", now_ms, [&](json_writer& w) { w.field("message", id); });
  }
  if (erased) state_changed();
  return gone.size();
}

std::vector<insight_entry const*> room::ranked_insights() const {
  std::vector<insight_entry const*> out;
  out.reserve(insights_.size());
  for (auto const& i : insights_) out.push_back(&i);
  std::stable_sort(out.begin(), out.end(), [](auto const* a, auto const* b) {
    if (a->voters.size() != b->voters.size()) return a->voters.size() > b->voters.size();
    return a->order < b->order;
  });
  return out;
}

void room::write_snapshot(json_writer& w) const {
  w.begin_object()
      .field("room", cfg_.id)
      .field("epoch", epoch_)
      .field("seq", seq_)
      .field("count", static_cast<std::uint64_t>(members_.size()));
  if (is_plenary()) {
    w.field("phase", phase_);
    w.key("reports").begin_array();
    for (auto const& r : reports_) w.raw(*r);
    w.end_array().key("broadcasts").begin_array();
    for (auto const& b : broadcasts_) w.raw(*b);
    w.end_array();
  } else {
    w.field("topic", cfg_.topic)
        .field("moderator", cfg_.moderator)
        .field("capacity", cfg_.capacity)
        .field("open", cfg_.open);
    w.key("participants").begin_array();
    for (auto const& [conn, m] : members_) write_participant(w, m.who);
    w.end_array();
  }
  // The latest messages, oldest first.
  std::vector<history_entry const*> latest;
  for (auto it = history_.rbegin(); it != history_.rend() && latest.size() < snapshot_messages;
       ++it) {
    if (it->type == "message" && !it->deleted) latest.push_back(&*it);
  }
  w.key("messages").begin_array();
  for (auto it = latest.rbegin(); it != latest.rend(); ++it) w.raw(*(*it)->json);
  w.end_array();
  if (!is_plenary()) {
    w.key("insights").begin_array();
    for (auto const* i : ranked_insights()) {
      w.begin_object().field("id", i->id).field("text", i->text).key("by");
      write_participant(w, i->by);
      w.field("votes", static_cast<std::uint64_t>(i->voters.size())).end_object();
    }
    w.end_array().key("hands").begin_array();
    for (auto const& h : hands_)
      w.begin_object().field("id", h.id).field("name", h.name).end_object();
    w.end_array().key("speaker");
    if (speaker_) {
      w.begin_object().field("id", speaker_->id).field("name", speaker_->name).end_object();
    } else {
      w.null();
    }
    w.key("timer");
    if (timer_ends_at_) {
      w.begin_object()
          .field("ends_at", timer_ends_at_)
          .field("seconds", timer_seconds_)
          .end_object();
    } else {
      w.null();
    }
    w.key("summary");
    if (draft_.empty())
      w.null();
    else
      w.value(draft_);
    w.key("published");
    if (published_.empty())
      w.null();
    else
      w.value(published_);
  }
  w.end_object();
}

bool room::replay(std::uint64_t epoch, std::uint64_t after_seq, std::vector<buffer>& out) const {
  if (epoch != epoch_ || after_seq > seq_) return false;
  if (after_seq == seq_) return true;
  // The window must hold every event after after_seq.
  if (history_.empty() || history_.front().seq > after_seq + 1) return false;
  auto const first = history_.size() - static_cast<std::size_t>(seq_ - after_seq);
  for (auto i = first; i < history_.size(); ++i) out.push_back(history_[i].json);
  return true;
}

std::string room::state_json() const {
  json_writer w;
  w.begin_object()
      .field("topic", cfg_.topic)
      .field("moderator", cfg_.moderator)
      .field("capacity", cfg_.capacity)
      .field("open", cfg_.open)
      .field("next_insight", next_insight_)
      .field("messages_total", static_cast<std::uint64_t>(messages_total_))
      .field("draft", draft_)
      .field("published", published_)
      .field("timer_ends_at", timer_ends_at_)
      .field("timer_seconds", timer_seconds_)
      .field("phase", phase_);
  w.key("seen").begin_array();
  for (auto const& s : seen_) w.value(s);
  w.end_array().key("insights").begin_array();
  for (auto const& i : insights_) {
    w.begin_object().field("id", i.id).field("text", i.text).field("order", i.order).key("by");
    write_participant(w, i.by);
    w.key("voters").begin_array();
    for (auto const& v : i.voters) w.value(v);
    w.end_array().end_object();
  }
  w.end_array().key("hands").begin_array();
  for (auto const& h : hands_)
    w.begin_object().field("id", h.id).field("name", h.name).end_object();
  w.end_array().key("reports").begin_array();
  for (auto const& r : reports_) w.value(*r);
  w.end_array().key("broadcasts").begin_array();
  for (auto const& b : broadcasts_) w.value(*b);
  w.end_array().end_object();
  return w.release();
}

namespace {

// Readers that keep the default when a field is missing or mistyped, so an
// older or damaged state still loads what it can.
std::string str_of(simdjson::dom::element e, char const* key) {
  std::string_view v;
  return e[key].get(v) ? std::string() : std::string(v);
}

template <class T>
T num_of(simdjson::dom::element e, char const* key, T fallback) {
  T v{};
  return e[key].get(v) ? fallback : v;
}

simdjson::dom::array array_of(simdjson::dom::element e, char const* key) {
  simdjson::dom::array a;
  if (e[key].get(a)) return {};
  return a;
}

participant read_participant(simdjson::dom::element e) {
  participant p;
  p.id = str_of(e, "id");
  p.name = str_of(e, "name");
  p.who = auth::parse_role(str_of(e, "role")).value_or(role::participant);
  return p;
}

}  // namespace

void room::restore(std::uint64_t seq, std::string_view state, std::vector<history_entry> history) {
  seq_ = seq;
  history_.assign(std::make_move_iterator(history.begin()), std::make_move_iterator(history.end()));
  while (history_.size() > history_limit_) history_.pop_front();
  if (state.empty()) return;
  simdjson::dom::parser parser;
  simdjson::padded_string const padded(state);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc)) return;  // an unreadable state keeps the defaults
  cfg_.topic = str_of(doc, "topic");
  cfg_.moderator = str_of(doc, "moderator");
  cfg_.capacity = num_of<std::int64_t>(doc, "capacity", 0);
  cfg_.open = num_of<bool>(doc, "open", true);
  next_insight_ = num_of<std::uint64_t>(doc, "next_insight", 1);
  messages_total_ = num_of<std::uint64_t>(doc, "messages_total", 0);
  draft_ = str_of(doc, "draft");
  published_ = str_of(doc, "published");
  timer_ends_at_ = num_of<std::int64_t>(doc, "timer_ends_at", 0);
  timer_seconds_ = num_of<std::int64_t>(doc, "timer_seconds", 0);
  phase_ = str_of(doc, "phase");
  for (simdjson::dom::element s : array_of(doc, "seen")) {
    std::string_view v;
    if (!s.get(v)) seen_.insert(std::string(v));
  }
  for (simdjson::dom::element i : array_of(doc, "insights")) {
    insight_entry& e = insights_.emplace_back();
    e.id = str_of(i, "id");
    e.text = str_of(i, "text");
    e.order = num_of<std::uint64_t>(i, "order", 0);
    simdjson::dom::element by;
    if (!i["by"].get(by)) e.by = read_participant(by);
    for (simdjson::dom::element v : array_of(i, "voters")) {
      std::string_view id;
      if (!v.get(id)) e.voters.insert(std::string(id));
    }
  }
  // Hands belong to live connections: after a restart nobody's hand is up.
  for (simdjson::dom::element r : array_of(doc, "reports")) {
    std::string_view v;
    if (!r.get(v)) reports_.push_back(std::make_shared<std::string const>(v));
  }
  for (simdjson::dom::element b : array_of(doc, "broadcasts")) {
    std::string_view v;
    if (!b.get(v)) broadcasts_.push_back(std::make_shared<std::string const>(v));
  }
}

}  // namespace roundtable
