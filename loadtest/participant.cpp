// The simulated participant: connection life cycle (with the Engine.IO handshake for the
// Socket.IO peer), request/reply bookkeeping, publishing on a schedule and the per-room
// delivery checks. Latency uses the scheduled send time, not the actual one, so a
// generator that falls behind shows up as latency instead of hiding it.
#include "loadtest/participant.hpp"

#include <atomic>
#include <cstdio>

namespace loadtest {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch())
      .count();
}

// Gaps wider than this are counted but not remembered one by one.
constexpr std::int64_t max_tracked_gap = 4096;

}  // namespace

participant::participant(loop_pool& pool, thread_stats& stats, participant_config cfg)
    : pool_(pool), stats_(stats), cfg_(std::move(cfg)) {}

void participant::start() {
  pool_.post(cfg_.thread, [this] {
    std::string target = cfg_.proto == protocol::socketio ? std::string(socketio::path) : "/ws";
    link_ = pool_.connect(cfg_.thread, cfg_.host, cfg_.port, std::move(target), this);
  });
}

void participant::send_op(std::string json) {
  if (!link_ || dead_) return;
  if (cfg_.proto == protocol::socketio) {
    link_->send(socketio::wrap(json));
  } else {
    link_->send(std::move(json));
  }
}

void participant::on_open() {
  // Socket.IO first needs the Engine.IO open packet and the namespace connect.
  if (cfg_.proto == protocol::roundtable) {
    hello_rid_ = next_rid_++;
    send_op(make_hello(hello_rid_, "lg-" + std::to_string(cfg_.tag)));
  }
}

void participant::on_text(std::string_view text) {
  server_object o;
  if (cfg_.proto == protocol::socketio) {
    std::string_view json;
    switch (socketio::classify(text, json)) {
      case socketio::packet::open:
        link_->send("40");
        return;
      case socketio::packet::ping:
        link_->send("3");
        return;
      case socketio::packet::connected:
        hello_rid_ = next_rid_++;
        send_op(make_hello(hello_rid_, "lg-" + std::to_string(cfg_.tag)));
        return;
      case socketio::packet::event:
        if (stats_.reader.parse(json, o)) {
          handle(o);
        } else {
          stats_.errors.fetch_add(1, std::memory_order_relaxed);
        }
        return;
      case socketio::packet::disconnect:
      case socketio::packet::error:
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        return;
      case socketio::packet::other:
        return;
    }
    return;
  }
  // Roundtable batches several objects in one message, one per line.
  while (!text.empty()) {
    auto const nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    if (stats_.reader.parse(line, o)) {
      handle(o);
    } else {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void participant::on_closed(std::string_view why) {
  bool const was_ready = ready_.load(std::memory_order_relaxed);
  dead_ = true;
  if (closing_) return;
  if (was_ready) {
    stats_.closed.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.failed.fetch_add(1, std::memory_order_relaxed);
    // The first failure's reason (a refused port, a certificate that does not verify)
    // tells what is wrong; the rest usually repeat it.
    static std::atomic_flag told;
    if (!told.test_and_set()) {
      std::fprintf(stderr, "a connection failed: %.*s\n", static_cast<int>(why.size()), why.data());
    }
  }
}

void participant::handle(server_object const& o) {
  if (o.type == "reply") return on_reply(o);
  // Every event to a room takes the room's next seq, whatever its type (message,
  // presence, ...); events without one (tables) are not ordered.
  if (o.seq >= 0 && !o.room.empty()) on_event(o);
}

void participant::on_reply(server_object const& o) {
  if (o.rid == hello_rid_) {
    if (!o.ok) {
      stats_.failed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (cfg_.table.empty()) {
      // Hello only: the participant follows the plenary from its snapshot on.
      if (o.has_snapshot) {
        room_ = "plenary";
        epoch_ = o.snapshot_epoch;
        next_seq_ = o.snapshot_seq + 1;
      }
      ready_.store(true, std::memory_order_release);
      stats_.ready.fetch_add(1, std::memory_order_relaxed);
    } else {
      hop_to(cfg_.table);
    }
    return;
  }
  if (o.rid == join_rid_) {
    join_rid_ = -1;
    std::string table = std::move(joining_);
    joining_.clear();
    if (!o.ok || !o.has_snapshot) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      if (!joined_once_) stats_.failed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    room_ = o.snapshot_room.empty() ? table : std::string(o.snapshot_room);
    epoch_ = o.snapshot_epoch;
    next_seq_ = o.snapshot_seq + 1;
    missing_.clear();
    if (!joined_once_) {
      joined_once_ = true;
      ready_.store(true, std::memory_order_release);
      stats_.ready.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.hops.fetch_add(1, std::memory_order_relaxed);
      stats_.hop.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - join_sent_).count()));
    }
    return;
  }
  // A say reply (replies come in order; a say whose reply is missing is dropped).
  while (!says_.empty() && says_.front().first < o.rid) says_.pop_front();
  if (!says_.empty() && says_.front().first == o.rid) {
    auto const lat = now_ns() - says_.front().second;
    stats_.ack.record(lat > 0 ? static_cast<std::uint64_t>(lat) : 0);
    says_.pop_front();
  }
  if (o.ok) {
    stats_.acked.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    if (o.error_code == "rate_limited") stats_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  }
}

void participant::on_event(server_object const& o) {
  if (o.room != room_) {
    if (!joining_.empty() && o.room == joining_) {
      stats_.early.fetch_add(1, std::memory_order_relaxed);
    } else if (o.room != "plenary") {
      stats_.stray.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  std::int64_t sent_ns = 0;
  std::int64_t tag = -1;
  bool const is_message = o.type == "message";
  if (is_message && read_stamp(o.text, sent_ns, tag)) {
    auto const lat = now_ns() - sent_ns;
    stats_.delivery.record(lat > 0 ? static_cast<std::uint64_t>(lat) : 0);
    if (tag == cfg_.tag) {
      stats_.rtt.record(lat > 0 ? static_cast<std::uint64_t>(lat) : 0);
      stats_.own_seen.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (is_message) stats_.delivered.fetch_add(1, std::memory_order_relaxed);

  if (o.epoch != epoch_) {
    // History was lost on the server: the order restarts from here.
    stats_.epoch_changes.fetch_add(1, std::memory_order_relaxed);
    epoch_ = o.epoch;
    next_seq_ = o.seq + 1;
    missing_.clear();
    return;
  }
  if (o.seq == next_seq_) {
    ++next_seq_;
  } else if (o.seq > next_seq_) {
    auto const gap = o.seq - next_seq_;
    stats_.losses.fetch_add(static_cast<std::uint64_t>(gap), std::memory_order_relaxed);
    if (gap <= max_tracked_gap) {
      for (auto s = next_seq_; s < o.seq; ++s) missing_.insert(s);
    }
    next_seq_ = o.seq + 1;
  } else if (missing_.erase(o.seq) != 0) {
    stats_.losses.fetch_sub(1, std::memory_order_relaxed);
    stats_.out_of_order.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
  }
}

void participant::say_now() {
  if (dead_ || room_.empty()) return;
  send_say(now_ns());
}

void participant::send_say(std::int64_t stamp_ns) {
  says_.emplace_back(next_rid_, now_ns());
  send_op(make_say(next_rid_++, room_, make_stamp(stamp_ns, cfg_.tag, cfg_.message_size)));
  stats_.sent.fetch_add(1, std::memory_order_relaxed);
}

void participant::publish(double rate, clock::time_point first, clock::time_point until) {
  if (rate <= 0) return;
  double const period_ns = 1e9 / rate;
  pool_.at(cfg_.thread, first,
           [this, period_ns, first, until] { publish_tick(period_ns, first, until); });
}

void participant::publish_tick(double period_ns, clock::time_point next, clock::time_point until) {
  if (dead_ || next >= until) return;
  // Stamp the scheduled time: if this thread runs late, the delay counts as latency.
  auto const scheduled =
      std::chrono::duration_cast<std::chrono::nanoseconds>(next.time_since_epoch()).count();
  send_say(scheduled);
  auto const following =
      next + std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns + 0.5));
  pool_.at(cfg_.thread, following,
           [this, period_ns, following, until] { publish_tick(period_ns, following, until); });
}

void participant::hop_to(std::string const& table) {
  if (dead_ || join_rid_ != -1) return;
  join_rid_ = next_rid_++;
  joining_ = table;
  join_sent_ = clock::now();
  send_op(make_join(join_rid_, table));
}

void participant::close() {
  closing_ = true;
  if (link_ && !dead_) link_->close();
}

}  // namespace loadtest
