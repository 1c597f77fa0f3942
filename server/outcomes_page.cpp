// The outcomes page, its JSON, and the admin route that sets an outcome.
#include "server/outcomes_page.hpp"

#include "protocol/json_writer.hpp"
#include "protocol/parse.hpp"
#include "server/hash.hpp"
#include "server/node.hpp"

#include <cstdio>
#include <ctime>

namespace roundtable {

using protocol::json_writer;

namespace {

// The page's words; user texts never go here.
struct words {
  char const* lang;
  char const* title;  // "Outcomes: <event title>"
  char const* intro;
  char const* other_lang_href;
  char const* other_lang_code;
  char const* other_lang_name;
  char const* goal;
  char const* questions;
  char const* report;
  char const* no_report;
  char const* insights;
  char const* no_insights;
  char const* votes;
  char const* status;
  char const* note;
  char const* merged_into;
  char const* history;
  char const* by;
  char const* comments;        // under an insight
  char const* table_comments;  // under a table
  char const *open, *taken_up, *noted, *merged, *out_of_scope;
};

constexpr words english{
    "en",
    "Outcomes",
    "What became of the key insights of each table: their status, the explanation, and every "
    "change with its time (UTC).",
    "?lang=fr",
    "fr",
    "Français",
    "Goal",
    "Guiding questions",
    "The moderator's report",
    "No report published yet.",
    "Key insights",
    "No insights.",
    "Votes",
    "Status",
    "Explanation",
    "Merged into",
    "Changes",
    "by",
    "Comments",
    "Comments on this table",
    "Open",
    "Taken up",
    "Noted",
    "Merged",
    "Out of scope"};

constexpr words french{
    "fr",
    "Suites données",
    "Ce que sont devenues les idées clés de chaque table : leur statut, l'explication et chaque "
    "changement avec son heure (UTC).",
    "?lang=en",
    "en",
    "English",
    "Objectif",
    "Questions directrices",
    "Le rapport de l'animateur",
    "Aucun rapport publié pour l'instant.",
    "Idées clés",
    "Aucune idée.",
    "Votes",
    "Statut",
    "Explication",
    "Fusionnée dans",
    "Changements",
    "par",
    "Commentaires",
    "Commentaires sur cette table",
    "Ouverte",
    "Retenue",
    "Notée",
    "Fusionnée",
    "Hors sujet"};

char const* status_label(words const& w, std::string_view status) {
  if (status == "taken_up") return w.taken_up;
  if (status == "noted") return w.noted;
  if (status == "merged") return w.merged;
  if (status == "out_of_scope") return w.out_of_scope;
  return w.open;
}

// "2026-11-30 10:05" (UTC) from ms since the Unix epoch.
std::string utc_time(std::int64_t ms, char const* format) {
  std::time_t const t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, format, &tm);
  return out;
}

void write_history(json_writer& w, room_digest::insight const& i) {
  w.key("history").begin_array();
  for (auto const& h : i.history) {
    w.begin_object().field("status", h.status).field("note", h.note);
    if (!h.into.empty()) w.field("into", h.into);
    w.field("by", h.by).field("ts", h.ts).end_object();
  }
  w.end_array();
}

// The approved comments on `insight` (empty: on the table as a whole) of `table`.
std::vector<comment_view const*> comments_on(std::vector<comment_view> const& all,
                                             std::string const& table, std::string const& insight) {
  std::vector<comment_view const*> out;
  for (auto const& c : all) {
    if (c.approved && c.table == table && c.insight == insight) out.push_back(&c);
  }
  return out;
}

void write_comments(json_writer& w, std::vector<comment_view const*> const& list) {
  w.key("comments").begin_array();
  for (auto const* c : list)
    w.begin_object()
        .field("id", c->id)
        .field("text", c->text)
        .field("by", c->by)
        .field("ts", c->ts)
        .end_object();
  w.end_array();
}

void html_comments(std::string& out, char const* heading,
                   std::vector<comment_view const*> const& list) {
  if (list.empty()) return;
  out += std::string("<h4>") + heading + " (" + std::to_string(list.size()) +
         ")</h4><ul class=\"comments\">";
  for (auto const* c : list) {
    out += "<li class=\"comment\"><p>" + html_escape(c->text) + "</p><p class=\"by\">" +
           html_escape(c->by) + ", <time datetime=\"" + utc_time(c->ts, "%Y-%m-%dT%H:%M:%SZ") +
           "\">" + utc_time(c->ts, "%Y-%m-%d %H:%M") + "</time></p></li>";
  }
  out += "</ul>";
}

std::string const* text_of(room_digest const& t, std::string const& id) {
  for (auto const& i : t.insights) {
    if (i.id == id) return &i.text;
  }
  return nullptr;
}

void html_insight(std::string& out, words const& w, room_digest const& t,
                  room_digest::insight const& i, std::vector<comment_view> const& comments) {
  out += "<li class=\"outcome\" id=\"" + html_escape(t.id + "-" + i.id) + "\"><p class=\"text\">" +
         html_escape(i.text) + "</p><dl><dt>" + w.votes + "</dt><dd>" + std::to_string(i.votes) +
         "</dd><dt>" + w.status + "</dt><dd><strong>" + status_label(w, i.status) +
         "</strong></dd>";
  if (!i.into.empty()) {
    auto const* target = text_of(t, i.into);
    out += std::string("<dt>") + w.merged_into + "</dt><dd>" +
           html_escape(target ? *target : i.into) + "</dd>";
  }
  if (!i.note.empty())
    out +=
        std::string("<dt>") + w.note + "</dt><dd class=\"note\">" + html_escape(i.note) + "</dd>";
  out += "</dl>";
  if (!i.history.empty()) {
    out += std::string("<details><summary>") + w.history + " (" + std::to_string(i.history.size()) +
           ")</summary><ol>";
    for (auto const& h : i.history) {
      out += "<li><time datetime=\"" + utc_time(h.ts, "%Y-%m-%dT%H:%M:%SZ") + "\">" +
             utc_time(h.ts, "%Y-%m-%d %H:%M") + "</time> " + status_label(w, h.status) + " " +
             w.by + " " + html_escape(h.by);
      if (!h.note.empty()) out += ": " + html_escape(h.note);
      out += "</li>";
    }
    out += "</ol></details>";
  }
  html_comments(out, w.comments, comments_on(comments, t.id, i.id));
  out += "</li>";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string outcomes_json(session_digest const& d, std::vector<comment_view> const& comments) {
  json_writer w;
  w.begin_object().field("event", d.event_id).field("title", d.title);
  w.key("tables").begin_array();
  for (auto const& t : d.tables) {
    w.begin_object().field("id", t.id).field("topic", t.topic).field("goal", t.goal);
    w.key("questions").begin_array();
    for (auto const& q : t.questions) w.value(q);
    w.end_array().key("report");
    if (t.summary.empty()) {
      w.null();
    } else {
      w.value(t.summary);
    }
    w.key("insights").begin_array();
    for (auto const& i : t.insights) {
      w.begin_object()
          .field("id", i.id)
          .field("text", i.text)
          .field("votes", static_cast<std::uint64_t>(i.votes))
          .field("status", i.status)
          .field("note", i.note);
      if (!i.into.empty()) w.field("into", i.into);
      write_history(w, i);
      write_comments(w, comments_on(comments, t.id, i.id));
      w.end_object();
    }
    w.end_array();
    write_comments(w, comments_on(comments, t.id, {}));
    w.end_object();
  }
  w.end_array().end_object();
  return w.release();
}

std::string outcomes_html(session_digest const& d, std::vector<comment_view> const& comments,
                          std::string_view lang) {
  auto const& w = lang == "fr" ? french : english;
  std::string out =
      std::string("<!doctype html>\n<html lang=\"") + w.lang +
      "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>" +
      w.title + " – " + html_escape(d.title) +
      "</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link "
      "rel=\"stylesheet\" href=\"/style.css\"></head><body "
      "class=\"outcomes-page\"><header class=\"top\"><div class=\"brand\"><h1>" +
      w.title + " – " + html_escape(d.title) + "</h1></div><nav><a class=\"lang-link\" href=\"" +
      w.other_lang_href + "\" hreflang=\"" + w.other_lang_code + "\" lang=\"" + w.other_lang_code +
      "\">" + w.other_lang_name + "</a></nav></header><main>" + "<p>" + w.intro + "</p>";
  for (auto const& t : d.tables) {
    out += "<section class=\"panel\" aria-labelledby=\"t-" + html_escape(t.id) + "\"><h2 id=\"t-" +
           html_escape(t.id) + "\">" + html_escape(t.topic) + "</h2>";
    if (!t.goal.empty())
      out += std::string("<p><strong>") + w.goal + ":</strong> " + html_escape(t.goal) + "</p>";
    if (!t.questions.empty()) {
      out += std::string("<h3>") + w.questions + "</h3><ul class=\"questions\">";
      for (auto const& q : t.questions) out += "<li>" + html_escape(q) + "</li>";
      out += "</ul>";
    }
    out += std::string("<h3>") + w.report + "</h3>";
    out += t.summary.empty() ? std::string("<p>") + w.no_report + "</p>"
                             : "<p class=\"report\">" + html_escape(t.summary) + "</p>";
    out += std::string("<h3>") + w.insights + "</h3>";
    if (t.insights.empty()) {
      out += std::string("<p>") + w.no_insights + "</p>";
    } else {
      out += "<ol class=\"outcomes\">";
      for (auto const& i : t.insights) html_insight(out, w, t, i, comments);
      out += "</ol>";
    }
    html_comments(out, w.table_comments, comments_on(comments, t.id, {}));
    out += "</section>";
  }
  out += "</main></body></html>\n";
  return out;
}

namespace {

http_response outcomes_response(std::string body, bool html, std::string const& if_none) {
  http_response r;
  r.body = std::move(body);
  r.content_type = html ? "text/html; charset=utf-8" : "application/json";
  // Everyone may cache it, and revalidates at once: a status set a moment ago
  // must show on the next load.
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%016llx\"",
                static_cast<unsigned long long>(stable_hash(r.body)));
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "public, no-cache");
  if (if_none == etag) {
    r.status = 304;
    r.body.clear();
  }
  return r;
}

}  // namespace

void serve_outcomes(node& n, std::uint32_t worker, http_request req, http_done done) {
  auto const path = req.target.substr(0, req.target.find('?'));
  bool const html = path == "/outcomes";
  std::string lang = "en";
  for (std::string_view q = std::string_view(req.target).substr(path.size()); !q.empty();) {
    q.remove_prefix(1);  // '?' or '&'
    auto const param = q.substr(0, q.find('&'));
    if (param == "lang=fr") lang = "fr";
    q.remove_prefix(param.size());
  }
  collect_digest(n, worker, false,
                 [&n, worker, html, lang, if_none = req.header("if-none-match"),
                  done = std::move(done)](session_digest d) mutable {
                   collect_comments(n, worker,
                                    [html, lang, if_none = std::move(if_none), d = std::move(d),
                                     done = std::move(done)](std::vector<comment_view> comments) {
                                      done(outcomes_response(html ? outcomes_html(d, comments, lang)
                                                                  : outcomes_json(d, comments),
                                                             html, if_none));
                                    });
                 });
}

void post_outcome(node& n, std::uint32_t worker, http_request req, http_done done) {
  protocol::command cmd;
  error err;
  protocol::parser parser;
  if (!parser.parse_fields("outcome", req.body, cmd, err))
    return done(json_error(http_status(err.code), err.code, err.message));
  auto& op = std::get<protocol::outcome>(cmd.op);
  if (op.table.empty())
    return done(json_error(400, error_code::bad_request, "outcome: missing field 'table'"));
  auto* slot = n.find_room(op.table);
  if (!slot || op.table == room::plenary_id)
    return done(json_error(404, error_code::not_found, "no table '" + op.table + "'"));
  auto reply = [&n, worker, done = std::move(done)](outcome o) {
    n.on_worker(worker, [done, o = std::move(o)] {
      if (o) return done(json_error(http_status(o->code), o->code, o->message));
      done(json_response(200, "{\"ok\":true}"));
    });
  };
  n.on_home(*slot, [c = cmd::outcome{std::move(op.insight), std::move(op.status),
                                     std::move(op.note), std::move(op.into)},
                    reply = std::move(reply)](room& r) mutable {
    // The admin API speaks as the organisers, with the chair's rights.
    r.after(r.set_outcome(participant{"admin", "Organisers", role::chair, {}}, std::move(c),
                          node::now_ms()),
            std::move(reply));
  });
}

}  // namespace roundtable
