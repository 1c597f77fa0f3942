// The session report: each room's digest collected on its home thread, then
// written as JSON, Markdown and the archive.
#include "server/report.hpp"

#include "protocol/json_writer.hpp"
#include "server/node.hpp"

#include <algorithm>

#include <simdjson.h>

namespace roundtable {

using protocol::json_writer;

namespace {

// `events`: with the room's window of events, when the engine keeps no
// archive (which has them all).
room_digest digest_of(room const& r, bool events) {
  room_digest d;
  d.epoch = r.epoch();
  if (events) {
    for (auto const& e : r.history()) {
      if (!e.deleted) d.events.push_back(*e.json);
    }
  }
  d.id = r.id();
  d.topic = r.config().topic;
  d.moderator = r.config().moderator;
  d.open = r.config().open;
  d.summary = r.published_summary();
  d.draft = r.draft_summary();
  for (auto const* i : r.ranked_insights()) {
    auto& out = d.insights.emplace_back(room_digest::insight{
        i->id, i->text, i->by.name, i->voters.size(), i->status, i->note, i->into, {}});
    for (auto const& h : i->history) {
      bool const gone = h.by.name.empty() || r.erased(h.by.id);
      out.history.push_back({h.status, h.note, h.into, gone ? "erased" : h.by.name, h.ts});
    }
  }
  for (auto const& p : r.polls()) {
    d.polls.push_back(
        {p.id, p.question, p.options, p.counts(), p.multiple, p.open, p.ballots.size()});
  }
  for (auto const& [id, p] : r.profiles()) {
    if (!p.stakeholder.empty()) ++d.mix[p.stakeholder];
  }
  for (auto const& [id, h] : r.roles()) d.roles.emplace_back(h.role, h.name);
  std::sort(d.roles.begin(), d.roles.end());
  d.picture = r.picture();
  d.participants = r.participants_total();
  d.speakers = r.speakers_total();
  d.messages = r.messages_total();
  d.hidden = r.hidden_count();
  d.deleted_messages = r.messages_deleted();
  for (auto const& b : r.reports()) d.reports.push_back(*b);
  for (auto const& b : r.broadcasts()) d.broadcasts.push_back(*b);
  d.phase = r.phase_name();
  return d;
}

// Visits rooms[i..] one after another on their homes, then hands over.
void visit(node& n, std::uint32_t w, bool events, std::vector<room_slot*> rooms, std::size_t i,
           std::shared_ptr<session_digest> acc, std::function<void(session_digest)> then) {
  if (i == rooms.size()) {
    n.on_worker(w, [&n, events, acc, then = std::move(then)] {
      if (events && n.rooms_engine().stores_archive()) {
        // The archive holds the whole session, beyond the windows in memory.
        auto fill = [&](room_digest& d) { d.events = n.rooms_engine().archive(d.id, d.epoch); };
        fill(acc->plenary);
        for (auto& t : acc->tables) fill(t);
      }
      then(std::move(*acc));
    });
    return;
  }
  auto* s = rooms[i];
  n.on_current(*s, [&n, w, events, rooms = std::move(rooms), i, acc,
                    then = std::move(then)](room& r) mutable {
    if (r.is_plenary()) {
      acc->plenary = digest_of(r, events && !n.rooms_engine().stores_archive());
      acc->phase = r.phase_name();
    } else {
      auto& d =
          acc->tables.emplace_back(digest_of(r, events && !n.rooms_engine().stores_archive()));
      auto const& g = n.event().guide(d.id);
      d.goal = g.goal;
      d.questions = g.questions;
    }
    visit(n, w, events, std::move(rooms), i + 1, std::move(acc), std::move(then));
  });
}

std::string_view field_of(simdjson::dom::element e, char const* key) {
  std::string_view v;
  if (e[key].get(v)) return {};
  return v;
}

}  // namespace

void collect_digest(node& n, std::uint32_t w, bool events,
                    std::function<void(session_digest)> then) {
  auto acc = std::make_shared<session_digest>();
  acc->event_id = n.event().id;
  acc->title = n.event().title;
  std::vector<room_slot*> rooms{&n.plenary()};
  for (auto* t : n.tables()) rooms.push_back(t);
  visit(n, w, events, std::move(rooms), 0, std::move(acc), std::move(then));
}

namespace {

// A room's polls with their counts (the report shows them whether or not a
// poll showed its results live: the organisers read it after the session).
void write_polls(json_writer& w, room_digest const& t) {
  w.key("polls").begin_array();
  for (auto const& p : t.polls) {
    w.begin_object().field("id", p.id).field("question", p.question).key("options").begin_array();
    for (auto const& o : p.options) w.value(o);
    w.end_array().key("counts").begin_array();
    for (auto const n : p.counts) w.value(n);
    w.end_array()
        .field("multiple", p.multiple)
        .field("open", p.open)
        .field("voters", static_cast<std::uint64_t>(p.voters))
        .end_object();
  }
  w.end_array();
}

void markdown_polls(std::string& md, room_digest const& t, std::string const& heading) {
  if (t.polls.empty()) return;
  md += "\n" + heading + " Polls\n\n";
  for (auto const& p : t.polls) {
    md += "- " + p.question + " (" + std::to_string(p.voters) + " voters" +
          (p.open ? ", still open" : "") + (p.multiple ? ", multiple choice" : "") + ")\n";
    for (std::size_t i = 0; i < p.options.size(); ++i)
      md += "  - " + p.options[i] + ": " + std::to_string(p.counts[i]) + "\n";
  }
}

// Hops, how long people sat, and the per-minute samples of one table.
void write_picture(json_writer& w, room_digest const& t, std::uint64_t out) {
  auto const& p = t.picture;
  auto const s = p.stays();
  w.field("hops_in", p.hops_in())
      .field("hops_out", out)
      .key("stays")
      .begin_object()
      .field("count", s.count)
      .field("seated_now", static_cast<std::uint64_t>(p.seated()))
      .field("person_minutes", s.person_minutes())
      .field("mean_minutes", s.mean_minutes())
      .field("median_minutes", s.median_minutes)
      .end_object();
  w.key("per_minute").begin_array();
  for (auto const& m : p.samples()) {
    w.begin_object()
        .field("minute", m.minute * table_picture::minute_ms)
        .field("peak", static_cast<std::uint64_t>(m.peak))
        .field("seated", static_cast<std::uint64_t>(m.seated))
        .field("contributions", static_cast<std::uint64_t>(m.contributions))
        .end_object();
  }
  w.end_array().field("per_minute_dropped", p.dropped_minutes());
}

// A table in the report and the archive: the archive adds the epoch, the
// draft and the events.
void write_table(json_writer& w, room_digest const& t, bool archive, std::uint64_t out) {
  w.begin_object()
      .field("id", t.id)
      .field("topic", t.topic)
      .field("moderator", t.moderator)
      .field("open", t.open);
  if (archive) w.field("epoch", t.epoch);
  auto nullable = [&](char const* key, std::string const& v) {
    w.key(key);
    if (v.empty()) {
      w.null();
    } else {
      w.value(v);
    }
  };
  w.field("goal", t.goal).key("questions").begin_array();
  for (auto const& q : t.questions) w.value(q);
  w.end_array();
  nullable("summary", t.summary);
  if (archive) nullable("draft", t.draft);
  w.key("insights").begin_array();
  for (auto const& i : t.insights) {
    w.begin_object()
        .field("id", i.id)
        .field("text", i.text)
        .field("by", i.by)
        .field("votes", static_cast<std::uint64_t>(i.votes))
        .field("status", i.status)
        .field("note", i.note)
        .end_object();
  }
  w.end_array()
      .field("participants", static_cast<std::uint64_t>(t.participants))
      .field("spoke", static_cast<std::uint64_t>(t.speakers))
      .field("messages", static_cast<std::uint64_t>(t.messages))
      .field("deleted_messages", static_cast<std::uint64_t>(t.deleted_messages))
      .field("hidden", static_cast<std::uint64_t>(t.hidden));
  write_polls(w, t);
  w.key("mix").begin_object();
  for (auto const& [group, n] : t.mix) w.field(group, static_cast<std::uint64_t>(n));
  w.end_object().key("roles").begin_array();
  for (auto const& [role, name] : t.roles)
    w.begin_object().field("role", role).field("name", name).end_object();
  w.end_array();
  write_picture(w, t, out);
  if (archive) {
    w.key("events").begin_array();
    for (auto const& e : t.events) w.raw(e);
    w.end_array();
  }
  w.end_object();
}

// The hop matrix as [{from, to, count}]: every arrival at a table by origin.
void write_hops(json_writer& w, session_digest const& d) {
  w.key("hops").begin_array();
  for (auto const& t : d.tables) {
    for (auto const& [from, n] : t.picture.arrivals())
      w.begin_object().field("from", from).field("to", t.id).field("count", n).end_object();
  }
  w.end_array();
}

}  // namespace

std::map<std::string, std::uint64_t> hops_out(session_digest const& d) {
  std::map<std::string, std::uint64_t> out;
  for (auto const& t : d.tables) {
    for (auto const& [from, n] : t.picture.arrivals()) {
      if (table_picture::is_table(from)) out[from] += n;
    }
  }
  return out;
}

std::string report_json(session_digest const& d) {
  json_writer w;
  w.begin_object()
      .key("event")
      .begin_object()
      .field("id", d.event_id)
      .field("title", d.title)
      .field("phase", d.phase)
      .end_object();
  auto const out = hops_out(d);
  w.key("tables").begin_array();
  for (auto const& t : d.tables) write_table(w, t, false, out.count(t.id) ? out.at(t.id) : 0);
  w.end_array();
  write_hops(w, d);
  w.key("plenary").begin_object().key("reports").begin_array();
  for (auto const& r : d.plenary.reports) w.raw(r);
  w.end_array().key("broadcasts").begin_array();
  for (auto const& b : d.plenary.broadcasts) w.raw(b);
  w.end_array();
  write_polls(w, d.plenary);
  w.end_object().end_object();
  return w.release();
}

std::string report_markdown(session_digest const& d) {
  std::string md = "# " + d.title + "\n\nPhase: " + d.phase + "\n";
  auto const out = hops_out(d);
  for (auto const& t : d.tables) {
    md += "\n## " + t.topic + "\n\n";
    md += "- Table: `" + t.id + "`\n";
    md += "- Moderator: " + (t.moderator.empty() ? std::string("(none)") : t.moderator) + "\n";
    if (!t.goal.empty()) md += "- Goal: " + t.goal + "\n";
    md += "- Participants: " + std::to_string(t.participants) + " (" + std::to_string(t.speakers) +
          " spoke)\n";
    md += "- Messages: " + std::to_string(t.messages) + " (" + std::to_string(t.deleted_messages) +
          " deleted)\n";
    md += "- Hidden by the moderator: " + std::to_string(t.hidden) + "\n";
    auto const s = t.picture.stays();
    md += "- Sat here: " + std::to_string(s.count) + " stays, " +
          std::to_string(s.person_minutes()) + " person-minutes (median " +
          std::to_string(s.median_minutes) + " min); " + std::to_string(t.picture.seated()) +
          " seated now\n";
    md += "- Hops: " + std::to_string(t.picture.hops_in()) + " in from other tables, " +
          std::to_string(out.count(t.id) ? out.at(t.id) : 0) + " out to other tables\n";
    if (!t.mix.empty()) {
      std::string groups;
      for (auto const& [group, n] : t.mix)
        groups += (groups.empty() ? "" : ", ") + group + " " + std::to_string(n);
      md += "- Stakeholders: " + groups + "\n";
    }
    for (auto const& [role, name] : t.roles) md += "- Role " + role + ": " + name + "\n";
    if (!t.questions.empty()) {
      md += "\n### Guiding questions\n\n";
      for (auto const& q : t.questions) md += "- " + q + "\n";
    }
    md += "\n### Summary\n\n" + (t.summary.empty() ? std::string("(not published)") : t.summary) +
          "\n";
    md += "\n### Key insights\n\n";
    if (t.insights.empty()) md += "(none)\n";
    int rank = 1;
    for (auto const& i : t.insights) {
      md += std::to_string(rank++) + ". " + i.text + " (" + std::to_string(i.votes) +
            (i.votes == 1 ? " vote" : " votes") + ", by " + i.by + "; " + i.status +
            (i.note.empty() ? std::string() : ": " + i.note) + ")\n";
    }
    markdown_polls(md, t, "###");
  }
  md += "\n## Plenary\n\n### Reports\n\n";
  simdjson::dom::parser parser;
  if (d.plenary.reports.empty()) md += "(none)\n";
  for (auto const& r : d.plenary.reports) {
    simdjson::dom::element e;
    if (parser.parse(r).get(e)) continue;
    md += "#### " + std::string(field_of(e, "topic")) + " (" +
          std::string(field_of(e, "moderator")) + ")\n\n" + std::string(field_of(e, "text")) +
          "\n\n";
  }
  md += "\n### Broadcasts\n\n";
  if (d.plenary.broadcasts.empty()) md += "(none)\n";
  for (auto const& b : d.plenary.broadcasts) {
    simdjson::dom::element e;
    if (parser.parse(b).get(e)) continue;
    md += "- " + std::string(field_of(e, "text")) + "\n";
  }
  markdown_polls(md, d.plenary, "###");
  md += "\n## Hops between tables\n\n";
  bool any = false;
  for (auto const& t : d.tables) {
    for (auto const& [from, n] : t.picture.arrivals()) {
      md += "- " + from + " to " + t.id + ": " + std::to_string(n) + "\n";
      any = true;
    }
  }
  if (!any) md += "(none)\n";
  return md;
}

std::string archive_json(session_digest const& d) {
  json_writer w;
  w.begin_object()
      .key("event")
      .begin_object()
      .field("id", d.event_id)
      .field("title", d.title)
      .field("phase", d.phase)
      .end_object();
  w.key("plenary").begin_object().field("epoch", d.plenary.epoch).key("reports").begin_array();
  for (auto const& r : d.plenary.reports) w.raw(r);
  w.end_array().key("broadcasts").begin_array();
  for (auto const& b : d.plenary.broadcasts) w.raw(b);
  w.end_array().key("events").begin_array();
  for (auto const& e : d.plenary.events) w.raw(e);
  w.end_array().end_object();
  auto const out = hops_out(d);
  w.key("tables").begin_array();
  for (auto const& t : d.tables) write_table(w, t, true, out.count(t.id) ? out.at(t.id) : 0);
  w.end_array();
  write_hops(w, d);
  w.end_object();
  return w.release();
}

}  // namespace roundtable
