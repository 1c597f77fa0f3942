// A connection's hello: who it is (a token, or a demo guest), its place in
// the plenary, any table it resumes, then the one reply that tells it all.
// It runs in stages on three threads: the plenary's home (membership, replay
// and snapshot in one go), the client's worker (the plenary's stream starts),
// a resumed table's home (its join, then replay and snapshot at its seq), and
// the worker again (the reply). One `hello_state` travels through them.
#include "server/client.hpp"

#include "server/auth/jwt.hpp"

#include <algorithm>

namespace roundtable {

using protocol::json_writer;

namespace {

// A guest token outlives a day of sessions; each hello hands out a fresh one, so a
// guest who keeps coming back keeps the same id.
constexpr std::int64_t guest_token_seconds = 24 * 3600;
// A guest id is random (72 bits), not a counter: it lives on in the guest's token,
// so it must not be handed out again after a restart or by another node.
constexpr std::size_t guest_id_bytes = 9;

}  // namespace

struct client::hello_state {
  std::string rid;
  protocol::hello h;
  std::string plenary_snapshot;
  std::string phase;
  std::string table_snapshot;   // empty: no table
  std::string recovered = "{";  // the reply's `recovered`, one room at a time
  std::size_t replayed = 0;     // bytes of the plenary's replay
};

outcome client::identify(protocol::hello const& h) {
  if (!h.token.empty()) {
    auto const v = auth::verify(h.token, node_.secret(), node::now_ms() / 1000);
    if (!v.ok) return make_error(error_code::unauthorized, v.error);
    who_ = participant{v.value.sub, v.value.name, v.value.who,
                       v.value.who == role::moderator ? v.value.table : std::string()};
    return std::nullopt;
  }
  if (!node_.demo()) return make_error(error_code::unauthorized, "a token is required");
  who_ = participant{"p-" + auth::random_text(guest_id_bytes), h.name, role::participant, {}};
  return std::nullopt;
}

bool client::on_op(std::string rid, protocol::hello& h, std::int64_t) {
  if (hello_done_) return refuse(rid, error_code::bad_request, "hello was already sent");
  if (auto const refused = identify(h)) {
    reply_error(rid, *refused);
    return true;
  }
  auto const& groups = node_.event().stakeholders;
  if (!h.stakeholder.empty() &&
      std::find(groups.begin(), groups.end(), h.stakeholder) == groups.end()) {
    std::string names;
    for (auto const& g : groups) names += (names.empty() ? "" : ", ") + g;
    return refuse(rid, error_code::bad_request,
                  "hello: 'stakeholder' must be one of the event's (" + names + ")");
  }
  said_.reset();
  if (!h.stakeholder.empty() || !h.expertise.empty()) {
    said_ = std::make_unique<profile>(profile{h.stakeholder, h.expertise});
  }
  hello_done_ = true;
  node_.on_home(node_.plenary(), [self = shared_from_this(),
                                  st = hello_state{std::move(rid), std::move(h), {}, {}, {}},
                                  m = self_member()](room& r) mutable {
    return hello_at_plenary(std::move(self), r, m, std::move(st));
  });
  return false;
}

std::function<void()> client::hello_at_plenary(std::shared_ptr<client> self, room& r,
                                               member const& m, hello_state st) {
  // The plenary's membership is this node's own: its replica says whether
  // the participant was erased on request (a table refuses them at apply).
  outcome refused;
  if (r.erased(m.who.id))
    refused = make_error(error_code::forbidden, "this participant was erased on request");
  else
    r.join(m, node::now_ms());
  std::vector<buffer> replay;
  for (auto const& rp : st.h.resume) {
    if (rp.room != room::plenary_id) continue;
    bool const ok = r.replay(rp.epoch, rp.seq, replay, self->replay_budget(0));
    st.recovered += "\"plenary\":";
    st.recovered += ok ? "true" : "false";
  }
  json_writer snap;
  r.write_snapshot(snap, &m.who);
  st.plenary_snapshot = snap.release();
  st.phase = r.phase_name();
  return [self = std::move(self), st = std::move(st), replay = std::move(replay),
          refused = std::move(refused)]() mutable {
    auto const w = self->worker_index();
    self->node_.on_worker(w, [self = std::move(self), st = std::move(st),
                              replay = std::move(replay), refused = std::move(refused)]() mutable {
      self->hello_in_plenary(std::move(st), std::move(replay), std::move(refused));
    });
  };
}

void client::hello_in_plenary(hello_state st, std::vector<buffer> replay, outcome refused) {
  if (closed_) return;
  if (refused) {
    reply_error(st.rid, *refused);
    flush_now();
    close(protocol::close_code::policy, "erased on request");
    return;
  }
  worker_.rooms.try_emplace(std::string(room::plenary_id), plenary_slot).first->second.add(this);
  for (auto const& b : replay) {
    enqueue(b);
    st.replayed += b->size();
  }
  for (auto const& rp : st.h.resume) {
    if (rp.room == room::plenary_id) continue;
    if (auto* slot = node_.find_room(rp.room)) {
      auto const table_rp = rp;  // st moves on
      hello_resume_table(*slot, table_rp, std::move(st));
      return;
    }
  }
  finish_hello(std::move(st));
}

void client::hello_resume_table(room_slot& slot, protocol::resume_point rp, hello_state st) {
  table_ = rp.room;  // provisional: on_closed must leave it too
  hopping_ = true;
  node_.on_home(slot, [self = shared_from_this(), st = std::move(st), rp, m = self_member(),
                       said = said_or_none()](room& t) mutable {
    // Replay and snapshot once our `joined` is applied, at its seq.
    auto done = [&t, self = std::move(self), st = std::move(st), rp](outcome o) mutable {
      std::vector<buffer> replay;
      bool ok = false;
      if (!o) {
        ok = t.replay(rp.epoch, rp.seq, replay, self->replay_budget(st.replayed));
        json_writer tw;
        t.write_snapshot(tw, &self->who_);
        st.table_snapshot = tw.release();
      }
      if (st.recovered.size() > 1) st.recovered += ',';
      protocol::append_json_string(st.recovered, rp.room);
      st.recovered += ok ? ":true" : ":false";
      auto const w = self->worker_index();
      self->node_.on_worker(w, [self = std::move(self), st = std::move(st),
                                replay = std::move(replay), room_id = rp.room]() mutable {
        self->hello_at_table(std::move(st), std::move(replay), std::move(room_id));
      });
    };
    t.after(t.join(m, node::now_ms(), std::move(said)), std::move(done));
  });
}

void client::hello_at_table(hello_state st, std::vector<buffer> replay, std::string room_id) {
  if (closed_) return;
  hopping_ = false;
  if (st.table_snapshot.empty()) {
    table_.clear();  // full or closed meanwhile: plenary only
  } else {
    worker_.rooms.try_emplace(room_id, table_slot).first->second.add(this);
    was_seated_ = true;
    for (auto const& b : replay) enqueue(b);
  }
  finish_hello(std::move(st));
  after_hop();
}

void client::finish_hello(hello_state st) {
  auto w = reply_head(st.rid);
  w.key("you")
      .begin_object()
      .field("id", who_.id)
      .field("name", who_.name)
      .field("role", auth::to_string(who_.who));
  if (said_ && !said_->stakeholder.empty()) w.field("stakeholder", said_->stakeholder);
  if (said_ && !said_->expertise.empty()) w.field("expertise", said_->expertise);
  w.key("table");
  if (table_.empty())
    w.null();
  else
    w.value(table_);
  if (!who_.moderates.empty()) w.field("moderates", who_.moderates);
  w.end_object();
  if (node_.demo() && who_.who == role::participant) {
    // The guest keeps this and presents it at its next hello: same id, same votes.
    w.field("token", auth::mint({who_.id,
                                 who_.name,
                                 role::participant,
                                 {},
                                 node::now_ms() / 1000 + guest_token_seconds},
                                node_.secret()));
  }
  w.key("event")
      .begin_object()
      .field("id", node_.event().id)
      .field("title", node_.event().title)
      .field("phase", st.phase)
      .field("rules", node_.event().rules);
  if (!node_.event().agenda.empty()) {
    w.key("agenda");
    write_agenda(w, node_.event().agenda);
  }
  w.key("stakeholders").begin_array();
  for (auto const& g : node_.event().stakeholders) w.value(g);
  w.end_array().key("roles").begin_array();
  for (auto const& r : node_.event().roles) w.value(r);
  w.end_array();
  w.end_object();
  w.key("tables");
  node_.write_tables(w);
  w.key("plenary").raw(st.plenary_snapshot);
  w.key("table");
  if (st.table_snapshot.empty())
    w.null();
  else
    w.raw(st.table_snapshot);
  if (st.h.has_resume) {
    st.recovered += '}';
    w.key("recovered").raw(st.recovered);
  }
  w.end_object();
  enqueue(w.release());
  op_done();
}

}  // namespace roundtable
