// The event config: loading it from its JSON file, the demo event, and a
// table's JSON form.
#include "server/config.hpp"

#include "protocol/json_writer.hpp"

#include <simdjson.h>

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

namespace {

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
  if (!doc["phase"].get(s)) e.phase = s;
  if (!doc["rules"].get(s)) {
    if (s.size() > max_rules_bytes)
      fail("'rules' is over " + std::to_string(max_rules_bytes) + " bytes");
    e.rules = s;
  }
  simdjson::dom::array tables;
  if (doc["tables"].get(tables)) fail("'tables' must be an array");
  for (auto t : tables) {
    table_config c;
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
