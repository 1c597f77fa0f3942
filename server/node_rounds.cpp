// The node's part in networking rounds (the rules are the plenary's, in
// room_apply_rounds.cpp; the deadlines' countdown is node::arm_deadline):
// this node's report of who is connected to it when a round gathers (the
// plenary's membership is each node's own), and each group room's side of a
// round: begun, or ended with its members back in the plenary.
#include "server/client.hpp"
#include "server/node.hpp"

#include <algorithm>
#include <iterator>

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
        // The plenary pools no more than this from all nodes: a larger report
        // would only make the log's command bigger (about 1 MB at 19,000).
        if (report.ids.size() == room::max_pooled) break;
        report.ids.push_back(c->who().id);
        report.names.push_back(c->who().name);
      }
      on_home(plenary(), [report = std::move(report)](room& r) mutable {
        r.round_present(std::move(report), now_ms());
      });
    });
  }
}

void node::order_groups(std::vector<room::group_order> orders,
                        std::vector<room::move_order>& moves) {
  // Every node submits each order: the first in the room's log decides. A
  // group's moves leave from its room's home after the order, since a post
  // from this thread to that one could trail the joins they cause.
  std::vector<std::string> ended;
  auto const now = now_ms();
  for (auto& o : orders) {
    if (o.what.members.empty()) ended.push_back(o.room);
    std::vector<room::move_order> theirs;
    auto const into = std::stable_partition(moves.begin(), moves.end(),
                                            [&](auto const& m) { return m.what.table != o.room; });
    std::move(into, moves.end(), std::back_inserter(theirs));
    moves.erase(into, moves.end());
    if (auto* t = find_room(o.room)) {
      on_home(*t,
              [this, what = std::move(o.what), theirs = std::move(theirs), now](room& r) mutable {
                r.group_round(std::move(what), now);
                for (auto& m : theirs) seat_elsewhere(std::move(m));
              });
    }
  }
  if (ended.empty()) return;
  for (auto& w : workers_) {
    boost::asio::post(w->ioc, [&wk = *w, ended] {
      for (auto const& id : ended) {
        auto it = wk.rooms.find(id);
        if (it == wk.rooms.end()) continue;
        std::vector<client*> theirs(it->second.items().begin(), it->second.items().end());
        for (auto* c : theirs) c->recalled();
      }
    });
  }
}

}  // namespace roundtable
