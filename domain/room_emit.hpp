// The one writer of room events, shared by the files that hold the room's
// rules (room_apply.cpp, room_apply_*.cpp): each event gets the next seq, is
// serialized once, queued for delivery, kept in the history window and handed
// to the observer.
#pragma once

#include "domain/room.hpp"

namespace roundtable {

template <class Fill>
void room::emit(std::string_view type, std::int64_t ts, Fill&& fill, std::string item,
                std::string author) {
  ++seq_;
  protocol::json_writer w;
  w.begin_object()
      .field("type", type)
      .field("room", cfg_.id)
      .field("seq", seq_)
      .field("epoch", epoch_);
  fill(w);
  w.end_object();
  auto json = std::make_shared<std::string const>(w.release());
  outbox_.push_back(json);
  history_.push_back(
      history_entry{seq_, std::string(type), std::move(item), std::move(author), ts, json, false});
  if (history_.size() > history_limit_) history_.pop_front();
  if (observer_) observer_->on_event(cfg_.id, epoch_, history_.back());
}

}  // namespace roundtable
