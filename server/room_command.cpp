// The room log's text form: commands to JSON and back.
#include "server/room_command.hpp"

#include "protocol/json_writer.hpp"

#include <simdjson.h>

#include <type_traits>

namespace roundtable {

using protocol::json_writer;

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

void write_table(json_writer& w, table_config const& t) {
  w.key("table")
      .begin_object()
      .field("id", t.id)
      .field("topic", t.topic)
      .field("moderator", t.moderator)
      .field("capacity", t.capacity)
      .field("open", t.open)
      .field("premoderate", t.premoderate)
      .field("anonymous", t.anonymous)
      .end_object();
}

void write_sanction(json_writer& w, std::string_view op, cmd::mute const& c) {
  w.field("op", op).field("participant", c.participant).field("on", c.on).field("reason", c.reason);
}

// Writes the op's name and its fields.
void write_op(json_writer& w, command_op const& op) {
  std::visit(
      overloaded{
          [&](cmd::join const& c) {
            w.field("op", "join");
            if (!c.said.stakeholder.empty()) w.field("stakeholder", c.said.stakeholder);
            if (!c.said.expertise.empty()) w.field("expertise", c.said.expertise);
            if (!c.from.empty()) w.field("from", c.from);
          },
          [&](cmd::leave const&) { w.field("op", "leave"); },
          [&](cmd::say const& c) {
            w.field("op", "say").field("id", c.id).field("text", c.text).field("alias", c.alias);
          },
          [&](cmd::hand const& c) { w.field("op", "hand").field("up", c.up); },
          [&](cmd::speaker const& c) { w.field("op", "speaker").field("clear", c.clear); },
          [&](cmd::insight const& c) {
            w.field("op", "insight").field("id", c.id).field("text", c.text);
            w.field("alias", c.alias);
          },
          [&](cmd::vote const& c) {
            w.field("op", "vote").field("insight", c.insight).field("up", c.up);
          },
          [&](cmd::del const& c) { w.field("op", "delete").field("message", c.message); },
          [&](cmd::del_insight const& c) {
            w.field("op", "delete_insight").field("insight", c.insight);
          },
          [&](cmd::timer const& c) { w.field("op", "timer").field("seconds", c.seconds); },
          [&](cmd::timer_ended const& c) {
            w.field("op", "timer_ended").field("ends_at", c.ends_at);
          },
          [&](cmd::summary const& c) {
            w.field("op", "summary").field("text", c.text).field("publish", c.publish);
          },
          [&](cmd::open const& c) { w.field("op", "open").field("open", c.open); },
          [&](cmd::report const& c) {
            w.field("op", "report").field("text", c.text);
            write_table(w, c.table);
            auto const& f = c.figures;
            w.field("participants", f.participants)
                .field("spoke", f.spoke)
                .field("messages", f.messages)
                .field("stays", f.stays)
                .field("person_minutes", f.person_minutes)
                .field("median_minutes", f.median_minutes)
                .field("hops_in", f.hops_in);
          },
          [&](cmd::broadcast const& c) { w.field("op", "broadcast").field("text", c.text); },
          [&](cmd::phase const& c) { w.field("op", "phase").field("name", c.name); },
          [&](cmd::table_created const& c) {
            w.field("op", "table_created");
            write_table(w, c.table);
          },
          [&](cmd::erase const& c) { w.field("op", "erase").field("author", c.author); },
          [&](cmd::hide const& c) {
            w.field("op", "hide").field("item", c.item).field("on", c.on);
          },
          [&](cmd::mute const& c) { write_sanction(w, "mute", c); },
          [&](cmd::remove_member const& c) { write_sanction(w, "remove", c); },
          [&](cmd::premoderate const& c) { w.field("op", "premoderate").field("on", c.on); },
          [&](cmd::review const& c) {
            w.field("op", "review").field("item", c.item).field("approve", c.approve);
          },
          [&](cmd::outcome const& c) {
            w.field("op", "outcome")
                .field("insight", c.insight)
                .field("status", c.status)
                .field("note", c.note)
                .field("into", c.into);
          },
          [&](cmd::comment const& c) {
            w.field("op", "comment")
                .field("id", c.id)
                .field("insight", c.insight)
                .field("text", c.text);
          },
          [&](cmd::comment_review const& c) {
            w.field("op", "comment_review").field("id", c.id).field("approve", c.approve);
          },
          [&](cmd::pick const& c) { w.field("op", "pick").field("participant", c.participant); },
          [&](cmd::end_turn const&) { w.field("op", "end_turn"); },
          [&](cmd::drop_hand const& c) {
            w.field("op", "drop_hand").field("participant", c.participant);
          },
          [&](cmd::timer_pause const& c) { w.field("op", "timer_pause").field("pause", c.pause); },
          [&](cmd::timer_extend const& c) {
            w.field("op", "timer_extend").field("seconds", c.seconds);
          },
          [&](cmd::poll const& c) {
            w.field("op", "poll").field("id", c.id).field("question", c.question);
            w.key("options").begin_array();
            for (auto const& o : c.options) w.value(o);
            w.end_array().field("multiple", c.multiple).field("live", c.live);
          },
          [&](cmd::poll_vote const& c) {
            w.field("op", "poll_vote").field("poll", c.poll).key("choices").begin_array();
            for (auto const n : c.choices) w.value(n);
            w.end_array();
          },
          [&](cmd::poll_close const& c) { w.field("op", "poll_close").field("poll", c.poll); },
          [&](cmd::react const& c) {
            w.field("op", "react").field("item", c.item).field("emoji", c.emoji);
          },
          [&](cmd::help const& c) { w.field("op", "help").field("done", c.done); },
          [&](cmd::move const& c) {
            w.field("op", "move")
                .field("participant", c.participant)
                .field("name", c.name)
                .field("table", c.table);
          },
          [&](cmd::balance const& c) {
            // Three lists of one length: who, from where, to where.
            w.field("op", "balance");
            auto const list = [&](char const* key, std::string cmd::move::*field) {
              w.key(key).begin_array();
              for (auto const& m : c.moves) w.value(m.*field);
              w.end_array();
            };
            list("participants", &cmd::move::participant);
            list("from", &cmd::move::from);
            list("tables", &cmd::move::table);
          },
          [&](cmd::recall const& c) {
            w.field("op", "recall").field("seconds", c.seconds).field("cancel", c.cancel);
          },
          [&](cmd::recall_ended const& c) {
            w.field("op", "recall_ended").field("ends_at", c.ends_at);
          },
          [&](cmd::role const& c) {
            w.field("op", "role").field("participant", c.participant).field("role", c.role);
          },
          [&](cmd::rounds_start const& c) {
            w.field("op", "rounds_start")
                .field("size", c.size)
                .field("minutes", c.minutes)
                .field("rounds", c.rounds)
                .field("seed", c.seed);
          },
          [&](cmd::rounds_stop const&) { w.field("op", "rounds_stop"); },
          [&](cmd::opt_out const& c) { w.field("op", "opt_out").field("on", c.on); },
          [&](cmd::round_present const& c) {
            w.field("op", "round_present").field("round", c.round).key("ids").begin_array();
            for (auto const& id : c.ids) w.value(id);
            w.end_array().key("names").begin_array();
            for (auto const& n : c.names) w.value(n);
            w.end_array();
          },
          [&](cmd::round_due const& c) { w.field("op", "round_due").field("due_at", c.due_at); },
          [&](cmd::group_round const& c) {
            w.field("op", "group_round").field("round", c.round).key("members").begin_array();
            for (auto const& id : c.members) w.value(id);
            w.end_array();
          },
      },
      op);
}

// Field readers: a missing field keeps the default, a mistyped one fails the
// whole command (`ok` turns false).
struct reader {
  simdjson::dom::element e;
  bool ok = true;

  template <class T>
  void get(char const* key, T& out) {
    auto f = e[key];
    if (f.error() == simdjson::NO_SUCH_FIELD) return;
    if (f.get(out)) ok = false;
  }
  void get(char const* key, std::string& out) {
    std::string_view v;
    get(key, v);
    out = v;
  }
  void get(char const* key, std::string_view& out) {
    auto f = e[key];
    if (f.error() == simdjson::NO_SUCH_FIELD) return;
    if (f.get(out)) ok = false;
  }
  // An array of T (std::string or std::int64_t); a missing one stays empty.
  template <class T>
  void get_list(char const* key, std::vector<T>& out) {
    auto f = e[key];
    if (f.error() == simdjson::NO_SUCH_FIELD) return;
    simdjson::dom::array a;
    if (f.get(a)) {
      ok = false;
      return;
    }
    for (auto x : a) {
      std::conditional_t<std::is_same_v<T, std::string>, std::string_view, T> v{};
      if (x.get(v)) {
        ok = false;
        return;
      }
      out.emplace_back(v);
    }
  }
  reader sub(char const* key) {
    simdjson::dom::element s;
    if (e[key].get(s) || !s.is_object()) ok = false;
    return reader{s, ok};
  }
  table_config table() {
    table_config t;
    auto r = sub("table");
    if (!r.ok) {
      ok = false;
      return t;
    }
    r.get("id", t.id);
    r.get("topic", t.topic);
    r.get("moderator", t.moderator);
    r.get("capacity", t.capacity);
    r.get("open", t.open);
    r.get("premoderate", t.premoderate);
    r.get("anonymous", t.anonymous);
    ok = ok && r.ok;
    return t;
  }
};

std::optional<command_op> read_op(std::string_view name, reader& r) {
  auto with = [&](auto op, auto fill) -> std::optional<command_op> {
    fill(op);
    return r.ok ? std::optional<command_op>(std::move(op)) : std::nullopt;
  };
  auto none = [](auto&) {};
  if (name == "join")
    return with(cmd::join{}, [&](auto& c) {
      r.get("stakeholder", c.said.stakeholder);
      r.get("expertise", c.said.expertise);
      r.get("from", c.from);
    });
  if (name == "leave") return with(cmd::leave{}, none);
  if (name == "say")
    return with(cmd::say{}, [&](auto& c) {
      r.get("id", c.id);
      r.get("text", c.text);
      r.get("alias", c.alias);
    });
  if (name == "hand") return with(cmd::hand{}, [&](auto& c) { r.get("up", c.up); });
  if (name == "speaker") return with(cmd::speaker{}, [&](auto& c) { r.get("clear", c.clear); });
  if (name == "insight")
    return with(cmd::insight{}, [&](auto& c) {
      r.get("id", c.id);
      r.get("text", c.text);
      r.get("alias", c.alias);
    });
  if (name == "vote")
    return with(cmd::vote{}, [&](auto& c) {
      r.get("insight", c.insight);
      r.get("up", c.up);
    });
  if (name == "delete") return with(cmd::del{}, [&](auto& c) { r.get("message", c.message); });
  if (name == "delete_insight")
    return with(cmd::del_insight{}, [&](auto& c) { r.get("insight", c.insight); });
  if (name == "timer") return with(cmd::timer{}, [&](auto& c) { r.get("seconds", c.seconds); });
  if (name == "timer_ended")
    return with(cmd::timer_ended{}, [&](auto& c) { r.get("ends_at", c.ends_at); });
  if (name == "summary")
    return with(cmd::summary{}, [&](auto& c) {
      r.get("text", c.text);
      r.get("publish", c.publish);
    });
  if (name == "open") return with(cmd::open{}, [&](auto& c) { r.get("open", c.open); });
  if (name == "report")
    return with(cmd::report{}, [&](auto& c) {
      c.table = r.table();
      r.get("text", c.text);
      auto& f = c.figures;  // a command logged before the figures has none
      r.get("participants", f.participants);
      r.get("spoke", f.spoke);
      r.get("messages", f.messages);
      r.get("stays", f.stays);
      r.get("person_minutes", f.person_minutes);
      r.get("median_minutes", f.median_minutes);
      r.get("hops_in", f.hops_in);
    });
  if (name == "broadcast") return with(cmd::broadcast{}, [&](auto& c) { r.get("text", c.text); });
  if (name == "phase") return with(cmd::phase{}, [&](auto& c) { r.get("name", c.name); });
  if (name == "table_created")
    return with(cmd::table_created{}, [&](auto& c) { c.table = r.table(); });
  if (name == "erase") return with(cmd::erase{}, [&](auto& c) { r.get("author", c.author); });
  if (name == "hide")
    return with(cmd::hide{}, [&](auto& c) {
      r.get("item", c.item);
      r.get("on", c.on);
    });
  auto sanction = [&](auto& c) {
    r.get("participant", c.participant);
    r.get("on", c.on);
    r.get("reason", c.reason);
  };
  if (name == "mute") return with(cmd::mute{}, sanction);
  if (name == "remove") return with(cmd::remove_member{}, sanction);
  if (name == "premoderate") return with(cmd::premoderate{}, [&](auto& c) { r.get("on", c.on); });
  if (name == "review")
    return with(cmd::review{}, [&](auto& c) {
      r.get("item", c.item);
      r.get("approve", c.approve);
    });
  if (name == "outcome")
    return with(cmd::outcome{}, [&](auto& c) {
      r.get("insight", c.insight);
      r.get("status", c.status);
      r.get("note", c.note);
      r.get("into", c.into);
    });
  if (name == "comment")
    return with(cmd::comment{}, [&](auto& c) {
      r.get("id", c.id);
      r.get("insight", c.insight);
      r.get("text", c.text);
    });
  if (name == "comment_review")
    return with(cmd::comment_review{}, [&](auto& c) {
      r.get("id", c.id);
      r.get("approve", c.approve);
    });
  if (name == "pick")
    return with(cmd::pick{}, [&](auto& c) { r.get("participant", c.participant); });
  if (name == "end_turn") return with(cmd::end_turn{}, none);
  if (name == "drop_hand")
    return with(cmd::drop_hand{}, [&](auto& c) { r.get("participant", c.participant); });
  if (name == "timer_pause")
    return with(cmd::timer_pause{}, [&](auto& c) { r.get("pause", c.pause); });
  if (name == "timer_extend")
    return with(cmd::timer_extend{}, [&](auto& c) { r.get("seconds", c.seconds); });
  if (name == "poll")
    return with(cmd::poll{}, [&](auto& c) {
      r.get("id", c.id);
      r.get("question", c.question);
      r.get_list("options", c.options);
      r.get("multiple", c.multiple);
      r.get("live", c.live);
    });
  if (name == "poll_vote")
    return with(cmd::poll_vote{}, [&](auto& c) {
      r.get("poll", c.poll);
      r.get_list("choices", c.choices);
    });
  if (name == "poll_close") return with(cmd::poll_close{}, [&](auto& c) { r.get("poll", c.poll); });
  if (name == "react")
    return with(cmd::react{}, [&](auto& c) {
      r.get("item", c.item);
      r.get("emoji", c.emoji);
    });
  if (name == "help") return with(cmd::help{}, [&](auto& c) { r.get("done", c.done); });
  if (name == "move")
    return with(cmd::move{}, [&](auto& c) {
      r.get("participant", c.participant);
      r.get("name", c.name);
      r.get("table", c.table);
    });
  if (name == "balance")
    return with(cmd::balance{}, [&](auto& c) {
      std::vector<std::string> who, from, to;
      r.get_list("participants", who);
      r.get_list("from", from);
      r.get_list("tables", to);
      if (who.size() != from.size() || who.size() != to.size()) r.ok = false;
      for (std::size_t i = 0; r.ok && i < who.size(); ++i)
        c.moves.push_back({std::move(who[i]), {}, std::move(to[i]), std::move(from[i])});
    });
  if (name == "recall")
    return with(cmd::recall{}, [&](auto& c) {
      r.get("seconds", c.seconds);
      r.get("cancel", c.cancel);
    });
  if (name == "recall_ended")
    return with(cmd::recall_ended{}, [&](auto& c) { r.get("ends_at", c.ends_at); });
  if (name == "role")
    return with(cmd::role{}, [&](auto& c) {
      r.get("participant", c.participant);
      r.get("role", c.role);
    });
  if (name == "rounds_start")
    return with(cmd::rounds_start{}, [&](auto& c) {
      r.get("size", c.size);
      r.get("minutes", c.minutes);
      r.get("rounds", c.rounds);
      r.get("seed", c.seed);
    });
  if (name == "rounds_stop") return with(cmd::rounds_stop{}, none);
  if (name == "opt_out") return with(cmd::opt_out{}, [&](auto& c) { r.get("on", c.on); });
  if (name == "round_present")
    return with(cmd::round_present{}, [&](auto& c) {
      r.get("round", c.round);
      r.get_list("ids", c.ids);
      r.get_list("names", c.names);
    });
  if (name == "round_due")
    return with(cmd::round_due{}, [&](auto& c) { r.get("due_at", c.due_at); });
  if (name == "group_round")
    return with(cmd::group_round{}, [&](auto& c) {
      r.get("round", c.round);
      r.get_list("members", c.members);
    });
  return std::nullopt;
}

}  // namespace

std::string command_json(room_command const& c) {
  json_writer w;
  w.begin_object();
  write_op(w, c.op);
  w.field("origin", c.origin).field("ticket", c.ticket).field("conn", c.conn).field("ts", c.ts);
  w.key("who")
      .begin_object()
      .field("id", c.who.id)
      .field("name", c.who.name)
      .field("role", auth::to_string(c.who.who))
      .field("moderates", c.who.moderates)
      .end_object();
  w.end_object();
  return w.release();
}

std::optional<room_command> command_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e) || !e.is_object()) return std::nullopt;
  reader r{e};
  room_command c;
  std::string_view name;
  r.get("op", name);
  r.get("origin", c.origin);
  r.get("ticket", c.ticket);
  r.get("conn", c.conn);
  r.get("ts", c.ts);
  if (e["who"].error() != simdjson::NO_SUCH_FIELD) {
    auto who = r.sub("who");
    std::string_view role_name = "participant";
    who.get("id", c.who.id);
    who.get("name", c.who.name);
    who.get("role", role_name);
    who.get("moderates", c.who.moderates);
    auto const parsed = auth::parse_role(role_name);
    if (!who.ok || !parsed) return std::nullopt;
    c.who.who = *parsed;
  }
  auto op = read_op(name, r);
  if (!op || !r.ok) return std::nullopt;
  c.op = std::move(*op);
  return c;
}

}  // namespace roundtable
