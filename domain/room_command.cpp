// The room log's text form: commands to JSON and back. Each command's name in
// the log and its fields, in the order they are written, are listed once
// (`describe`); one field writer and one field reader walk that list, so the
// two directions cannot drift apart.
#include "domain/room_command.hpp"

#include "protocol/json_writer.hpp"

#include <simdjson.h>

#include <array>
#include <concepts>
#include <type_traits>
#include <utility>

namespace roundtable {

using protocol::json_writer;

namespace {

// `describe` takes a command const (to write it) or not (to read it into).
template <class T, class U>
concept is = std::same_as<std::remove_const_t<T>, U>;

// Each command's fields for a field visitor `f`: f.op(name) first, then
// f(key, member) for each field; f.optional(key, member) for a string written
// only when non-empty; f.moves(list) for a balance's moves.
void describe(is<cmd::join> auto& c, auto& f) {
  f.op("join");
  f.optional("stakeholder", c.said.stakeholder);
  f.optional("expertise", c.said.expertise);
  f.optional("from", c.from);
}
void describe(is<cmd::leave> auto&, auto& f) {
  f.op("leave");
}
void describe(is<cmd::say> auto& c, auto& f) {
  f.op("say");
  f("id", c.id);
  f("text", c.text);
  f("alias", c.alias);
}
void describe(is<cmd::hand> auto& c, auto& f) {
  f.op("hand");
  f("up", c.up);
}
void describe(is<cmd::speaker> auto& c, auto& f) {
  f.op("speaker");
  f("clear", c.clear);
}
void describe(is<cmd::insight> auto& c, auto& f) {
  f.op("insight");
  f("id", c.id);
  f("text", c.text);
  f("alias", c.alias);
}
void describe(is<cmd::vote> auto& c, auto& f) {
  f.op("vote");
  f("insight", c.insight);
  f("up", c.up);
}
void describe(is<cmd::del> auto& c, auto& f) {
  f.op("delete");
  f("message", c.message);
}
void describe(is<cmd::del_insight> auto& c, auto& f) {
  f.op("delete_insight");
  f("insight", c.insight);
}
void describe(is<cmd::timer> auto& c, auto& f) {
  f.op("timer");
  f("seconds", c.seconds);
}
void describe(is<cmd::timer_ended> auto& c, auto& f) {
  f.op("timer_ended");
  f("ends_at", c.ends_at);
}
void describe(is<cmd::summary> auto& c, auto& f) {
  f.op("summary");
  f("text", c.text);
  f("publish", c.publish);
}
void describe(is<cmd::open> auto& c, auto& f) {
  f.op("open");
  f("open", c.open);
}
void describe(is<cmd::report> auto& c, auto& f) {
  f.op("report");
  f("text", c.text);
  f("table", c.table);
  auto& g = c.figures;  // a command logged before the figures has none
  f("participants", g.participants);
  f("spoke", g.spoke);
  f("messages", g.messages);
  f("stays", g.stays);
  f("person_minutes", g.person_minutes);
  f("median_minutes", g.median_minutes);
  f("hops_in", g.hops_in);
}
void describe(is<cmd::broadcast> auto& c, auto& f) {
  f.op("broadcast");
  f("text", c.text);
}
void describe(is<cmd::phase> auto& c, auto& f) {
  f.op("phase");
  f("name", c.name);
}
void describe(is<cmd::table_created> auto& c, auto& f) {
  f.op("table_created");
  f("table", c.table);
}
void describe(is<cmd::erase> auto& c, auto& f) {
  f.op("erase");
  f("author", c.author);
}
void describe(is<cmd::hide> auto& c, auto& f) {
  f.op("hide");
  f("item", c.item);
  f("on", c.on);
}
// A mute and a removal share their fields (remove_member is a mute).
void describe_sanction(char const* name, auto& c, auto& f) {
  f.op(name);
  f("participant", c.participant);
  f("on", c.on);
  f("reason", c.reason);
}
void describe(is<cmd::mute> auto& c, auto& f) {
  describe_sanction("mute", c, f);
}
void describe(is<cmd::remove_member> auto& c, auto& f) {
  describe_sanction("remove", c, f);
}
void describe(is<cmd::premoderate> auto& c, auto& f) {
  f.op("premoderate");
  f("on", c.on);
}
void describe(is<cmd::review> auto& c, auto& f) {
  f.op("review");
  f("item", c.item);
  f("approve", c.approve);
}
void describe(is<cmd::outcome> auto& c, auto& f) {
  f.op("outcome");
  f("insight", c.insight);
  f("status", c.status);
  f("note", c.note);
  f("into", c.into);
}
void describe(is<cmd::comment> auto& c, auto& f) {
  f.op("comment");
  f("id", c.id);
  f("insight", c.insight);
  f("text", c.text);
}
void describe(is<cmd::comment_review> auto& c, auto& f) {
  f.op("comment_review");
  f("id", c.id);
  f("approve", c.approve);
}
void describe(is<cmd::pick> auto& c, auto& f) {
  f.op("pick");
  f("participant", c.participant);
}
void describe(is<cmd::end_turn> auto&, auto& f) {
  f.op("end_turn");
}
void describe(is<cmd::drop_hand> auto& c, auto& f) {
  f.op("drop_hand");
  f("participant", c.participant);
}
void describe(is<cmd::timer_pause> auto& c, auto& f) {
  f.op("timer_pause");
  f("pause", c.pause);
}
void describe(is<cmd::timer_extend> auto& c, auto& f) {
  f.op("timer_extend");
  f("seconds", c.seconds);
}
void describe(is<cmd::poll> auto& c, auto& f) {
  f.op("poll");
  f("id", c.id);
  f("question", c.question);
  f("options", c.options);
  f("multiple", c.multiple);
  f("live", c.live);
}
void describe(is<cmd::poll_vote> auto& c, auto& f) {
  f.op("poll_vote");
  f("poll", c.poll);
  f("choices", c.choices);
}
void describe(is<cmd::poll_close> auto& c, auto& f) {
  f.op("poll_close");
  f("poll", c.poll);
}
void describe(is<cmd::react> auto& c, auto& f) {
  f.op("react");
  f("item", c.item);
  f("emoji", c.emoji);
}
void describe(is<cmd::help> auto& c, auto& f) {
  f.op("help");
  f("done", c.done);
}
void describe(is<cmd::move> auto& c, auto& f) {
  f.op("move");
  f("participant", c.participant);
  f("name", c.name);
  f("table", c.table);
}
void describe(is<cmd::balance> auto& c, auto& f) {
  f.op("balance");
  f.moves(c.moves);
}
void describe(is<cmd::recall> auto& c, auto& f) {
  f.op("recall");
  f("seconds", c.seconds);
  f("cancel", c.cancel);
}
void describe(is<cmd::recall_ended> auto& c, auto& f) {
  f.op("recall_ended");
  f("ends_at", c.ends_at);
}
void describe(is<cmd::role> auto& c, auto& f) {
  f.op("role");
  f("participant", c.participant);
  f("role", c.role);
}
void describe(is<cmd::rounds_start> auto& c, auto& f) {
  f.op("rounds_start");
  f("size", c.size);
  f("minutes", c.minutes);
  f("rounds", c.rounds);
  f("seed", c.seed);
}
void describe(is<cmd::rounds_stop> auto&, auto& f) {
  f.op("rounds_stop");
}
void describe(is<cmd::opt_out> auto& c, auto& f) {
  f.op("opt_out");
  f("on", c.on);
}
void describe(is<cmd::round_present> auto& c, auto& f) {
  f.op("round_present");
  f("round", c.round);
  f("ids", c.ids);
  f("names", c.names);
}
void describe(is<cmd::round_due> auto& c, auto& f) {
  f.op("round_due");
  f("due_at", c.due_at);
}
void describe(is<cmd::group_round> auto& c, auto& f) {
  f.op("group_round");
  f("round", c.round);
  f("members", c.members);
}

// A balance's moves travel as three lists of one length: who, from where, to where.
constexpr char const* balance_who = "participants";
constexpr char const* balance_from = "from";
constexpr char const* balance_to = "tables";

struct field_writer {
  json_writer& w;

  void op(std::string_view name) { w.field("op", name); }
  template <class T>
  void operator()(char const* key, T const& v) {
    w.field(key, v);
  }
  template <class T>
  void operator()(char const* key, std::vector<T> const& list) {
    w.key(key).begin_array();
    for (auto const& x : list) w.value(x);
    w.end_array();
  }
  void operator()(char const* key, table_config const& t) {
    w.key(key)
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
  void optional(char const* key, std::string const& v) {
    if (!v.empty()) w.field(key, v);
  }
  void moves(std::vector<cmd::move> const& moves) {
    auto const list = [&](char const* key, std::string cmd::move::*field) {
      w.key(key).begin_array();
      for (auto const& m : moves) w.value(m.*field);
      w.end_array();
    };
    list(balance_who, &cmd::move::participant);
    list(balance_from, &cmd::move::from);
    list(balance_to, &cmd::move::table);
  }
};

// Field readers: a missing field keeps the default, a mistyped one fails the
// whole command (`ok` turns false).
struct field_reader {
  simdjson::dom::element e;
  bool ok = true;

  void op(std::string_view) {}
  template <class T>
  void operator()(char const* key, T& out) {
    auto f = e[key];
    if (f.error() == simdjson::NO_SUCH_FIELD) return;
    if (f.get(out)) ok = false;
  }
  void operator()(char const* key, std::string& out) {
    std::string_view v;
    (*this)(key, v);
    out = v;
  }
  // An array of T (std::string or std::int64_t); a missing one stays empty.
  template <class T>
  void operator()(char const* key, std::vector<T>& out) {
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
  // A table is required wherever one is written.
  void operator()(char const* key, table_config& t) {
    auto r = sub(key);
    if (!r.ok) {
      ok = false;
      return;
    }
    r("id", t.id);
    r("topic", t.topic);
    r("moderator", t.moderator);
    r("capacity", t.capacity);
    r("open", t.open);
    r("premoderate", t.premoderate);
    r("anonymous", t.anonymous);
    ok = ok && r.ok;
  }
  void optional(char const* key, std::string& out) { (*this)(key, out); }
  void moves(std::vector<cmd::move>& moves) {
    std::vector<std::string> who, from, to;
    (*this)(balance_who, who);
    (*this)(balance_from, from);
    (*this)(balance_to, to);
    if (who.size() != from.size() || who.size() != to.size()) ok = false;
    for (std::size_t i = 0; ok && i < who.size(); ++i)
      moves.push_back({std::move(who[i]), {}, std::move(to[i]), std::move(from[i])});
  }
  field_reader sub(char const* key) {
    simdjson::dom::element s;
    if (e[key].get(s) || !s.is_object()) ok = false;
    return field_reader{s, ok};
  }
};

// Records a command's name and skips its fields.
struct name_probe {
  std::string_view name;
  void op(std::string_view n) { name = n; }
  void operator()(char const*, auto const&) {}
  void optional(char const*, auto const&) {}
  void moves(auto const&) {}
};

// A command's name in the log, found by describing a default one.
template <class T>
std::string_view name_of() {
  name_probe probe;
  T const c{};
  describe(c, probe);
  return probe.name;
}

// Reads a command of type T from the fields of `r`.
template <class T>
std::optional<command_op> read_as(field_reader& r) {
  T c{};
  describe(c, r);
  return r.ok ? std::optional<command_op>(std::move(c)) : std::nullopt;
}

struct op_entry {
  std::string_view name;
  std::optional<command_op> (*read)(field_reader&);
};

template <std::size_t... I>
std::array<op_entry, sizeof...(I)> make_op_table(std::index_sequence<I...>) {
  return {op_entry{name_of<std::variant_alternative_t<I, command_op>>(),
                   &read_as<std::variant_alternative_t<I, command_op>>}...};
}

std::optional<command_op> read_op(std::string_view name, field_reader& r) {
  static auto const table =
      make_op_table(std::make_index_sequence<std::variant_size_v<command_op>>{});
  for (auto const& entry : table) {
    if (entry.name == name) return entry.read(r);
  }
  return std::nullopt;
}

}  // namespace

std::string command_json(room_command const& c) {
  json_writer w;
  w.begin_object();
  field_writer f{w};
  std::visit([&](auto const& op) { describe(op, f); }, c.op);
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
  field_reader r{e};
  room_command c;
  std::string_view name;
  r("op", name);
  r("origin", c.origin);
  r("ticket", c.ticket);
  r("conn", c.conn);
  r("ts", c.ts);
  if (e["who"].error() != simdjson::NO_SUCH_FIELD) {
    auto who = r.sub("who");
    std::string_view role_name = "participant";
    who("id", c.who.id);
    who("name", c.who.name);
    who("role", role_name);
    who("moderates", c.who.moderates);
    auto const parsed = auth::parse_role(role_name);
    if (!who.ok || !parsed) return std::nullopt;
    c.who.who = *parsed;
  }
  auto op = read_op(name, r);
  if (!op || !r.ok) return std::nullopt;
  c.op = std::move(*op);
  return c;
}

void blank_sender(room_command& c) {
  c.who.name.clear();
  std::visit(
      [](auto& op) {
        if constexpr (requires { op.text; }) op.text.clear();
        if constexpr (requires { op.said; }) op.said = {};
      },
      c.op);
}

namespace {
// Calls `f(id, name)` for each person `op` names besides its sender; `name`
// is writable when `op` is.
template <class Op, class F>
void each_named(Op& op, F const& f) {
  static std::string const no_id;
  if (auto* m = std::get_if<cmd::move>(&op)) f(m->participant, m->name);
  if (auto* r = std::get_if<cmd::round_present>(&op)) {
    for (std::size_t i = 0; i < r->names.size(); ++i)
      f(i < r->ids.size() ? r->ids[i] : no_id, r->names[i]);
  }
}
}  // namespace

std::vector<named_person> names(room_command const& c) {
  std::vector<named_person> out;
  each_named(c.op, [&](std::string const& id, std::string const& name) {
    if (!name.empty()) out.push_back({id, name});
  });
  return out;
}

bool blank_named(
    room_command& c,
    std::function<bool(std::string const& id, std::string const& name)> const& erased) {
  bool changed = false;
  each_named(c.op, [&](std::string const& id, std::string& name) {
    if (name.empty() || !erased(id, name)) return;
    name.clear();
    changed = true;
  });
  return changed;
}

}  // namespace roundtable
