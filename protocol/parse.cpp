// Parsing one client message with simdjson on-demand. The object is walked once:
// every field the protocol knows is read into a typed slot (a key has one JSON type
// whatever the op), unknown fields are skipped but still validated, and only then
// does the op decide which slots it needs and how to check them. Walking once keeps
// field order irrelevant and makes `rid` known before any field error is reported,
// so every error reply can echo it.
#include "protocol/parse.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roundtable::protocol {

namespace {

namespace od = simdjson::ondemand;

// Wire op names, in the order of the alternatives of `body`.
constexpr std::array<std::string_view, 34> op_names = {
    "hello",        "join",    "leave",   "say",     "hand",      "speaker",    "insight",
    "vote",         "delete",  "timer",   "summary", "broadcast", "phase",      "table",
    "create_table", "ping",    "outcome", "hide",    "restore",   "mute",       "remove",
    "moderation",   "approve", "reject",  "poll",    "poll_vote", "poll_close", "react",
    "help",         "move",    "recall",  "role",    "balance",   "networking"};
static_assert(op_names.size() == std::variant_size_v<body>);

// The position of T among the alternatives of `body`, so `build` can switch on it.
template <class T, class V>
struct index_in;
template <class T, class... Ts>
struct index_in<T, std::variant<Ts...>> {
  static constexpr std::size_t value = [] {
    std::size_t i = 0;
    (void)((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
    return i;
  }();
};
template <class T>
constexpr std::size_t index_of = index_in<T, body>::value;
static_assert(index_of<del> == 8 && op_names[index_of<del>] == "delete");
static_assert(op_names[index_of<create_table>] == "create_table");
static_assert(op_names[index_of<remove_from_table>] == "remove");
static_assert(op_names[index_of<move>] == "move" && op_names[index_of<recall>] == "recall");
static_assert(op_names[index_of<give_role>] == "role");
static_assert(op_names[index_of<balance>] == "balance");
static_assert(op_names[index_of<networking>] == "networking");

// Nesting a client message needs is 3 (hello.resume.room); deeper only happens
// inside ignored fields. A bound keeps the skipping recursion shallow.
constexpr int max_depth = 32;

// Every key the protocol reads. The slot of a key is filled wherever it appears;
// the op decides afterwards whether it matters.
enum class key : std::uint8_t {
  op,
  name,
  token,
  table,
  room,
  text,
  up,
  action,
  insight,
  message,
  seconds,
  publish,
  topic,
  moderator,
  capacity,
  open,
  status,
  note,
  into,
  item,
  participant,
  on,
  reason,
  premoderate,
  pause,
  extend,
  question,
  options,
  multiple,
  live,
  poll,
  choices,
  emoji,
  done,
  minutes,
  cancel,
  anonymous,
  stakeholder,
  expertise,
  role,
  tables,
  size,
  rounds,
  stop,
  opt_out,
  count
};
constexpr std::array<std::string_view, static_cast<std::size_t>(key::count)> key_names = {
    "op",       "name",      "token",       "table",     "room",    "text",     "up",
    "action",   "insight",   "message",     "seconds",   "publish", "topic",    "moderator",
    "capacity", "open",      "status",      "note",      "into",    "item",     "participant",
    "on",       "reason",    "premoderate", "pause",     "extend",  "question", "options",
    "multiple", "live",      "poll",        "choices",   "emoji",   "done",     "minutes",
    "cancel",   "anonymous", "stakeholder", "expertise", "role",    "tables",   "size",
    "rounds",   "stop",      "opt_out"};

// What one field held. Strings point into simdjson's string buffer, valid until
// the next parse.
struct slot {
  // big: an integer past int64, or a number simdjson cannot represent.
  // list: an array of a list key (`options`, `choices`, `tables`), its elements in
  // parser::impl::lists.
  enum class kind : std::uint8_t {
    missing,
    null,
    string,
    integer,
    big,
    fraction,
    boolean,
    list,
    other
  };
  kind k = kind::missing;
  std::string_view str;
  std::int64_t num = 0;  // kind::integer
  bool flag = false;     // kind::boolean
};

struct resume_entry {
  std::string_view room;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
};

bool is_id_char(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

bool is_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > limits::id) return false;
  for (char c : s)
    if (!is_id_char(static_cast<unsigned char>(c))) return false;
  return true;
}

// True when `s` holds a control character: C0, DEL or C1 (U+0080..U+009F, which
// UTF-8 encodes as C2 80..C2 9F). `allow_lines` lets \n and \t through for texts.
bool has_control(std::string_view s, bool allow_lines) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) {
      if (allow_lines && (c == '\n' || c == '\t')) continue;
      return true;
    }
    if (c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      auto const n = static_cast<unsigned char>(s[i + 1]);
      if (n >= 0x80 && n <= 0x9F) return true;
    }
  }
  return false;
}

// Length of the Unicode space (Zs, or an invisible BOM/ZWSP) encoded at the start
// of `s`, 0 if none. The input is valid UTF-8 (simdjson checked it).
std::size_t space_prefix(std::string_view s) noexcept {
  if (s.empty()) return 0;
  auto const b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  if (b(0) == ' ') return 1;
  if (s.size() >= 2 && b(0) == 0xC2 && b(1) == 0xA0) return 2;  // U+00A0
  if (s.size() < 3) return 0;
  std::uint32_t const cp = ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
  if ((b(0) & 0xF0) != 0xE0) return 0;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F ||
      cp == 0x3000 || cp == 0xFEFF)
    return 3;
  return 0;
}

std::size_t space_suffix(std::string_view s) noexcept {
  if (s.empty()) return 0;
  if (s.back() == ' ') return 1;
  // Step back to the first byte of the last character.
  std::size_t start = s.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  auto const n = space_prefix(s.substr(start));
  return n == s.size() - start ? n : 0;
}

std::string_view trim(std::string_view s) noexcept {
  while (auto n = space_prefix(s)) s.remove_prefix(n);
  while (auto n = space_suffix(s)) s.remove_suffix(n);
  return s;
}

std::string_view trim_json_space(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// True when `s` is a number by the JSON grammar. simdjson refuses numbers it
// cannot represent (an integer past 2^64, 1e400), which are still valid JSON.
bool is_json_number(std::string_view s) noexcept {
  std::size_t i = 0;
  auto const digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digit(i)) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == s.size();
}

// Reads a number. `representable` is false for a valid number simdjson cannot
// hold; `n` is then unset.
simdjson::error_code read_number(od::value& v, od::number& n, bool& representable) noexcept {
  representable = true;
  auto const e = v.get_number().get(n);
  if (!e) return e;
  if (e == simdjson::NUMBER_ERROR && is_json_number(trim_json_space(v.raw_json_token()))) {
    representable = false;
    return simdjson::SUCCESS;
  }
  return e;
}

// Reads (and so validates) a value whose content is ignored.
simdjson::error_code skip(od::value v, int depth) noexcept {
  if (depth > max_depth) return simdjson::DEPTH_ERROR;
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  switch (t) {
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return e;
      for (auto f : obj) {
        od::field field;
        if (auto e = std::move(f).get(field)) return e;
        std::string_view k;
        if (auto e = field.unescaped_key().get(k)) return e;
        if (auto e = skip(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) return e;
      for (auto el : arr) {
        od::value item;
        if (auto e = std::move(el).get(item)) return e;
        if (auto e = skip(item, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      bool representable = true;
      return read_number(v, n, representable);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// Reads a known field into its slot. Errors are JSON errors only; whether the
// type fits is decided later by the op.
simdjson::error_code read_slot(od::value v, slot& s) noexcept {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  s = slot{};
  switch (t) {
    case od::json_type::string:
      s.k = slot::kind::string;
      return v.get_string().get(s.str);
    case od::json_type::number: {
      od::number n;
      bool representable = true;
      if (auto e = read_number(v, n, representable)) return e;
      if (!representable) {
        s.k = slot::kind::big;
        return simdjson::SUCCESS;
      }
      switch (n.get_number_type()) {
        case od::number_type::signed_integer:
          s.k = slot::kind::integer;
          s.num = n.get_int64();
          break;
        case od::number_type::unsigned_integer:
          s.k = slot::kind::big;
          break;
        case od::number_type::floating_point_number:
          s.k = slot::kind::fraction;
          break;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean:
      s.k = slot::kind::boolean;
      return v.get_bool().get(s.flag);
    case od::json_type::null:
      s.k = slot::kind::null;
      return skip(v, 0);
    case od::json_type::object:
    case od::json_type::array:
      s.k = slot::kind::other;
      return skip(v, 1);
  }
  return simdjson::TAPE_ERROR;
}

std::optional<key> key_of(std::string_view k) noexcept {
  for (std::size_t i = 0; i < key_names.size(); ++i)
    if (key_names[i] == k) return static_cast<key>(i);
  return std::nullopt;
}

// A short, printable excerpt of client text for an error message.
std::string_view excerpt(std::string_view s) noexcept {
  if (s.size() <= 32) return s;
  std::size_t n = 32;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

struct parser::impl {
  od::parser json;
  // The message copied with simdjson's padding after it; grows to the largest
  // message seen, never shrinks.
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;

  std::array<slot, static_cast<std::size_t>(key::count)> slots;
  // The elements of the list keys, `options`, `choices` and `tables`.
  std::array<std::vector<slot>, 3> lists;
  std::vector<resume_entry> resume;
  bool has_resume = false;
  std::optional<error> resume_error;  // reported only when the op is hello
  std::optional<error> rid_error;

  std::string_view op;  // the op of the message being checked, for messages
  error* err = nullptr;

  // `forced_op`: parse as that op whatever the message's "op" says.
  bool run(std::string_view message, command& out, std::string_view forced_op = {});
  simdjson::error_code read_rid(od::value v, command& out);
  simdjson::error_code read_resume(od::value v);
  simdjson::error_code read_resume_entry(std::string_view room, od::value point);
  // The message copied into `buffer` with its padding, every slot cleared.
  void load(std::string_view message);
  // Reads every field of the loaded message into its slot.
  bool read_fields(std::size_t size, command& out);
  bool json_error(simdjson::error_code e);
  // Builds the op at `op_index` of `body` from the slots (see fill).
  bool build(std::size_t op_index, command& out);
  // Makes the command's op a T and fills it.
  template <class T>
  static bool build_as(impl& p, command& out) {
    return p.fill(out.op.emplace<T>());
  }
  simdjson::error_code read_list(od::value v, slot& s, std::vector<slot>& items);
  std::vector<slot>& list_of(key k) {
    return lists[k == key::options ? 0 : k == key::choices ? 1 : 2];
  }

  // One per op: checks the slots the op needs and fills it. An op that
  // derives from another (restore, approve and reject from hide; remove from
  // mute) shares its fill.
  bool fill(hello& c);
  bool fill(join& c) { return id_field(key::table, true, c.table); }
  bool fill(leave&) { return true; }
  bool fill(say& c);
  bool fill(hand& c);
  bool fill(speaker& c);
  bool fill(insight& c);
  bool fill(vote& c);
  bool fill(del& c);
  bool fill(timer& c);
  bool fill(summary& c);
  bool fill(broadcast& c) { return text_field(key::text, 1, limits::broadcast, c.text); }
  bool fill(phase& c) { return label_field(key::name, true, limits::topic, c.name); }
  bool fill(table& c);
  bool fill(create_table& c);
  bool fill(ping&) { return true; }
  bool fill(outcome& c);
  bool fill(hide& c) {
    return id_field(key::room, false, c.room) && id_field(key::item, true, c.item);
  }
  bool fill(mute& c) {
    return id_field(key::table, false, c.table) &&
           id_field(key::participant, true, c.participant) && bool_field(key::on, false, c.on) &&
           label_field(key::reason, false, limits::reason, c.reason);
  }
  bool fill(moderation& c);
  bool fill(poll& c);
  bool fill(poll_vote& c);
  bool fill(poll_close& c);
  bool fill(react& c);
  bool fill(help& c);
  bool fill(move& c);
  bool fill(recall& c);
  bool fill(give_role& c);
  bool fill(balance& c);
  bool fill(networking& c);

  slot const& at(key k) const noexcept { return slots[static_cast<std::size_t>(k)]; }
  // The field is there and not null.
  bool given(key k) const noexcept {
    return at(k).k != slot::kind::missing && at(k).k != slot::kind::null;
  }

  bool fail(error_code code, std::string message) {
    err->code = code;
    err->message = std::move(message);
    return false;
  }
  bool fail_field(error_code code, key k, std::string_view what) {
    std::string m;
    m.reserve(64);
    m.append(op).append(": '").append(key_names[static_cast<std::size_t>(k)]).append("' ");
    m.append(what);
    return fail(code, std::move(m));
  }
  bool missing(key k) {
    std::string m(op);
    m.append(": missing field '").append(key_names[static_cast<std::size_t>(k)]).append("'");
    return fail(error_code::bad_request, std::move(m));
  }
  bool too_large(key k, std::size_t limit) {
    return fail_field(error_code::too_large, k, "is over " + std::to_string(limit) + " bytes");
  }

  // The string in slot `k`. `required`: missing or null is an error; else both
  // leave `out` untouched and return true with `present` false.
  bool string_field(key k, bool required, std::string_view& out, bool* present = nullptr) {
    auto const& s = at(k);
    if (present) *present = false;
    if (s.k == slot::kind::missing || s.k == slot::kind::null) {
      return required ? missing(k) : true;
    }
    if (s.k != slot::kind::string)
      return fail_field(error_code::bad_request, k, "must be a string");
    out = s.str;
    if (present) *present = true;
    return true;
  }

  bool id_field(key k, bool required, std::string& out) {
    std::string_view s;
    bool present = false;
    if (!string_field(k, required, s, &present)) return false;
    if (!present) return true;
    if (s.size() > limits::id) return too_large(k, limits::id);
    if (!is_id(s))
      return fail_field(error_code::bad_request, k,
                        "must be an id: 1 to 64 of A-Z a-z 0-9 _ . : -");
    out.assign(s);
    return true;
  }

  // Free text: may span lines, kept exactly as sent.
  bool text_field(key k, std::size_t min, std::size_t max, std::string& out) {
    std::string_view s;
    if (!string_field(k, true, s)) return false;
    if (s.size() > max) return too_large(k, max);
    if (s.size() < min) return fail_field(error_code::bad_request, k, "must not be empty");
    if (has_control(s, true))
      return fail_field(error_code::bad_request, k,
                        "must not contain control characters other than newline and tab");
    out.assign(s);
    return true;
  }

  // A one-line label (a name, a topic): no control characters at all, and
  // surrounding spaces trimmed.
  bool label_field(key k, bool required, std::size_t max, std::string& out) {
    std::string_view s;
    bool present = false;
    if (!string_field(k, required, s, &present)) return false;
    if (!present) return true;
    switch (check_label(s, max)) {
      case label_problem::control_characters:
        return fail_field(error_code::bad_request, k, "must not contain control characters");
      case label_problem::too_long:
        return too_large(k, max);
      case label_problem::empty:
        if (required) return fail_field(error_code::bad_request, k, "must not be empty");
        break;
      case label_problem::none:
        break;
    }
    out.assign(s);
    return true;
  }

  bool bool_field(key k, bool required, bool& out) {
    auto const& s = at(k);
    if (s.k == slot::kind::missing || s.k == slot::kind::null) return required ? missing(k) : true;
    if (s.k != slot::kind::boolean)
      return fail_field(error_code::bad_request, k, "must be a boolean");
    out = s.flag;
    return true;
  }

  bool int_field(key k, bool required, std::int64_t max, std::int64_t& out) {
    auto const& s = at(k);
    if (s.k == slot::kind::missing || s.k == slot::kind::null) return required ? missing(k) : true;
    auto const range = "must be an integer from 0 to " + std::to_string(max);
    if (s.k != slot::kind::integer && s.k != slot::kind::big)
      return fail_field(error_code::bad_request, k, range);
    if (s.k == slot::kind::big || s.num < 0 || s.num > max)
      return fail_field(error_code::bad_request, k, range);
    out = s.num;
    return true;
  }
};

parser::parser() : impl_(new impl) {}
parser::~parser() {
  delete impl_;
}

bool parser::parse(std::string_view message, command& out, error& err) {
  impl_->err = &err;
  return impl_->run(message, out);
}

bool parser::parse_fields(std::string_view op, std::string_view message, command& out, error& err) {
  impl_->err = &err;
  return impl_->run(message, out, op);
}

simdjson::error_code parser::impl::read_rid(od::value v, command& out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  out.rid.clear();
  rid_error.reset();
  std::string_view raw;
  switch (t) {
    case od::json_type::number: {
      raw = trim_json_space(v.raw_json_token());
      od::number n;
      bool representable = true;
      if (auto e = read_number(v, n, representable)) return e;
      break;
    }
    case od::json_type::string: {
      raw = trim_json_space(v.raw_json_token());
      std::string_view s;
      if (auto e = v.get_string().get(s)) return e;  // validates the escapes
      break;
    }
    case od::json_type::null:
      return skip(v, 0);  // as if absent
    default:
      rid_error = error{error_code::bad_request, "'rid' must be a number or a string"};
      return skip(v, 0);
  }
  if (raw.size() > limits::rid) {
    rid_error =
        error{error_code::too_large, "'rid' is over " + std::to_string(limits::rid) + " bytes"};
    return simdjson::SUCCESS;
  }
  out.rid.assign(raw);
  return simdjson::SUCCESS;
}

simdjson::error_code parser::impl::read_resume(od::value v) {
  resume.clear();
  resume_error.reset();
  has_resume = false;
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  if (t == od::json_type::null) return skip(v, 0);
  if (t != od::json_type::object) {
    resume_error = error{error_code::bad_request, "hello: 'resume' must be an object"};
    return skip(v, 0);
  }
  has_resume = true;
  od::object rooms;
  if (auto e = v.get_object().get(rooms)) return e;
  for (auto f : rooms) {
    od::field field;
    if (auto e = std::move(f).get(field)) return e;
    std::string_view room;
    if (auto e = field.unescaped_key().get(room)) return e;
    if (auto e = read_resume_entry(room, field.value())) return e;
  }
  return simdjson::SUCCESS;
}

// One room's {epoch, seq}. Errors are JSON errors only; a bad entry sets
// resume_error (the first one wins) and the rest is still read.
simdjson::error_code parser::impl::read_resume_entry(std::string_view room, od::value point) {
  od::json_type pt;
  if (auto e = point.type().get(pt)) return e;
  if (resume_error || pt != od::json_type::object) {
    if (!resume_error)
      resume_error =
          error{error_code::bad_request, "hello: 'resume' entries must be objects {epoch, seq}"};
    return skip(point, 2);
  }
  if (!is_id(room)) {
    resume_error = error{error_code::bad_request, "hello: 'resume' keys must be room ids"};
    return skip(point, 2);
  }
  // Inner fields: epoch and seq, both required unsigned integers.
  slot epoch, seq;
  od::object obj;
  if (auto e = point.get_object().get(obj)) return e;
  for (auto inner : obj) {
    od::field pf;
    if (auto e = std::move(inner).get(pf)) return e;
    std::string_view k;
    if (auto e = pf.unescaped_key().get(k)) return e;
    simdjson::error_code e2 = simdjson::SUCCESS;
    if (k == "epoch")
      e2 = read_slot(pf.value(), epoch);
    else if (k == "seq")
      e2 = read_slot(pf.value(), seq);
    else
      e2 = skip(pf.value(), 3);
    if (e2) return e2;
  }
  auto const uint_of = [](slot const& s, std::uint64_t& out_value) {
    if (s.k == slot::kind::integer && s.num >= 0) {
      out_value = static_cast<std::uint64_t>(s.num);
      return true;
    }
    return false;  // kind::big (2^63 and above) is past any real seq: refused
  };
  resume_entry entry{room, 0, 0};
  if (!uint_of(epoch, entry.epoch) || !uint_of(seq, entry.seq)) {
    resume_error = error{error_code::bad_request,
                         "hello: 'resume' entries need 'epoch' and 'seq' as unsigned integers"};
    return simdjson::SUCCESS;
  }
  for (auto& r : resume) {
    if (r.room == room) {  // a repeated key: the last one wins, as in JSON.parse
      r = entry;
      return simdjson::SUCCESS;
    }
  }
  if (resume.size() == limits::resume_rooms) {
    resume_error =
        error{error_code::too_large,
              "hello: 'resume' has over " + std::to_string(limits::resume_rooms) + " rooms"};
    return simdjson::SUCCESS;
  }
  resume.push_back(entry);
  return simdjson::SUCCESS;
}

bool parser::impl::run(std::string_view message, command& out, std::string_view forced_op) {
  out.rid.clear();
  op = {};
  if (message.size() > limits::message_bytes)
    return fail(error_code::too_large,
                "message is over " + std::to_string(limits::message_bytes) + " bytes");
  load(message);
  if (!read_fields(message.size(), out)) return false;

  if (!forced_op.empty()) {  // an op's fields alone: no rid, no "op" to read
    out.rid.clear();
    auto const it = std::find(op_names.begin(), op_names.end(), forced_op);
    if (it == op_names.end()) return fail(error_code::internal, "unknown op");
    op = *it;
    return build(static_cast<std::size_t>(it - op_names.begin()), out);
  }
  if (rid_error) {
    *err = std::move(*rid_error);
    return false;
  }

  auto const& op_slot = at(key::op);
  if (op_slot.k == slot::kind::missing) return fail(error_code::bad_request, "missing field 'op'");
  if (op_slot.k != slot::kind::string)
    return fail(error_code::bad_request, "'op' must be a string");
  for (std::size_t i = 0; i < op_names.size(); ++i) {
    if (op_names[i] == op_slot.str) {
      op = op_names[i];
      return build(i, out);
    }
  }
  std::string m = "unknown op '";
  m.append(excerpt(op_slot.str)).append("'");
  return fail(error_code::bad_request, std::move(m));
}

void parser::impl::load(std::string_view message) {
  std::size_t const needed = message.size() + simdjson::SIMDJSON_PADDING;
  if (needed > capacity) {
    std::size_t const grown = std::max(
        needed, std::min(capacity * 2, limits::message_bytes + simdjson::SIMDJSON_PADDING));
    buffer.reset(new char[grown]);
    capacity = grown;
  }
  if (!message.empty()) std::memcpy(buffer.get(), message.data(), message.size());
  std::memset(buffer.get() + message.size(), 0, simdjson::SIMDJSON_PADDING);

  for (auto& s : slots) s = slot{};
  for (auto& l : lists) l.clear();
  resume.clear();
  has_resume = false;
  resume_error.reset();
  rid_error.reset();
}

bool parser::impl::json_error(simdjson::error_code e) {
  if (e == simdjson::UTF8_ERROR) return fail(error_code::bad_request, "invalid UTF-8");
  if (e == simdjson::DEPTH_ERROR) return fail(error_code::bad_request, "JSON nested too deep");
  return fail(error_code::bad_request, "invalid JSON");
}

bool parser::impl::read_fields(std::size_t size, command& out) {
  od::document doc;
  if (auto e = json.iterate(buffer.get(), size, capacity).get(doc)) return json_error(e);
  od::json_type root;
  if (auto e = doc.type().get(root)) return json_error(e);
  if (root != od::json_type::object)
    return fail(error_code::bad_request, "message must be a JSON object");
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return json_error(e);

  for (auto f : obj) {
    od::field field;
    if (auto e = std::move(f).get(field)) return json_error(e);
    std::string_view k;
    if (auto e = field.unescaped_key().get(k)) return json_error(e);
    simdjson::error_code e = simdjson::SUCCESS;
    if (k == "rid") {
      e = read_rid(field.value(), out);
    } else if (k == "resume") {
      e = read_resume(field.value());
    } else if (auto known = key_of(k);
               known == key::options || known == key::choices || known == key::tables) {
      e = read_list(field.value(), slots[static_cast<std::size_t>(*known)], list_of(*known));
    } else if (known) {
      e = read_slot(field.value(), slots[static_cast<std::size_t>(*known)]);
    } else {
      e = skip(field.value(), 1);  // unknown: ignored, but it must be valid JSON
    }
    if (e) return json_error(e);
  }
  // Anything after the object (a second value, a stray bracket) is not one message.
  if (auto loc = doc.current_location(); loc.error() != simdjson::OUT_OF_BOUNDS)
    return fail(error_code::bad_request, "invalid JSON");
  return true;
}

bool parser::impl::build(std::size_t op_index, command& out) {
  // The builder of each op, in the order of the alternatives of `body`.
  static constexpr auto builders = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<bool (*)(impl&, command&), sizeof...(I)>{
        &build_as<std::variant_alternative_t<I, body>>...};
  }
  (std::make_index_sequence<std::variant_size_v<body>>{});
  if (op_index >= builders.size()) return fail(error_code::internal, "unhandled op");
  return builders[op_index](*this, out);
}

bool parser::impl::fill(hello& c) {
  if (!label_field(key::name, true, limits::name, c.name)) return false;
  std::string_view token;
  bool has_token = false;
  if (!string_field(key::token, false, token, &has_token)) return false;
  if (has_token && token.size() > limits::token) return too_large(key::token, limits::token);
  c.token.assign(token);
  if (!label_field(key::stakeholder, false, limits::name, c.stakeholder) ||
      !label_field(key::expertise, false, limits::expertise, c.expertise))
    return false;
  if (resume_error) {
    *err = std::move(*resume_error);
    return false;
  }
  c.has_resume = has_resume;
  c.resume.reserve(resume.size());
  for (auto const& r : resume) c.resume.push_back({std::string(r.room), r.epoch, r.seq});
  return true;
}

bool parser::impl::fill(say& c) {
  return id_field(key::room, true, c.room) && text_field(key::text, 1, limits::text, c.text) &&
         bool_field(key::anonymous, false, c.anonymous);
}

bool parser::impl::fill(hand& c) {
  if (!bool_field(key::up, true, c.up) || !id_field(key::participant, false, c.participant))
    return false;
  if (c.up && !c.participant.empty())
    return fail(error_code::bad_request, "hand: a 'participant' hand can only be lowered");
  return true;
}

bool parser::impl::fill(speaker& c) {
  if (!id_field(key::room, true, c.room) || !id_field(key::participant, false, c.participant))
    return false;
  // With a participant the action is "next" unless given.
  std::string_view a = "next";
  if (!string_field(key::action, c.participant.empty(), a)) return false;
  if (a == "next") {
    c.what = speaker::action::next;
  } else if (a == "clear") {
    c.what = speaker::action::clear;
  } else if (a == "end") {
    c.what = speaker::action::end;
  } else {
    return fail_field(error_code::bad_request, key::action,
                      "must be \"next\", \"end\" or \"clear\"");
  }
  if (!c.participant.empty() && c.what != speaker::action::next)
    return fail(error_code::bad_request, "speaker: 'participant' goes with action \"next\"");
  return true;
}

bool parser::impl::fill(insight& c) {
  return text_field(key::text, 1, limits::insight, c.text) &&
         bool_field(key::anonymous, false, c.anonymous);
}

bool parser::impl::fill(vote& c) {
  return id_field(key::insight, true, c.insight) && bool_field(key::up, false, c.up);
}

bool parser::impl::fill(del& c) {
  if (!id_field(key::room, true, c.room) || !id_field(key::message, false, c.message) ||
      !id_field(key::insight, false, c.insight))
    return false;
  if (c.message.empty() == c.insight.empty())
    return fail(error_code::bad_request, "delete: give one of 'message' or 'insight'");
  return true;
}

bool parser::impl::fill(timer& c) {
  if (!id_field(key::room, true, c.room)) return false;
  if (given(key::seconds) + given(key::pause) + given(key::extend) > 1)
    return fail(error_code::bad_request, "timer: give one of 'seconds', 'pause' or 'extend'");
  if (given(key::pause)) {
    bool pause = false;
    if (!bool_field(key::pause, true, pause)) return false;
    c.what = pause ? timer::action::pause : timer::action::resume;
    return true;
  }
  if (given(key::extend)) {
    c.what = timer::action::extend;
    if (!int_field(key::extend, true, limits::timer_seconds, c.seconds)) return false;
    if (c.seconds == 0)
      return fail_field(error_code::bad_request, key::extend, "must be 1 or more");
    return true;
  }
  return int_field(key::seconds, true, limits::timer_seconds, c.seconds);
}

bool parser::impl::fill(summary& c) {
  return id_field(key::table, false, c.table) &&
         text_field(key::text, 0, limits::summary, c.text) &&
         bool_field(key::publish, false, c.publish);
}

bool parser::impl::fill(table& c) {
  return id_field(key::table, true, c.table) && bool_field(key::open, true, c.open);
}

bool parser::impl::fill(create_table& c) {
  return id_field(key::table, true, c.table) &&
         label_field(key::topic, true, limits::topic, c.topic) &&
         label_field(key::moderator, false, limits::name, c.moderator) &&
         int_field(key::capacity, false, limits::capacity, c.capacity);
}

bool parser::impl::fill(moderation& c) {
  return id_field(key::table, true, c.table) && bool_field(key::premoderate, true, c.premoderate);
}

bool parser::impl::fill(poll_close& c) {
  return id_field(key::room, false, c.room) && id_field(key::poll, true, c.poll);
}

bool parser::impl::fill(react& c) {
  std::string_view emoji;
  if (!id_field(key::room, false, c.room) || !id_field(key::item, true, c.item) ||
      !string_field(key::emoji, true, emoji))
    return false;
  if (!is_reaction_emoji(emoji))
    return fail_field(error_code::bad_request, key::emoji,
                      "must be one of \xF0\x9F\x91\x8D \xE2\x9D\xA4\xEF\xB8\x8F "
                      "\xF0\x9F\x92\xA1 \xF0\x9F\x91\x8F \xE2\x9D\x93 \xF0\x9F\x91\x8E");
  c.emoji.assign(emoji);
  return true;
}

bool parser::impl::fill(help& c) {
  return id_field(key::table, false, c.table) && bool_field(key::done, false, c.done);
}

bool parser::impl::fill(move& c) {
  if (!id_field(key::table, true, c.table) || !id_field(key::participant, false, c.participant) ||
      !label_field(key::name, false, limits::name, c.name))
    return false;
  if (c.participant.empty() == c.name.empty())
    return fail(error_code::bad_request, "move: give one of 'participant' or 'name'");
  return true;
}

bool parser::impl::fill(recall& c) {
  if (!bool_field(key::cancel, false, c.cancel)) return false;
  if (c.cancel + given(key::minutes) + given(key::seconds) != 1)
    return fail(error_code::bad_request,
                "recall: give one of 'minutes', 'seconds' or 'cancel': true");
  if (given(key::seconds)) return int_field(key::seconds, true, limits::recall_seconds, c.seconds);
  if (c.cancel) return true;
  if (!int_field(key::minutes, true, limits::recall_minutes, c.seconds)) return false;
  c.seconds *= 60;
  return true;
}

// Whether the role is one of the event's, and who may give it, at apply.
bool parser::impl::fill(give_role& c) {
  return id_field(key::table, false, c.table) && id_field(key::participant, true, c.participant) &&
         label_field(key::role, false, limits::role, c.role);
}

// Start, stop or opt out: one form per message. Who may, and whether rounds
// run, at apply.
bool parser::impl::fill(networking& c) {
  bool const starting = given(key::size) || given(key::minutes) || given(key::rounds);
  c.opting = given(key::opt_out);
  if (!bool_field(key::stop, false, c.stop) || !bool_field(key::opt_out, false, c.opt_out))
    return false;
  if (starting + c.stop + c.opting != 1)
    return fail(error_code::bad_request,
                "networking: give 'size' and 'minutes' (and 'rounds'), or 'stop': true, or "
                "'opt_out'");
  if (!starting) return true;
  auto const ranged = [&](key k, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    auto const& s = at(k);
    if (!given(k)) return true;  // rounds: its default
    if (s.k != slot::kind::integer || s.num < lo || s.num > hi) {
      return fail_field(
          error_code::bad_request, k,
          "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    out = s.num;
    return true;
  };
  if (!given(key::size)) return missing(key::size);
  if (!given(key::minutes)) return missing(key::minutes);
  return ranged(key::size, limits::group_size_min, limits::group_size_max, c.size) &&
         ranged(key::minutes, limits::round_minutes_min, limits::round_minutes_max, c.minutes) &&
         ranged(key::rounds, 1, limits::rounds_max, c.rounds);
}

// The shape of an outcome is checked here; whether the insights exist and
// who may set it, at apply.
bool parser::impl::fill(outcome& c) {
  if (!id_field(key::table, false, c.table) || !id_field(key::insight, true, c.insight) ||
      !id_field(key::into, false, c.into))
    return false;
  std::string_view status;
  if (!string_field(key::status, true, status)) return false;
  if (!is_outcome_status(status)) {
    return fail_field(error_code::bad_request, key::status,
                      "must be one of open, taken_up, noted, merged, out_of_scope");
  }
  c.status.assign(status);
  auto const& note = at(key::note);
  if (note.k != slot::kind::missing && note.k != slot::kind::null &&
      !text_field(key::note, 0, limits::note, c.note))
    return false;
  if (c.status == "merged" && c.into.empty())
    return fail(error_code::bad_request, "outcome: 'merged' needs 'into', the insight it joins");
  if (c.status != "merged" && !c.into.empty())
    return fail(error_code::bad_request, "outcome: 'into' goes only with status 'merged'");
  if (c.into == c.insight)
    return fail(error_code::bad_request, "outcome: an insight cannot be merged into itself");
  return true;
}

simdjson::error_code parser::impl::read_list(od::value v, slot& s, std::vector<slot>& items) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  if (t != od::json_type::array) return read_slot(v, s);
  s = slot{};
  s.k = slot::kind::list;
  od::array arr;
  if (auto e = v.get_array().get(arr)) return e;
  for (auto el : arr) {
    od::value item;
    if (auto e = std::move(el).get(item)) return e;
    if (auto e = read_slot(item, items.emplace_back())) return e;
  }
  return simdjson::SUCCESS;
}

// The options are labels (one line, trimmed, 1..100 bytes), 2 to 10 of them,
// no two alike: a voter must be able to tell them apart.
bool parser::impl::fill(poll& c) {
  if (!id_field(key::room, true, c.room) ||
      !label_field(key::question, true, limits::poll_question, c.question) ||
      !bool_field(key::multiple, false, c.multiple) || !bool_field(key::live, false, c.live))
    return false;
  auto const& s = at(key::options);
  if (s.k == slot::kind::missing || s.k == slot::kind::null) return missing(key::options);
  auto const& items = list_of(key::options);
  auto const count = "must be an array of " + std::to_string(limits::poll_options_min) + " to " +
                     std::to_string(limits::poll_options_max) + " strings";
  if (s.k != slot::kind::list || items.size() < limits::poll_options_min ||
      items.size() > limits::poll_options_max)
    return fail_field(error_code::bad_request, key::options, count);
  for (auto const& item : items) {
    if (item.k != slot::kind::string)
      return fail_field(error_code::bad_request, key::options, count);
    std::string_view label = item.str;
    switch (check_label(label, limits::poll_option)) {
      case label_problem::control_characters:
        return fail_field(error_code::bad_request, key::options,
                          "must not contain control characters");
      case label_problem::too_long:
        return fail_field(error_code::too_large, key::options,
                          "has an option over " + std::to_string(limits::poll_option) + " bytes");
      case label_problem::empty:
        return fail_field(error_code::bad_request, key::options, "has an empty option");
      case label_problem::none:
        break;
    }
    if (std::find(c.options.begin(), c.options.end(), label) != c.options.end())
      return fail_field(error_code::bad_request, key::options, "has the same option twice");
    c.options.emplace_back(label);
  }
  return true;
}

// Table ids, distinct; absent or null: every open table. Whether they exist
// and are open is the server's to check.
bool parser::impl::fill(balance& c) {
  auto const& s = at(key::tables);
  if (s.k == slot::kind::missing || s.k == slot::kind::null) return true;
  auto const& items = list_of(key::tables);
  auto const count = "must be an array of " + std::to_string(limits::balance_tables_min) + " to " +
                     std::to_string(limits::balance_tables_max) + " table ids";
  if (s.k != slot::kind::list || items.size() < limits::balance_tables_min ||
      items.size() > limits::balance_tables_max)
    return fail_field(error_code::bad_request, key::tables, count);
  for (auto const& item : items) {
    if (item.k != slot::kind::string || !is_id(item.str) || item.str == "plenary")
      return fail_field(error_code::bad_request, key::tables, count);
    if (std::find(c.tables.begin(), c.tables.end(), item.str) != c.tables.end())
      return fail_field(error_code::bad_request, key::tables, "names a table twice");
    c.tables.emplace_back(item.str);
  }
  return true;
}

// Option indexes, distinct; whether the poll has that many options and takes
// more than one is the room's to check at apply.
bool parser::impl::fill(poll_vote& c) {
  if (!id_field(key::room, false, c.room) || !id_field(key::poll, true, c.poll)) return false;
  auto const& s = at(key::choices);
  if (s.k == slot::kind::missing || s.k == slot::kind::null) return missing(key::choices);
  auto const& items = list_of(key::choices);
  auto const shape = "must be an array of 1 to " + std::to_string(limits::poll_options_max) +
                     " distinct option indexes from 0 to " +
                     std::to_string(limits::poll_options_max - 1);
  if (s.k != slot::kind::list || items.empty() || items.size() > limits::poll_options_max)
    return fail_field(error_code::bad_request, key::choices, shape);
  for (auto const& item : items) {
    if (item.k != slot::kind::integer || item.num < 0 ||
        item.num >= static_cast<std::int64_t>(limits::poll_options_max) ||
        std::find(c.choices.begin(), c.choices.end(), item.num) != c.choices.end())
      return fail_field(error_code::bad_request, key::choices, shape);
    c.choices.push_back(item.num);
  }
  return true;
}

label_problem check_label(std::string_view& s, std::size_t max) noexcept {
  if (has_control(s, false)) return label_problem::control_characters;
  s = trim(s);
  if (s.size() > max) return label_problem::too_long;
  if (s.empty()) return label_problem::empty;
  return label_problem::none;
}

std::string_view op_name(body const& b) noexcept {
  return op_names[b.index()];
}

}  // namespace roundtable::protocol
