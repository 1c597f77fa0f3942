// Room domain rules (decide), event application (apply), snapshots, replay and
// durable state.
#include "server/room.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cassert>

namespace roundtable {

using protocol::json_writer;

namespace {

// Marks the aux of an `insight` event that takes a vote back: aux is then this
// prefix and the voter's id (a plain id adds the vote). A unit separator, which no
// id the server hands out or a sane issuer mints begins with.
constexpr std::string_view withdrawn_vote = "\x1f";

// The fields of a JSON object written by `fill`, without the braces, with a
// leading comma when there are any: what follows "epoch" in an event.
template <class Fill>
std::string body_of(Fill&& fill) {
  json_writer w;
  w.begin_object();
  fill(w);
  w.end_object();
  auto s = w.release();
  if (s.size() <= 2) return {};
  s.pop_back();
  s[0] = ',';
  return s;
}

// Readers that keep the default when a field is missing or mistyped, so an
// older or damaged state still loads what it can.
std::string_view str_in(simdjson::dom::element e, char const* key) {
  std::string_view v;
  return e[key].get(v) ? std::string_view() : v;
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

participant participant_in(simdjson::dom::element e) {
  participant p;
  p.id = str_in(e, "id");
  p.name = str_in(e, "name");
  p.who = auth::parse_role(str_in(e, "role")).value_or(role::participant);
  return p;
}

}  // namespace

room::room(table_config cfg, std::uint64_t epoch, std::size_t history_limit,
           room_observer* observer, sequencer* seq)
    : cfg_(std::move(cfg)),
      epoch_(epoch),
      history_limit_(std::max<std::size_t>(history_limit, 1)),
      observer_(observer),
      sequencer_(seq) {}

std::string room::assemble(std::string_view room_id, std::uint64_t seq, std::uint64_t epoch,
                           event_draft const& d) {
  json_writer w;
  w.begin_object()
      .field("type", d.type)
      .field("room", room_id)
      .field("seq", seq)
      .field("epoch", epoch);
  auto s = w.release();  // unterminated on purpose: the body and the brace follow
  s += d.body;
  s += '}';
  return s;
}

std::string room::conn_key(std::uint64_t conn) const {
  return (sequencer_ ? sequencer_->node_id() : std::string("local")) + ":" + std::to_string(conn);
}

std::string room::new_id(char prefix) {
  if (!sequencer_) return prefix + std::to_string(prefix == 'm' ? seq_ + 1 : next_insight_++);
  return std::string(1, prefix) + "-" + sequencer_->node_id() + "-" +
         std::to_string(++next_local_id_);
}

template <class Fill>
void room::emit(std::string_view type, std::int64_t now_ms, Fill&& fill, std::string item,
                std::string author, std::string aux) {
  submit(event_draft{std::string(type), std::move(item), std::move(author), std::move(aux),
                     body_of(std::forward<Fill>(fill)), now_ms});
}

void room::submit(event_draft d) {
  auto const ticket = ++next_ticket_;
  if (sequencer_) {
    sequencer_->submit(*this, std::move(d), ticket);
    return;
  }
  // The memory engine: the next seq, at once.
  auto const seq = seq_ + 1;
  auto json = std::make_shared<std::string const>(assemble(cfg_.id, seq, epoch_, d));
  sequenced(ticket, epoch_, seq);
  apply(seq, epoch_, d, std::move(json));
}

void room::sequenced(std::uint64_t ticket, std::uint64_t epoch, std::uint64_t seq) {
  if (applied(epoch, seq)) {
    ticket_done(ticket);
  } else {
    ticket_seq_[ticket] = {epoch, seq};
  }
}

void room::failed(std::uint64_t ticket, error e) {
  if (auto it = join_tickets_.find(ticket); it != join_tickets_.end()) joining_.erase(it->second);
  failed_.emplace(ticket, std::move(e));
  ticket_done(ticket);
}

void room::ticket_done(std::uint64_t ticket) {
  join_tickets_.erase(ticket);
  done_.insert(ticket);
  while (!done_.empty() && *done_.begin() == done_upto_ + 1) {
    done_.erase(done_.begin());
    ++done_upto_;
  }
  fire_ready();
}

void room::after(std::function<void(outcome)> fn) {
  waiters_.push_back({next_ticket_, std::move(fn)});
  fire_ready();
}

void room::fire_ready() {
  while (!waiters_.empty() && waiters_.front().ticket <= done_upto_) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    outcome o;
    for (auto it = failed_.begin(); it != failed_.end() && it->first <= w.ticket;) {
      o = it->second;
      it = failed_.erase(it);
    }
    ready_.push_back([fn = std::move(w.fn), o = std::move(o)] { fn(o); });
  }
}

std::vector<std::function<void()>> room::take_ready() {
  return std::exchange(ready_, {});
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

// --- decide ----------------------------------------------------------------

outcome room::join(member const& m, std::int64_t now_ms) {
  if (has_member(m.conn) || joining_.count(m.conn)) return {};
  if (erased_.count(m.who.id))
    return make_error(error_code::forbidden, "this participant was erased on request");
  if (is_plenary()) {
    members_.emplace(m.conn, m);
    if (per_worker_.size() <= m.worker) per_worker_.resize(m.worker + 1, 0);
    ++per_worker_[m.worker];
    return {};
  }
  bool const privileged = may_moderate(m.who);
  if (!cfg_.open && !privileged) return make_error(error_code::forbidden, "the table is closed");
  if (cfg_.capacity > 0 && static_cast<std::int64_t>(roster_.size()) >= cfg_.capacity &&
      !privileged) {
    return make_error(error_code::full, "the table is full");
  }
  // The connection becomes a member when its `joined` is applied: the
  // snapshot it gets then is exactly at that event's seq.
  joining_.emplace(m.conn, m);
  emit(
      "presence", now_ms,
      [&](json_writer& w) {
        w.key("joined");
        write_participant(w, m.who);
      },
      {}, m.who.id, conn_key(m.conn));
  if (next_ticket_ > done_upto_ && !done_.count(next_ticket_)) join_tickets_[next_ticket_] = m.conn;
  return {};
}

bool room::leave(std::uint64_t conn, std::int64_t now_ms) {
  member m;
  if (auto it = members_.find(conn); it != members_.end()) {
    m = std::move(it->second);
    members_.erase(it);
    --per_worker_[m.worker];
  } else if (auto j = joining_.find(conn); j != joining_.end()) {
    m = std::move(j->second);
    joining_.erase(j);
  } else {
    return false;
  }
  if (is_plenary()) return true;
  emit(
      "presence", now_ms, [&](json_writer& w) { w.field("left", m.who.id); }, {}, m.who.id,
      conn_key(conn));
  // A hand goes down with the participant's last connection here.
  auto const key = conn_key(conn);
  bool const elsewhere = std::any_of(roster_.begin(), roster_.end(), [&](auto const& r) {
    return r.first != key && r.second.id == m.who.id;
  });
  auto queue = hands_;
  auto speaker = speaker_;
  bool const was_speaker = !elsewhere && speaker && speaker->id == m.who.id;
  if (was_speaker) speaker.reset();
  auto const hand_down =
      !elsewhere && std::erase_if(queue, [&](hand_entry const& h) { return h.id == m.who.id; }) > 0;
  if (hand_down || was_speaker) emit_hands(queue, speaker, now_ms);
  return true;
}

outcome room::say(member const& m, std::string_view text, std::int64_t now_ms) {
  if (!has_member(m.conn)) return make_error(error_code::forbidden, "not a member of this room");
  if (!is_plenary() && !cfg_.open && !may_moderate(m.who)) {
    return make_error(error_code::forbidden, "the table is closed");
  }
  std::string const id = new_id('m');
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

void room::emit_hands(std::vector<hand_entry> const& queue,
                      std::optional<hand_entry> const& speaker, std::int64_t now_ms) {
  emit("hands", now_ms, [&](json_writer& w) {
    w.key("queue").begin_array();
    for (auto const& h : queue)
      w.begin_object().field("id", h.id).field("name", h.name).end_object();
    w.end_array().key("speaker");
    if (speaker) {
      w.begin_object().field("id", speaker->id).field("name", speaker->name).end_object();
    } else {
      w.null();
    }
  });
}

outcome room::hand(member const& m, bool up, std::int64_t now_ms) {
  if (auto e = require_table_member(m)) return e;
  auto queue = hands_;
  auto const it = std::find_if(queue.begin(), queue.end(),
                               [&](hand_entry const& h) { return h.id == m.who.id; });
  if (up == (it != queue.end())) return {};  // already as asked: nothing to tell anyone
  if (up) {
    queue.push_back({m.who.id, m.who.name});
  } else {
    queue.erase(it);
  }
  emit_hands(queue, speaker_, now_ms);
  return {};
}

outcome room::next_speaker(participant const& p, bool clear, std::int64_t now_ms) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary has no hand queue");
  if (!may_moderate(p))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto queue = hands_;
  std::optional<hand_entry> speaker;
  if (!clear && !queue.empty()) {
    speaker = queue.front();
    queue.erase(queue.begin());
  } else if (clear) {
    queue.clear();
  }
  emit_hands(queue, speaker, now_ms);
  return {};
}

void room::emit_insight(insight_entry const& i, std::size_t votes, std::string voter,
                        std::int64_t now_ms) {
  emit(
      "insight", now_ms,
      [&](json_writer& w) {
        w.field("id", i.id).field("text", i.text).key("by");
        write_participant(w, i.by);
        w.field("votes", static_cast<std::uint64_t>(votes));
      },
      i.id, i.by.id, std::move(voter));
}

outcome room::add_insight(member const& m, std::string_view text, std::int64_t now_ms) {
  if (auto e = require_table_member(m)) return e;
  if (!cfg_.open && !may_moderate(m.who))
    return make_error(error_code::forbidden, "the table is closed");
  if (insights_.size() >= max_insights) {
    return make_error(error_code::full,
                      "the table has " + std::to_string(max_insights) + " insights");
  }
  if (auto e = insight_quota(m.who)) return e;
  insight_entry i;
  i.id = new_id('i');
  i.text = text;
  i.by = m.who;
  emit_insight(i, 0, {}, now_ms);
  return {};
}

outcome room::insight_quota(participant const& p) const {
  if (may_moderate(p)) return {};
  auto const mine = std::count_if(insights_.begin(), insights_.end(),
                                  [&](insight_entry const& i) { return i.by.id == p.id; });
  if (static_cast<std::size_t>(mine) < max_insights_per_participant) return {};
  return make_error(error_code::full,
                    "you have " + std::to_string(max_insights_per_participant) +
                        " insights at this table, the most one participant may add");
}

outcome room::vote(member const& m, std::string_view insight_id, std::int64_t now_ms, bool up) {
  if (auto e = require_table_member(m)) return e;
  if (!cfg_.open && !may_moderate(m.who))
    return make_error(error_code::forbidden, "the table is closed");
  auto const it = std::find_if(insights_.begin(), insights_.end(),
                               [&](insight_entry const& i) { return i.id == insight_id; });
  if (it == insights_.end()) return make_error(error_code::not_found, "no such insight");
  bool const voted = it->voters.count(m.who.id) != 0;
  if (!up) {
    if (voted)
      emit_insight(*it, it->voters.size() - 1, std::string(withdrawn_vote) + m.who.id, now_ms);
    return {};
  }
  if (voted) return make_error(error_code::forbidden, "already voted for this insight");
  emit_insight(*it, it->voters.size() + 1, m.who.id, now_ms);
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
  std::string const id(message_id);
  emit(
      "deleted", now_ms, [&](json_writer& w) { w.field("message", id); }, id);
  return {};
}

outcome room::delete_insight(participant const& p, std::string_view insight_id,
                             std::int64_t now_ms) {
  if (!may_moderate(p))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  auto const it = std::find_if(insights_.begin(), insights_.end(),
                               [&](insight_entry const& i) { return i.id == insight_id; });
  if (it == insights_.end()) return make_error(error_code::not_found, "no such insight");
  std::string const id(insight_id);
  emit(
      "deleted", now_ms, [&](json_writer& w) { w.field("insight", id); }, id);
  return {};
}

outcome room::set_timer(participant const& p, std::int64_t seconds, std::int64_t now_ms) {
  if (is_plenary() ? !p.is_chair() : !may_moderate(p)) {
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  }
  std::int64_t const ends_at = seconds > 0 ? now_ms + seconds * 1000 : 0;
  // aux: the engine keeps the running timer, so only one `timer_ended` goes out.
  emit(
      "timer", now_ms,
      [&](json_writer& w) { w.field("ends_at", ends_at).field("seconds", seconds); }, {}, {},
      std::to_string(ends_at));
  return {};
}

void room::timer_expired(std::int64_t ends_at, std::int64_t now_ms) {
  if (timer_ends_at_ == 0 || timer_ends_at_ != ends_at) return;
  emit(
      "timer_ended", now_ms, [](json_writer&) {}, std::to_string(ends_at));
}

outcome room::summary(participant const& p, std::string_view text, bool publish,
                      std::int64_t now_ms) {
  if (is_plenary()) return make_error(error_code::bad_request, "summaries belong to tables");
  if (!p.moderates_table(cfg_.id))
    return make_error(error_code::forbidden, "only the table's moderator");
  emit("summary", now_ms,
       [&](json_writer& w) { w.field("text", text).field("published", publish); });
  return {};
}

outcome room::set_open(participant const& p, bool open, std::int64_t now_ms) {
  if (is_plenary()) return make_error(error_code::bad_request, "the plenary is always open");
  if (!may_moderate(p))
    return make_error(error_code::forbidden, "only the table's moderator or the chair");
  if (cfg_.open == open) return {};
  emit("table", now_ms, [&](json_writer& w) { w.field("table", cfg_.id).field("open", open); });
  return {};
}

void room::report(table_config const& table, std::string_view text, std::int64_t now_ms) {
  assert(is_plenary());
  emit("report", now_ms, [&](json_writer& w) {
    w.field("table", table.id)
        .field("topic", table.topic)
        .field("moderator", table.moderator)
        .field("text", text)
        .field("ts", now_ms);
  });
}

void room::broadcast(participant const& from, std::string_view text, std::int64_t now_ms) {
  assert(is_plenary());
  emit("broadcast", now_ms, [&](json_writer& w) {
    w.key("from");
    write_participant(w, from);
    w.field("text", text).field("ts", now_ms);
  });
}

void room::phase(std::string_view name, std::int64_t now_ms) {
  assert(is_plenary());
  emit("phase", now_ms, [&](json_writer& w) { w.field("name", name); });
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
  std::set<std::string> gone;
  for (auto const& e : history_) {
    if ((e.type == "message" || e.type == "insight") && e.author == author && !e.deleted)
      gone.insert(e.item);
  }
  for (auto const& i : insights_) {
    if (i.by.id == author) gone.insert(i.id);
  }
  // What the erasure changes for everyone else, decided before it applies.
  std::string const who(author);
  std::vector<std::pair<insight_entry, std::size_t>> recount;
  for (auto const& i : insights_) {
    if (i.by.id != author && i.voters.count(who)) recount.emplace_back(i, i.voters.size() - 1);
  }
  auto queue = hands_;
  auto speaker = speaker_;
  bool const hand = std::erase_if(queue, [&](hand_entry const& h) { return h.id == author; }) > 0;
  bool const spoke = speaker && speaker->id == author;
  if (spoke) speaker.reset();
  for (auto const& id : gone) {
    emit(
        "deleted", now_ms, [&](json_writer& w) { w.field("message", id); }, id);
  }
  if (!erased_.count(who)) {
    emit(
        "erased", now_ms, [&](json_writer& w) { w.field("participant", who); }, {}, who);
  }
  for (auto const& [i, votes] : recount) emit_insight(i, votes, {}, now_ms);
  if (hand || spoke) emit_hands(queue, speaker, now_ms);
  return gone.size();
}

// --- apply -----------------------------------------------------------------

void room::tombstone(history_entry& e) {
  e.deleted = true;
  // The entry keeps its seq so replay stays gapless, but not its text.
  json_writer w;
  w.begin_object()
      .field("type", e.type)
      .field("room", cfg_.id)
      .field("seq", e.seq)
      .field("epoch", epoch_)
      .field("id", e.item)
      .field("deleted", true)
      .end_object();
  e.json = std::make_shared<std::string const>(w.release());
  if (observer_) observer_->on_rewrite(cfg_.id, epoch_, e);
}

void room::blank_name(history_entry& e, std::string const& id) {
  auto json = *e.json;
  if (!protocol::blank_participant_name(json, id)) return;
  e.json = std::make_shared<std::string const>(std::move(json));
  if (observer_) observer_->on_rewrite(cfg_.id, epoch_, e);
}

void room::forget(std::string const& id) {
  for (auto& e : history_) blank_name(e, id);
  for (auto& i : insights_) i.voters.erase(id);
  std::erase_if(hands_, [&](hand_entry const& h) { return h.id == id; });
  if (speaker_ && speaker_->id == id) speaker_.reset();
  if (erased_.insert(id).second) newly_erased_.push_back(id);
}

void room::apply(std::uint64_t seq, std::uint64_t epoch, event_draft const& d, buffer json) {
  if (epoch != epoch_) {
    // The engine lost the history (Redis restarted empty): a new window. The
    // state (insights, summaries...) is kept; members are told by the epoch.
    history_.clear();
    epoch_ = epoch;  // tickets of the old epoch now count as applied (see applied())
  }
  seq_ = seq;
  outbox_.push_back(json);
  history_.push_back(history_entry{seq, d.type, d.item, d.author, d.ts, json, false});
  if (history_.size() > history_limit_) history_.pop_front();
  if (observer_) observer_->on_event(cfg_.id, epoch_, history_.back());
  if (d.type == "message") {
    ++messages_total_;
  } else {
    apply_state(d, *json);
  }
  for (auto it = ticket_seq_.begin(); it != ticket_seq_.end();) {
    if (applied(it->second.first, it->second.second)) {
      auto const t = it->first;
      it = ticket_seq_.erase(it);
      ticket_done(t);
    } else {
      ++it;
    }
  }
}

void room::apply_state(event_draft const& d, std::string const& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json).get(e)) return;
  auto const& t = d.type;
  if (t == "presence") {
    simdjson::dom::element joined;
    if (!e["joined"].get(joined)) {
      roster_[d.aux] = participant_in(joined);
      seen_.insert(d.author);
      // One of ours: it becomes a member now, right at this seq.
      auto const prefix = conn_key(0).substr(0, conn_key(0).size() - 1);  // "node:"
      if (d.aux.size() > prefix.size() && d.aux.compare(0, prefix.size(), prefix) == 0) {
        auto const conn = std::strtoull(d.aux.c_str() + prefix.size(), nullptr, 10);
        if (auto it = joining_.find(conn); it != joining_.end()) {
          auto const& m = it->second;
          if (per_worker_.size() <= m.worker) per_worker_.resize(m.worker + 1, 0);
          ++per_worker_[m.worker];
          members_.emplace(conn, std::move(it->second));
          joining_.erase(it);
        }
      }
    } else {
      roster_.erase(d.aux);
    }
  } else if (t == "hands") {
    hands_.clear();
    simdjson::dom::array queue;
    if (!e["queue"].get(queue)) {
      for (simdjson::dom::element h : queue) {
        hands_.push_back({std::string(str_in(h, "id")), std::string(str_in(h, "name"))});
      }
    }
    simdjson::dom::element sp;
    if (!e["speaker"].get(sp) && sp.is_object()) {
      speaker_ = hand_entry{std::string(str_in(sp, "id")), std::string(str_in(sp, "name"))};
    } else {
      speaker_.reset();
    }
  } else if (t == "insight") {
    auto it = std::find_if(insights_.begin(), insights_.end(),
                           [&](insight_entry const& i) { return i.id == d.item; });
    if (it == insights_.end()) {
      auto& i = insights_.emplace_back();
      i.id = d.item;
      i.text = str_in(e, "text");
      simdjson::dom::element by;
      if (!e["by"].get(by)) i.by = participant_in(by);
      i.order = ++insight_order_;
    } else if (d.aux.starts_with(withdrawn_vote)) {
      it->voters.erase(d.aux.substr(withdrawn_vote.size()));
    } else if (!d.aux.empty()) {
      it->voters.insert(d.aux);
    }
  } else if (t == "deleted") {
    for (auto& h : history_) {
      if ((h.type == "message" || h.type == "insight") && h.item == d.item && !h.deleted) {
        // The report counts the messages that are held.
        if (h.type == "message" && messages_total_ > 0) --messages_total_;
        tombstone(h);
      }
    }
    std::erase_if(insights_, [&](insight_entry const& i) { return i.id == d.item; });
  } else if (t == "erased") {
    forget(d.author);
  } else if (t == "timer") {
    timer_ends_at_ = num_in<std::int64_t>(e, "ends_at", 0);
    timer_seconds_ = num_in<std::int64_t>(e, "seconds", 0);
    timer_changed_ = true;
  } else if (t == "timer_ended") {
    timer_ends_at_ = 0;
    timer_seconds_ = 0;
    timer_changed_ = true;
  } else if (t == "summary") {
    draft_ = str_in(e, "text");
    if (num_in<bool>(e, "published", false)) published_ = draft_;
  } else if (t == "table") {
    cfg_.open = num_in<bool>(e, "open", true);
  } else if (t == "report") {
    reports_.push_back(std::make_shared<std::string const>(json));
  } else if (t == "broadcast") {
    broadcasts_.push_back(std::make_shared<std::string const>(json));
  } else if (t == "phase") {
    phase_ = str_in(e, "name");
  } else if (t == "table_created") {
    created_.push_back(table_config{
        std::string(str_in(e, "table")), std::string(str_in(e, "topic")),
        std::string(str_in(e, "moderator")), num_in<std::int64_t>(e, "capacity", 0), true});
  }
  state_changed();
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
      .field("count", static_cast<std::uint64_t>(count()));
  if (is_plenary()) {
    w.field("phase", phase_);
    w.key("reports");
    write_latest(w, newest_first(reports_, snapshot_plenary_items), snapshot_plenary_items,
                 snapshot_report_bytes);
    w.key("broadcasts");
    write_latest(w, newest_first(broadcasts_, snapshot_plenary_items), snapshot_plenary_items,
                 snapshot_broadcast_bytes);
  } else {
    w.field("topic", cfg_.topic)
        .field("moderator", cfg_.moderator)
        .field("capacity", cfg_.capacity)
        .field("open", cfg_.open);
    w.key("participants").begin_array();
    for (auto const& [key, p] : roster_) write_participant(w, p);
    w.end_array();
  }
  std::vector<std::string const*> latest;
  for (auto it = history_.rbegin(); it != history_.rend() && latest.size() < snapshot_messages;
       ++it) {
    if (it->type == "message" && !it->deleted) latest.push_back(it->json.get());
  }
  w.key("messages");
  write_latest(w, latest, snapshot_messages, snapshot_message_bytes);
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
  w.end_array().key("erased").begin_array();
  for (auto const& s : erased_) w.value(s);
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
  w.end_array();
  // Else every report or broadcast would rewrite all the earlier ones.
  if (!observer_ || !observer_->keeps_events()) {
    w.key("reports").begin_array();
    for (auto const& r : reports_) w.value(*r);
    w.end_array().key("broadcasts").begin_array();
    for (auto const& b : broadcasts_) w.value(*b);
    w.end_array();
  }
  w.end_object();
  return w.release();
}

void room::restore_lists(std::vector<buffer> reports, std::vector<buffer> broadcasts) {
  reports_ = std::move(reports);
  broadcasts_ = std::move(broadcasts);
}

void room::restore(std::uint64_t seq, std::string_view state, std::vector<history_entry> history) {
  seq_ = seq;
  seen_.clear();
  erased_.clear();
  insights_.clear();
  hands_.clear();
  speaker_.reset();
  reports_.clear();
  broadcasts_.clear();
  history_.assign(std::make_move_iterator(history.begin()), std::make_move_iterator(history.end()));
  while (history_.size() > history_limit_) history_.pop_front();
  // A window read back from an engine's log may still hold messages that a
  // later `deleted` in the same window removed.
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
  if (state.empty()) return;
  simdjson::dom::parser parser;
  simdjson::padded_string const padded(state);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc)) return;  // an unreadable state keeps the defaults
  cfg_.topic = std::string(str_in(doc, "topic"));
  cfg_.moderator = std::string(str_in(doc, "moderator"));
  cfg_.capacity = num_in<std::int64_t>(doc, "capacity", 0);
  cfg_.open = num_in<bool>(doc, "open", true);
  next_insight_ = num_in<std::uint64_t>(doc, "next_insight", 1);
  messages_total_ = num_in<std::uint64_t>(doc, "messages_total", 0);
  draft_ = std::string(str_in(doc, "draft"));
  published_ = std::string(str_in(doc, "published"));
  timer_ends_at_ = num_in<std::int64_t>(doc, "timer_ends_at", 0);
  timer_seconds_ = num_in<std::int64_t>(doc, "timer_seconds", 0);
  phase_ = std::string(str_in(doc, "phase"));
  for (simdjson::dom::element s : array_in(doc, "seen")) {
    std::string_view v;
    if (!s.get(v)) seen_.insert(std::string(v));
  }
  for (simdjson::dom::element s : array_in(doc, "erased")) {
    std::string_view v;
    if (!s.get(v)) erased_.insert(std::string(v));
  }
  for (simdjson::dom::element i : array_in(doc, "insights")) {
    insight_entry& e = insights_.emplace_back();
    e.id = std::string(str_in(i, "id"));
    e.text = std::string(str_in(i, "text"));
    e.order = num_in<std::uint64_t>(i, "order", 0);
    insight_order_ = std::max(insight_order_, e.order);
    simdjson::dom::element by;
    if (!i["by"].get(by)) e.by = participant_in(by);
    for (simdjson::dom::element v : array_in(i, "voters")) {
      std::string_view id;
      if (!v.get(id)) e.voters.insert(std::string(id));
    }
  }
  // Hands belong to live connections: after a restart nobody's hand is up.
  for (simdjson::dom::element r : array_in(doc, "reports")) {
    std::string_view v;
    if (!r.get(v)) reports_.push_back(std::make_shared<std::string const>(v));
  }
  for (simdjson::dom::element b : array_in(doc, "broadcasts")) {
    std::string_view v;
    if (!b.get(v)) broadcasts_.push_back(std::make_shared<std::string const>(v));
  }
}

}  // namespace roundtable
