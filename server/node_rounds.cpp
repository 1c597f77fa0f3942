// The node's part in networking rounds (the rules are the plenary's, in
// room_apply_rounds.cpp; the deadlines' countdown is node::arm_deadline):
// this node's report of who is connected to it when a round gathers (the
// plenary's membership is each node's own), and an ended round's rooms
// closed, their members back in the plenary.
#include "server/client.hpp"
#include "server/node.hpp"

namespace roundtable {

void node::report_present(std::int64_t round) {
  // One report per worker, of the connections it owns: no worker reads
  // another's member lists.
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [this, &wk = *w, round] {
      auto it = wk.rooms.find(std::string(room::plenary_id));
      if (it == wk.rooms.end() || it->second.items().empty()) return;
      cmd::round_present report{round, {}, {}};
      for (auto* c : it->second.items()) {
        report.ids.push_back(c->who().id);
        report.names.push_back(c->who().name);
      }
      on_home(plenary(), [report = std::move(report)](room& r) mutable {
        r.round_present(std::move(report), now_ms());
      });
    });
  }
}

void node::close_round_rooms(std::vector<std::string> const& ids) {
  // Every node closes them: the first close in each room's log decides, the
  // others change nothing, as with the recall.
  participant const organisers{"admin", "Organisers", role::chair, {}};
  auto const now = now_ms();
  for (auto const& id : ids) {
    if (auto* t = find_room(id)) {
      on_home(*t, [organisers, now](room& r) { r.set_open(organisers, false, now); });
    }
  }
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [&wk = *w, ids] {
      for (auto const& id : ids) {
        auto it = wk.rooms.find(id);
        if (it == wk.rooms.end()) continue;
        std::vector<client*> theirs(it->second.items().begin(), it->second.items().end());
        for (auto* c : theirs) c->recalled();
      }
    });
  }
}

}  // namespace roundtable
