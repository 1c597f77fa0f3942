// Workers, rooms and delivery: the node's threads and who owns what.
#include "server/node.hpp"

#include "server/client.hpp"
#include "server/glance.hpp"
#include "server/hash.hpp"
#include "server/log.hpp"

#include <cassert>
#include <chrono>
#include <exception>

namespace roundtable {

using protocol::json_writer;

void worker::mark_dirty(client* c) {
  dirty.push_back(c);
  if (flush_posted) return;
  flush_posted = true;
  boost::asio::post(ioc, [this] { flush(); });
}

// The posted flush goes to the back of the queue once more before it writes:
// the read completions, room ops and deliveries queued behind its first post
// run first. Beast completes one message per read, each through a post, so a
// flush that wrote at once carried one say per publisher (1.9 events per send
// at 200,000 deliveries/s); going round once doubles that under load, and a
// send costs the kernel far more than a pass of the queue (loadtest/PROFILE.md).
void worker::flush() {
  if (!flush_again) {
    flush_again = true;
    boost::asio::post(ioc, [this] { flush(); });
    return;
  }
  flush_again = false;
  flush_posted = false;
  flushing.swap(dirty);  // two vectors that keep their capacity
  for (auto* c : flushing) c->flushed();
  flushing.clear();
}

namespace {

// Whether a string holds heap memory (beyond the small-string buffer).
bool has_heap(std::string const& s) noexcept {
  return s.capacity() > std::string().capacity();
}

}  // namespace

void worker::take_buffer(std::string& b) {
  if (has_heap(b) || spare_buffers.empty()) return;
  b.swap(spare_buffers.back());
  spare_buffers.pop_back();
}

void worker::give_buffer(std::string& b) noexcept {
  constexpr std::size_t max_spares = 1024;
  constexpr std::size_t max_spare_bytes = 1 << 20;
  if (!has_heap(b)) return;
  if (spare_buffers.size() < max_spares && b.capacity() <= max_spare_bytes) {
    b.clear();
    spare_buffers.push_back(std::move(b));
  }
  std::string().swap(b);
}

void member_list::add(client* c) {
  c->slots_[slot_] = static_cast<std::uint32_t>(items_.size());
  items_.push_back(c);
}

void member_list::remove(client* c) {
  auto const i = c->slots_[slot_];
  if (i >= items_.size() || items_[i] != c) return;  // not in this list
  items_[i] = items_.back();
  items_[i]->slots_[slot_] = i;
  items_.pop_back();
}

namespace {

engine_settings engine_settings_of(options const& o, std::string const& event_id) {
  engine_settings s;
  s.event_id = event_id;
  s.node_id = o.node_id;
  s.history = o.history;
  s.data_dir = o.data_dir;
  s.redis = o.redis;
  s.presence_ttl = o.presence_ttl;
  s.wait_replicas = o.redis_wait_replicas;
  s.wait_timeout = o.redis_wait_timeout;
  s.replica_linger = o.replica_linger;
  return s;
}

}  // namespace

std::int64_t node::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

node::node(options opts, event_config event)
    : opts_(std::move(opts)),
      event_(std::move(event)),
      web_files_(opts_.web_root),
      per_address_(opts_.max_connections_per_ip) {
  for (std::uint32_t i = 0; i < opts_.threads; ++i) workers_.push_back(std::make_unique<worker>(i));
  engine_ = make_engine(*this, engine_settings_of(opts_, event_.id));
  // Demo mode: a generated secret, kept by the engine (with the data, or
  // shared by the nodes) so that the printed tokens stay valid.
  secret_ = opts_.secret.empty() ? engine_->demo_secret(auth::random_secret()) : opts_.secret;
  table_config plenary_cfg{std::string(room::plenary_id), "Plenary", "", 0, true};
  plenary_cfg.anonymous = event_.anonymous;
  bool restored = false;
  auto& p = add_room(plenary_cfg, &restored);
  plenary_ = &p;
  if (!restored) p.r->set_initial_phase(event_.phase);
  for (auto const& t : event_.tables) add_room(t);
  for (auto const& t : engine_->created_tables()) {
    if (!find_room(t.id)) add_room(t);
  }
  // The plenary's log decides on new ids against these (and what it created).
  std::vector<std::string> known;
  for (auto* t : tables()) known.push_back(t->config.id);
  p.r->set_known_tables(std::move(known));
  p.r->set_max_tables(opts_.max_tables);
}

node::~node() {
  engine_->stop();  // it posts to the workers: first
  stopping_ = true;
  for (auto& w : workers_) {
    w->ioc.stop();
    if (w->thread.joinable()) w->thread.join();
  }
  // Destroy what owns clients while everything a client's destructor touches
  // is still alive: first the rooms (replies waiting on events hold clients),
  // then the workers' pending handlers.
  lobby_timer_.reset();
  table_order_.clear();
  plenary_ = nullptr;
  rooms_.clear();
  workers_.clear();
}

std::uint32_t node::home_of(std::string_view id) const noexcept {
  return static_cast<std::uint32_t>(stable_hash(id) % workers_.size());
}

room_slot& node::add_room(table_config cfg, bool* restored) {
  auto s = std::make_unique<room_slot>();
  s->home = home_of(cfg.id);
  auto made = engine_->make_room(cfg, [this](room& r) { r.set_roles(event_.roles); });
  if (restored) *restored = made.restored;
  s->r = std::move(made.r);
  s->config = s->r->config();
  s->open.store(s->config.open);
  auto& ref = *s;
  {
    std::unique_lock lock(rooms_mutex_);
    auto const [it, fresh] = rooms_.emplace(cfg.id, std::move(s));
    assert(fresh && "add_room of an id that exists: create_table checks under create_mutex_");
    // Group rooms are reached through the `group` event only: never listed.
    if (fresh && cfg.id != room::plenary_id && !room::is_group_room(cfg.id))
      table_order_.push_back(&ref);
  }
  engine_->add_room(cfg.id);
  return ref;
}

void node::after_plenary_caught_up(std::function<void()> then) {
  engine_->catch_up(std::string(room::plenary_id), std::move(then));
}

outcome node::create_table(table_config cfg) {
  // Creates are rare: one at a time, so that the check, the room's first
  // write to the store and its place in the lobby belong to one winner.
  std::lock_guard create_lock(create_mutex_);
  if (find_room(cfg.id))
    return make_error(error_code::bad_request, "table '" + cfg.id + "' exists");
  auto const order = tables().size();
  try {
    add_room(cfg);
  } catch (std::exception const& e) {
    // At start the same damage stops the server; here it would end a worker
    // thread, and the whole server with it, for one room.
    log::error("table not opened", {{"table", cfg.id}, {"error", e.what()}});
    error err{error_code::internal, "table '" + cfg.id +
                                        "' could not be opened: its stored log cannot be read "
                                        "(the server's log says why)"};
    unopened_.insert_or_assign(cfg.id, err);
    return err;
  }
  engine_->table_created(cfg, order);  // for a restart, or nodes that start later
  tables_changed();
  return {};
}

outcome node::take_unopened(std::string const& id) {
  std::lock_guard create_lock(create_mutex_);
  auto it = unopened_.find(id);
  if (it == unopened_.end()) return {};
  outcome o = std::move(it->second);
  unopened_.erase(it);
  return o;
}

void node::open_table(table_config cfg, std::int64_t now_ms, std::function<void(outcome)> done) {
  // The plenary's log decides, at apply, whether the id is new and the event
  // below --max-tables, so that of concurrent creates on any nodes exactly
  // the ones that fit win; every node opens a winner's table when it applies it.
  auto reply = [this, id = cfg.id, done = std::move(done)](outcome o) {
    // The apply said yes; this node's create_table ran before this reply.
    if (!o) o = take_unopened(id);
    done(std::move(o));
  };
  on_home(plenary(), [cfg = std::move(cfg), now_ms, reply = std::move(reply)](room& r) mutable {
    r.after(r.table_created(cfg, now_ms), std::move(reply));
  });
}

void node::announce(participant from, std::string text, std::int64_t now_ms,
                    std::function<void(outcome)> done) {
  on_home(plenary(),
          [from = std::move(from), text = std::move(text), now_ms, done = std::move(done)](
              room& r) mutable { r.after(r.broadcast(from, text, now_ms), std::move(done)); });
}

void node::on_home(std::string const& id, std::function<void(room&)> fn) {
  if (auto* s = find_room(id)) on_home(*s, std::move(fn));
}

void node::table_found(table_config const& t) {
  if (!find_room(t.id)) create_table(t);
}

room_slot* node::find_room(std::string_view id) {
  std::shared_lock lock(rooms_mutex_);
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : it->second.get();
}

std::vector<room_slot*> node::tables() {
  std::shared_lock lock(rooms_mutex_);
  return table_order_;
}

std::size_t node::room_count() {
  std::shared_lock lock(rooms_mutex_);
  return rooms_.size();
}

std::size_t node::write_tables(json_writer& w, bool changed_only) {
  std::size_t rows = 0;
  w.begin_array();
  // Indexed by room::summary_status.
  static constexpr std::string_view summaries[] = {"none", "draft", "published"};
  for (auto* s : tables()) {
    auto constexpr relaxed = std::memory_order_relaxed;
    room_slot::lobby_row row{s->count.load(relaxed),         s->hands.load(relaxed),
                             s->timer_ends_at.load(relaxed), s->open.load(relaxed),
                             s->moderated.load(relaxed),     s->summary.load(relaxed),
                             s->help.load(relaxed),          {}};
    {
      std::lock_guard lock(s->mix_mutex);
      row.mix = s->mix;
    }
    if (changed_only) {
      if (s->lobby == row) continue;
      s->lobby = row;
    }
    ++rows;
    w.begin_object()
        .field("id", s->config.id)
        .field("topic", s->config.topic)
        .field("moderator", s->config.moderator)
        .field("count", row.count)
        .field("capacity", s->config.capacity)
        .field("open", row.open)
        .field("moderated", row.moderated)
        .field("hands", row.hands)
        .field("timer_ends_at", row.timer_ends_at)
        .field("summary", summaries[row.summary])
        .field("help", row.help);
    auto const& g = event_.guide(s->config.id);
    w.field("goal", g.goal).key("questions").begin_array();
    for (auto const& q : g.questions) w.value(q);
    w.end_array().key("mix").begin_object();
    for (auto const& [group, n] : row.mix) w.field(group, n);
    w.end_object().end_object();
  }
  w.end_array();
  return rows;
}

worker& node::next_worker() noexcept {
  return *workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

void node::publish(room_slot& s) {
  deliver_outbox(s);
  update_glance(s);
  if (s.r->take_timer_changed()) arm_timer(s);
  for (auto& t : s.r->take_created()) {
    if (!find_room(t.id)) create_table(std::move(t));  // decided on another node
  }
  deliver_direct(s);
  if (s.r->coalesce_pending() && !s.coalescing) arm_coalesce(s);
  remove_dropped(s);
  carry_out_orders(s);
  // Replies last: they follow the events they confirm.
  for (auto& fn : s.r->take_ready()) fn();
}

void node::deliver_outbox(room_slot& s) {
  auto out = s.r->take_outbox();
  // What anyone sees, or is told succeeded, is durable first (kill -9 then
  // loses none of it): with the memory engine's store, a group commit, as
  // every worker that waits here shares the writer's next transaction. Costs
  // this thread one commit (a WAL write, no fsync) per op that changed
  // something; nothing when it changed nothing.
  engine_->flush();
  if (out.empty()) return;
  workers_[s.home]->counters.events_out.fetch_add(out.size(), std::memory_order_relaxed);
  auto batch = std::make_shared<std::vector<buffer> const>(std::move(out));
  auto const& per = s.r->workers();
  auto const published_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count();
  for (std::uint32_t w = 0; w < per.size(); ++w) {
    if (per[w] == 0) continue;
    boost::asio::post(workers_[w]->ioc, [this, w, &s, batch, published_us] {
      auto& wk = *workers_[w];
      auto it = wk.rooms.find(s.config.id);
      if (it == wk.rooms.end()) return;
      auto const& members = it->second.items();
      for (auto* c : members) {
        for (auto const& b : *batch) c->enqueue(b, published_us);
      }
      wk.counters.deliveries.fetch_add(members.size() * batch->size(), std::memory_order_relaxed);
    });
  }
}

void node::update_glance(room_slot& s) {
  // The lobby's row of the room, as other threads read it.
  auto const count = static_cast<std::int64_t>(s.r->count());
  if (s.r->is_plenary()) {
    s.count.store(count, std::memory_order_relaxed);
    s.open.store(s.r->config().open);
    return;
  }
  s.here.store(s.r->has_local_members(), std::memory_order_relaxed);
  // A replica this node let go is behind the rows other nodes share: it
  // writes nothing until it has caught up with them.
  auto const at = std::pair(s.r->epoch(), s.r->log_position());
  if (at < std::pair(s.glance_epoch, s.glance_lsn)) return;
  s.glance_epoch = at.first;
  s.glance_lsn = at.second;
  bool changed = s.count.exchange(count, std::memory_order_relaxed) != count;
  changed |= s.open.exchange(s.r->config().open) != s.r->config().open;
  changed |= s.hands.exchange(static_cast<std::int64_t>(s.r->hands_waiting())) !=
             static_cast<std::int64_t>(s.r->hands_waiting());
  changed |= s.moderated.exchange(s.r->moderator_seated()) != s.r->moderator_seated();
  changed |= s.timer_ends_at.exchange(s.r->timer_ends_at()) != s.r->timer_ends_at();
  int const summary = static_cast<int>(s.r->summary_state());
  changed |= s.summary.exchange(summary) != summary;
  changed |= s.help.exchange(s.r->help_requested()) != s.r->help_requested();
  changed |= update_mix(s);
  if (!changed) return;
  tables_changed();
  if (engine_->shares_glance())
    engine_->glance_changed(s.config.id, glance_row(s, at.first, at.second));
}

bool node::has_members(std::string const& id) {
  auto* s = find_room(id);
  return s == nullptr || s->here.load(std::memory_order_relaxed);
}

void node::glance_shared(std::string const& id, std::string_view row) {
  auto* s = find_room(id);
  if (!s) return;
  on_worker(s->home, [this, s, row = std::string(row)] {
    if (take_glance_row(*s, row)) tables_changed();
  });
}

void node::after_all_caught_up(std::function<void()> then) {
  after_plenary_caught_up([this, then = std::move(then)] {
    auto const ts = tables();
    auto left = std::make_shared<std::atomic<std::size_t>>(ts.size() + 1);
    auto one = [left, then] {
      if (left->fetch_sub(1) == 1) then();
    };
    for (auto* t : ts) engine_->catch_up(t->config.id, one);
    one();
  });
}

bool node::update_mix(room_slot& s) {
  // The room keeps these up to date as people come and go: reading them is
  // cheap, and the chair's `balance` always plans with everyone seated.
  if (!s.r->take_mix_changed()) return false;
  auto movable = s.r->movable();
  std::lock_guard lock(s.mix_mutex);
  bool const changed = s.mix != s.r->mix();
  if (changed) s.mix = s.r->mix();
  s.people = static_cast<std::int64_t>(s.r->people());
  s.movable = std::move(movable);
  return changed;
}

void node::deliver_direct(room_slot& s) {
  // Held messages and decisions on them (to their author and the table's
  // moderators), summary drafts (to those who may draft), among this node's
  // members, after the batch (an approved message comes before the word that
  // it left the queue).
  for (auto& d : s.r->take_direct()) {
    // The chairs hear from a table wherever they are: through the plenary.
    deliver_to(
        s, d.json,
        [d](participant const& p, std::string const& table) { return room::receives(p, table, d); },
        d.to == room::audience::chairs);
  }
}

void node::remove_dropped(room_slot& s) {
  // After the batch above, which tells them why: the same worker runs both in order.
  for (auto const& [serial, w] : s.r->take_dropped()) {
    boost::asio::post(workers_[w]->ioc, [&wk = *workers_[w], serial, id = s.config.id] {
      for (auto* c : wk.clients.items()) {
        if (c->serial() == serial) {
          c->removed_from(id);
          break;
        }
      }
    });
  }
}

void node::carry_out_orders(room_slot& s) {
  // Networking rounds: a group's members are seated once its room has the
  // round (order_groups posts their moves from there), and an ended round's
  // rooms empty first (one worker runs both).
  auto moves = s.r->take_moves();
  if (auto orders = s.r->take_group_orders(); !orders.empty())
    order_groups(std::move(orders), moves);
  if (auto const round = s.r->take_gathering()) report_present(round);
  for (auto& order : moves) seat_elsewhere(std::move(order));
  if (s.r->take_recalled()) recall_everyone();
  for (auto& id : s.r->take_erased()) {
    if (s.r->is_plenary()) close_participant(id);  // every room erases; one close
  }
}

void node::seat_elsewhere(room::move_order order) {
  // The chair's moves: this node seats its own connections of the person.
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [&wk = *w, order] {
      auto it = wk.rooms.find(std::string(room::plenary_id));
      if (it == wk.rooms.end()) return;
      std::vector<client*> theirs;  // a hop may change the member lists
      for (auto* c : it->second.items()) {
        bool const named = order.what.participant.empty() ? c->who().name == order.what.name
                                                          : c->who().id == order.what.participant;
        // A balance moves a person only from where it saw them: one who
        // hopped meanwhile chose another table, and keeps it.
        bool const there = order.what.from.empty() || c->table() == order.what.from;
        if (named && there) theirs.push_back(c);
      }
      for (auto* c : theirs) c->move_to({order.what.table, order.by, !order.what.from.empty()});
    });
  }
}

void node::close_participant(std::string const& id) {
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [&wk = *w, id] {
      std::vector<client*> theirs;  // closing removes clients from the list
      for (auto* c : wk.clients.items()) {
        if (c->who().id == id) theirs.push_back(c);
      }
      for (auto* c : theirs) c->close(protocol::close_code::policy, "erased on request");
    });
  }
}

void node::arm_timer(room_slot& s) {
  if (s.r->is_plenary()) {
    arm_deadline(s, s.recall, s.r->recall_ends_at(), &room::recall_expired);
    arm_deadline(s, s.round, s.r->round_due_at(), &room::round_expired);
  }
  arm_deadline(s, s.timer, s.r->timer_ends_at(), &room::timer_expired);
}

void node::deliver_to(room_slot& s, buffer b,
                      std::function<bool(participant const&, std::string const&)> to,
                      bool via_plenary) {
  auto const& per = s.r->workers();
  for (std::uint32_t w = 0; w < workers_.size(); ++w) {
    // The plenary's member counts are its home's to read: post to every worker.
    if (!via_plenary && (w >= per.size() || per[w] == 0)) continue;
    boost::asio::post(workers_[w]->ioc, [this, w, &s, b, to, via_plenary] {
      auto it = workers_[w]->rooms.find(via_plenary ? std::string(room::plenary_id) : s.config.id);
      if (it == workers_[w]->rooms.end()) return;
      for (auto* c : it->second.items()) {
        if (!to || to(c->who(), s.config.id)) c->enqueue(b);
      }
    });
  }
}

void node::arm_deadline(room_slot& s, std::unique_ptr<boost::asio::steady_timer>& timer,
                        std::int64_t at, void (room::*expired)(std::int64_t, std::int64_t)) {
  if (!timer) timer = std::make_unique<boost::asio::steady_timer>(workers_[s.home]->ioc);
  timer->cancel();
  if (at == 0) return;
  timer->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, at - now_ms())));
  timer->async_wait([this, &s, at, expired](boost::system::error_code ec) {
    if (ec) return;
    (s.r.get()->*expired)(at, now_ms());
    publish(s);
  });
}

void node::recall_everyone() {
  // Every node closes every table: whichever close comes first in a table's
  // log closes it, the others change nothing. The recall does not depend on
  // any one node staying up.
  participant const organisers{"admin", "Organisers", role::chair, {}};
  auto const now = now_ms();
  for (auto* t : tables()) {
    on_home(*t, [organisers, now](room& r) { r.set_open(organisers, false, now); });
  }
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [&wk = *w] {
      auto it = wk.rooms.find(std::string(room::plenary_id));
      if (it == wk.rooms.end()) return;
      for (auto* c : it->second.items()) c->recalled();
    });
  }
}

void node::arm_coalesce(room_slot& s) {
  if (!s.coalesce_timer)
    s.coalesce_timer = std::make_unique<boost::asio::steady_timer>(workers_[s.home]->ioc);
  s.coalescing = true;
  s.coalesce_timer->expires_after(coalesce_interval);
  s.coalesce_timer->async_wait([this, &s](boost::system::error_code ec) {
    s.coalescing = false;
    if (ec || stopping_) return;
    for (auto& e : s.r->take_coalesced()) {
      deliver_to(s, e.json, e.moderators_only ? room::may_run_polls : nullptr);
    }
  });
}

void node::schedule_lobby() {
  lobby_timer_->expires_after(coalesce_interval);
  lobby_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    if (tables_dirty_.exchange(false, std::memory_order_relaxed)) {
      json_writer w;
      w.begin_object().field("type", "tables").key("tables");
      // Only what changed: with many tables the whole list every 250 ms
      // would be most of what everyone receives.
      if (write_tables(w, true) == 0) return schedule_lobby();
      w.field("total", static_cast<std::uint64_t>(tables().size()));
      w.end_object();
      auto const b = std::make_shared<std::string const>(w.release());
      for (auto& wk : workers_) {
        boost::asio::post(wk->ioc, [this, b, &wk = *wk] {
          auto it = wk.rooms.find(std::string(room::plenary_id));
          if (it == wk.rooms.end()) return;
          for (auto* c : it->second.items()) c->enqueue(b);
        });
      }
    }
    schedule_lobby();
  });
}

bool node::ready() const noexcept {
  return engine_->ready();
}

void node::start() {
  engine_->start();
  lobby_timer_ = std::make_unique<boost::asio::steady_timer>(workers_[0]->ioc);
  schedule_lobby();
  // Timers restored from the store run on (or end at once if past).
  for (auto* t : tables()) {
    if (t->r->timer_ends_at() != 0) {
      boost::asio::post(workers_[t->home]->ioc, [this, t] { arm_timer(*t); });
    }
  }
  if (plenary_->r->recall_ends_at() != 0) {
    boost::asio::post(workers_[plenary_->home]->ioc, [this] { arm_timer(*plenary_); });
  }
  for (auto& w : workers_) {
    w->thread = std::thread([&ioc = w->ioc] {
      auto guard = boost::asio::make_work_guard(ioc);
      ioc.run();
    });
  }
}

void node::shutdown() {
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [&wk = *w] {
      // Copy: closing removes clients from the list.
      auto const all = wk.clients.items();
      for (auto* c : all) c->close(protocol::close_code::going_away, "server shutting down");
    });
  }
  // Let the close frames and queued events go out, then stop.
  auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (;;) {
    std::uint64_t open = 0;
    for (auto& w : workers_) open += w->counters.connections.load();
    if (open == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Before the workers it posts to (the Redis engine lets the leaving
  // connections' presence reach Redis first).
  engine_->stop();
  for (auto& w : workers_) w->ioc.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

std::string const* node::admit_address(std::string const& addr) {
  auto const* counted = per_address_.admit(addr);
  if (!counted) metrics_.refused_address.fetch_add(1, std::memory_order_relaxed);
  return counted;
}

void node::release_address(std::string const& addr) {
  per_address_.release(addr);
}

void latency_histogram::record(std::uint64_t us) noexcept {
  std::size_t b = 0;
  while (b + 1 < buckets && (1ULL << b) < us) ++b;
  counts[b].fetch_add(1, std::memory_order_relaxed);
  sum_us.fetch_add(us, std::memory_order_relaxed);
}

}  // namespace roundtable
