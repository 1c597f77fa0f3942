// The event config: loading it from its JSON file, the demo event, and a
// table's JSON form.
#include "server/config.hpp"

#include "protocol/json_writer.hpp"
#include "protocol/parse.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace roundtable {

std::string table_json(table_config const& t, std::string_view extra) {
  protocol::json_writer w;
  w.begin_object()
      .field("table", t.id)
      .field("topic", t.topic)
      .field("moderator", t.moderator)
      .field("capacity", t.capacity)
      .field("open", t.open);
  w.end_object();
  auto s = w.release();
  s.pop_back();  // reopen the object for `extra`
  s += extra;
  s += '}';
  return s;
}

std::optional<table_config> table_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return std::nullopt;
  table_config t;
  std::string_view s;
  if (e["table"].get(s) || s.empty()) return std::nullopt;
  t.id = s;
  if (!e["topic"].get(s)) t.topic = s;
  if (!e["moderator"].get(s)) t.moderator = s;
  std::int64_t cap = 0;
  if (!e["capacity"].get(cap)) t.capacity = cap;
  bool open = true;
  if (!e["open"].get(open)) t.open = open;
  return t;
}

event_config demo_event() {
  event_config e;
  e.rules = "Be respectful. Stay on the table's topic: the moderator hides off-topic comments.";
  e.agenda = {
      {"keynote", {{"en", "Keynote"}, {"fr", "Discours d\u2019ouverture"}}},
      {"presentations", {{"en", "Presentations"}, {"fr", "Présentations"}}},
      {"roundtables", {{"en", "Roundtables"}, {"fr", "Tables rondes"}}},
      {"reports", {{"en", "Reports"}, {"fr", "Rapports"}}},
      {"networking", {{"en", "Networking"}, {"fr", "Réseautage"}}},
  };
  // The seed session's: who sat at its tables.
  e.stakeholders = {"policy-maker", "administrator", "researcher", "professional", "citizen"};
  e.tables = {
      {"synergies", "Synergies and sustainability", "Moderator of Synergies", 0, true},
      {"big-data", "Big data for open governance", "Moderator of Big data", 0, true},
      {"inclusiveness", "Inclusiveness", "Moderator of Inclusiveness", 0, true},
  };
  return e;
}

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 64 || s == room::plenary_id) return false;
  for (char c : s) {
    bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool on_agenda(event_config const& e, std::string_view phase) {
  return e.agenda.empty() || std::any_of(e.agenda.begin(), e.agenda.end(),
                                         [&](agenda_item const& a) { return a.id == phase; });
}

void write_agenda(protocol::json_writer& w, std::vector<agenda_item> const& agenda) {
  w.begin_array();
  for (auto const& a : agenda) {
    w.begin_object().field("id", a.id).key("label").begin_object();
    for (auto const& [language, text] : a.label) w.field(language, text);
    w.end_object().end_object();
  }
  w.end_array();
}

namespace {

// A language tag as pages name theirs: "en", "fr", "pt-BR".
bool language_tag(std::string_view s) {
  return !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// A label is shown as a phase name: 1 to 200 bytes without control characters.
bool label_text(std::string_view s) {
  return !s.empty() && s.size() <= 200 && std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

std::vector<agenda_item> agenda_in(simdjson::dom::element doc,
                                   std::function<void(std::string const&)> const& fail) {
  std::vector<agenda_item> out;
  simdjson::dom::array items;
  if (doc["agenda"].get(items)) {
    if (doc["agenda"].error() != simdjson::NO_SUCH_FIELD) fail("'agenda' must be an array");
    return out;
  }
  for (auto item : items) {
    agenda_item a;
    std::string_view s;
    if (item["id"].get(s) || !valid_id(s))
      fail("each agenda step needs an id of [A-Za-z0-9_.:-], 1 to 64");
    a.id = s;
    simdjson::dom::object labels;
    if (item["label"].get(labels)) fail("agenda step " + a.id + " needs a label object");
    for (auto [language, text] : labels) {
      std::string_view t;
      if (!language_tag(language) || text.get(t) || !label_text(t))
        fail("agenda step " + a.id + ": each label is \"language\": \"1 to 200 bytes of text\"");
      a.label.emplace_back(std::string(language), std::string(t));
    }
    if (a.label.empty()) fail("agenda step " + a.id + " needs at least one label");
    for (auto const& other : out) {
      if (other.id == a.id) fail("agenda step " + a.id + " appears twice");
    }
    out.push_back(std::move(a));
  }
  if (out.size() > max_agenda)
    fail("the agenda has more than " + std::to_string(max_agenda) + " steps");
  return out;
}

// `stakeholders` or `roles`: distinct one-line names, at most
// max_people_labels; a missing field keeps `fallback`.
template <class Fail>
std::vector<std::string> labels_in(simdjson::dom::element doc, char const* key,
                                   std::vector<std::string> fallback, Fail const& fail) {
  if (doc[key].error() == simdjson::NO_SUCH_FIELD) return fallback;
  std::string const field = std::string("'") + key + "'";
  simdjson::dom::array items;
  if (doc[key].get(items)) fail(field + " must be an array of names");
  std::vector<std::string> out;
  for (auto item : items) {
    std::string_view s, trimmed;
    if (item.get(s)) fail(field + " must be an array of names");
    trimmed = s;
    if (protocol::check_label(trimmed, protocol::limits::name) != protocol::label_problem::none ||
        trimmed != s)
      fail(field + ": each name is 1 to 64 bytes on one line, without surrounding spaces");
    if (std::find(out.begin(), out.end(), s) != out.end())
      fail(field + ": '" + std::string(s) + "' appears twice");
    out.emplace_back(s);
  }
  if (out.size() > max_people_labels)
    fail(field + " has more than " + std::to_string(max_people_labels) + " names");
  return out;
}

// A table's `goal` and `questions`, checked against their bounds.
template <class Fail>
table_guide guide_of(simdjson::dom::element t, std::string const& id, Fail const& fail) {
  table_guide g;
  std::string_view s;
  if (t["goal"].error() != simdjson::NO_SUCH_FIELD) {
    if (t["goal"].get(s)) fail("table " + id + ": 'goal' must be a string");
    if (s.size() > table_guide::max_goal)
      fail("table " + id + ": 'goal' is over " + std::to_string(table_guide::max_goal) + " bytes");
    g.goal = s;
  }
  if (t["questions"].error() == simdjson::NO_SUCH_FIELD) return g;
  simdjson::dom::array questions;
  if (t["questions"].get(questions)) fail("table " + id + ": 'questions' must be an array");
  for (auto q : questions) {
    if (q.get(s) || s.empty()) fail("table " + id + ": each question must be a string, not empty");
    if (s.size() > table_guide::max_question) {
      fail("table " + id + ": a question is over " + std::to_string(table_guide::max_question) +
           " bytes");
    }
    g.questions.emplace_back(s);
  }
  if (g.questions.size() > table_guide::max_questions) {
    fail("table " + id + ": at most " + std::to_string(table_guide::max_questions) + " questions");
  }
  return g;
}

}  // namespace

event_config load_event(std::string const& path) {
  auto fail = [&](std::string const& what) {
    throw std::runtime_error("event config " + path + ": " + what);
  };
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) fail("cannot read the file");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) fail("not valid JSON");
  event_config e;
  std::string_view s;
  if (!doc["id"].get(s)) e.id = s;
  if (!doc["title"].get(s)) e.title = s;
  if (!doc["rules"].get(s)) {
    if (s.size() > max_rules_bytes)
      fail("'rules' is over " + std::to_string(max_rules_bytes) + " bytes");
    e.rules = s;
  }
  e.agenda = agenda_in(doc, fail);
  if (doc["anonymous"].error() != simdjson::NO_SUCH_FIELD && doc["anonymous"].get(e.anonymous))
    fail("'anonymous' must be true or false");
  e.stakeholders = labels_in(doc, "stakeholders", {}, fail);
  e.roles = labels_in(doc, "roles", e.roles, fail);
  if (!doc["phase"].get(s)) {
    e.phase = s;
    if (!on_agenda(e, e.phase)) fail("'phase' " + e.phase + " is not an agenda step");
  } else if (!e.agenda.empty()) {
    e.phase = e.agenda.front().id;  // the event starts at its first step
  }
  simdjson::dom::array tables;
  if (doc["tables"].get(tables)) fail("'tables' must be an array");
  for (auto t : tables) {
    table_config c;
    // The plenary and the networking rounds' rooms own these ids; a table
    // named so would share their room (the runtime create_table refuses them too).
    if (!t["id"].get(s) && (s == room::plenary_id || room::is_group_room(s)))
      fail("table id " + std::string(s) + " is reserved (plenary, group-...)");
    if (t["id"].get(s) || !valid_id(s)) fail("each table needs an id of [A-Za-z0-9_.:-], 1 to 64");
    c.id = s;
    if (t["topic"].get(s)) fail("table " + c.id + " needs a topic");
    c.topic = s;
    if (!t["moderator"].get(s)) c.moderator = s;
    std::int64_t cap = 0;
    if (!t["capacity"].get(cap)) {
      if (cap < 0) fail("table " + c.id + ": capacity must be 0 or more");
      c.capacity = cap;
    }
    bool open = true;
    if (!t["open"].get(open)) c.open = open;
    bool premoderate = false;
    if (!t["premoderate"].get(premoderate)) c.premoderate = premoderate;
    if (!t["help"].get(s)) {
      if (s != "participants" && s != "moderators")
        fail("table " + c.id + ": help must be \"participants\" or \"moderators\"");
      c.help_participants = s == "participants";
    }
    c.anonymous = e.anonymous;
    bool anonymous = false;
    if (!t["anonymous"].get(anonymous)) c.anonymous = anonymous;
    if (auto g = guide_of(t, c.id, fail); !g.goal.empty() || !g.questions.empty())
      e.guides[c.id] = std::move(g);
    for (auto const& other : e.tables) {
      if (other.id == c.id) fail("table id " + c.id + " appears twice");
    }
    e.tables.push_back(std::move(c));
  }
  return e;
}

}  // namespace roundtable
