// The report page (report_page.hpp): HTML and inline SVG written from the
// session digest. Every user text (titles, topics, names, table ids) goes
// through html_escape; SVG ids are made from positions, never from user text.
#include "server/report_page.hpp"

#include "server/outcomes_page.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace roundtable {

namespace {

std::string num(std::uint64_t n) {
  return std::to_string(n);
}

// "14:05" (UTC) for a minute given in ms since the Unix epoch.
std::string clock_of(std::int64_t ms) {
  auto const day_minute = (ms / table_picture::minute_ms) % (24 * 60);
  auto two = [](std::int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  return two(day_minute / 60) + ":" + two(day_minute % 60);
}

void term(std::string& out, char const* label, std::string const& value) {
  out += std::string("<dt>") + label + "</dt><dd>" + value + "</dd>";
}

// The table's figures as the report gives them.
void figures(std::string& out, room_digest const& t, std::uint64_t hops_out_n) {
  auto const s = t.picture.stays();
  out += "<dl>";
  term(out, "Moderator", t.moderator.empty() ? "(none)" : html_escape(t.moderator));
  term(out, "Participants", num(t.participants) + " (" + num(t.speakers) + " spoke)");
  term(out, "Messages", num(t.messages) + " (" + num(t.deleted_messages) + " deleted)");
  term(out, "Insights", num(t.insights.size()));
  term(out, "Stays",
       num(s.count) + ", " + std::to_string(s.person_minutes()) + " person-minutes, median " +
           std::to_string(s.median_minutes) + " min");
  term(out, "Seated now", num(t.picture.seated()));
  term(out, "Hops in (from other tables)", num(t.picture.hops_in()));
  term(out, "Hops out (to other tables)", num(hops_out_n));
  out += "</dl>";
}

// Bars for the most seated each minute (hatched), a dashed line for the
// contributions, labelled axes and a legend: nothing rests on colour.
void occupancy_svg(std::string& out, table_picture const& p, std::size_t index) {
  auto const& s = p.samples();
  std::uint32_t top = 1;
  for (auto const& m : s) top = std::max({top, m.peak, m.contributions});
  constexpr int left = 40, plot_h = 120, bar = 4, bottom = 40;
  int const width = left + std::max<int>(240, static_cast<int>(s.size()) * bar) + 10;
  int const height = plot_h + bottom + 10;
  auto const id = "occ-" + std::to_string(index);
  auto y_of = [&](std::uint32_t v) { return 10 + plot_h - static_cast<int>(v) * plot_h / top; };
  out += "<svg class=\"chart\" role=\"img\" aria-labelledby=\"" + id + "-t\" width=\"" +
         std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
         std::to_string(width) + " " + std::to_string(height) + "\"><title id=\"" + id +
         "-t\">Occupancy (hatched bars: most seated) and contributions (dashed line) per minute; "
         "the table beside gives every figure</title><defs><pattern id=\"" +
         id +
         "-hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\"><path d=\"M0,4 "
         "L4,0\" stroke=\"#222\" stroke-width=\"1\"/></pattern></defs>";
  // Axes and their labels.
  out += "<line x1=\"" + std::to_string(left) + "\" y1=\"10\" x2=\"" + std::to_string(left) +
         "\" y2=\"" + std::to_string(10 + plot_h) + "\" stroke=\"#222\"/><line x1=\"" +
         std::to_string(left) + "\" y1=\"" + std::to_string(10 + plot_h) + "\" x2=\"" +
         std::to_string(width - 10) + "\" y2=\"" + std::to_string(10 + plot_h) +
         "\" stroke=\"#222\"/><text x=\"" + std::to_string(left - 4) +
         "\" y=\"14\" text-anchor=\"end\" font-size=\"11\">" + num(top) + "</text><text x=\"" +
         std::to_string(left - 4) + "\" y=\"" + std::to_string(10 + plot_h) +
         "\" text-anchor=\"end\" font-size=\"11\">0</text>";
  if (!s.empty()) {
    out += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(plot_h + 24) +
           "\" font-size=\"11\">" + clock_of(s.front().minute * table_picture::minute_ms) +
           "</text><text x=\"" + std::to_string(left + static_cast<int>(s.size()) * bar) +
           "\" y=\"" + std::to_string(plot_h + 24) + "\" text-anchor=\"end\" font-size=\"11\">" +
           clock_of(s.back().minute * table_picture::minute_ms) + " UTC</text>";
  }
  std::string line;
  for (std::size_t i = 0; i < s.size(); ++i) {
    int const x = left + static_cast<int>(i) * bar;
    int const y = y_of(s[i].peak);
    if (s[i].peak > 0) {
      out += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
             std::to_string(bar) + "\" height=\"" + std::to_string(10 + plot_h - y) +
             "\" fill=\"url(#" + id + "-hatch)\" stroke=\"#222\" stroke-width=\"0.5\"/>";
    }
    line += std::to_string(x + bar / 2) + "," + std::to_string(y_of(s[i].contributions)) + " ";
  }
  if (!line.empty()) {
    out += "<polyline points=\"" + line +
           "\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>";
  }
  // The legend.
  int const ly = plot_h + 38;
  out += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(ly - 9) +
         "\" width=\"12\" height=\"10\" fill=\"url(#" + id +
         "-hatch)\" stroke=\"#222\"/><text x=\"" + std::to_string(left + 16) + "\" y=\"" +
         std::to_string(ly) + "\" font-size=\"11\">most seated</text><line x1=\"" +
         std::to_string(left + 100) + "\" y1=\"" + std::to_string(ly - 4) + "\" x2=\"" +
         std::to_string(left + 124) + "\" y2=\"" + std::to_string(ly - 4) +
         "\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/><text x=\"" +
         std::to_string(left + 128) + "\" y=\"" + std::to_string(ly) +
         "\" font-size=\"11\">contributions</text></svg>";
}

void occupancy_table(std::string& out, room_digest const& t) {
  // Scrolls within its box (up to 720 rows): focusable, so a keyboard reaches it.
  out += "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Per minute at " +
         html_escape(t.topic) + "\">";
  out += "<table class=\"figures\"><caption>Per minute at " + html_escape(t.topic) +
         " (UTC)</caption><thead><tr><th scope=\"col\">Minute</th><th scope=\"col\">Most "
         "seated</th><th scope=\"col\">Seated at its end</th><th "
         "scope=\"col\">Contributions</th></tr></thead><tbody>";
  for (auto const& m : t.picture.samples()) {
    out += "<tr><th scope=\"row\">" + clock_of(m.minute * table_picture::minute_ms) + "</th><td>" +
           num(m.peak) + "</td><td>" + num(m.seated) + "</td><td>" + num(m.contributions) +
           "</td></tr>";
  }
  out += "</tbody></table></div>";
  if (t.picture.dropped_minutes() > 0) {
    out += "<p>" + num(t.picture.dropped_minutes()) +
           " earlier minutes are no longer kept (the picture keeps the latest " +
           num(table_picture::max_minutes) + ").</p>";
  }
}

// Origins (rows): the lobby, the plenary, then every table; destinations
// (columns): the tables.
struct hop_matrix {
  std::vector<std::string> from, to;
  std::vector<std::vector<std::uint64_t>> counts;  // [from][to]
  std::uint64_t top = 0;
};

hop_matrix matrix_of(session_digest const& d) {
  hop_matrix m;
  m.from = {std::string(table_picture::from_lobby), std::string(table_picture::from_plenary)};
  for (auto const& t : d.tables) m.to.push_back(t.id);
  // Origins no longer in the event (a table gone since) still count.
  std::set<std::string> known(m.from.begin(), m.from.end());
  for (auto const& id : m.to) {
    if (known.insert(id).second) m.from.push_back(id);
  }
  for (auto const& t : d.tables) {
    for (auto const& [from, n] : t.picture.arrivals()) {
      if (known.insert(from).second) m.from.push_back(from);
    }
  }
  m.counts.assign(m.from.size(), std::vector<std::uint64_t>(m.to.size(), 0));
  for (std::size_t c = 0; c < d.tables.size(); ++c) {
    for (auto const& [from, n] : d.tables[c].picture.arrivals()) {
      auto const r = std::find(m.from.begin(), m.from.end(), from) - m.from.begin();
      m.counts[static_cast<std::size_t>(r)][c] = n;
      m.top = std::max(m.top, n);
    }
  }
  return m;
}

// A grid with the count written in every cell; the shade only repeats it.
void matrix_svg(std::string& out, hop_matrix const& m) {
  constexpr int left = 110, head = 30, cw = 64, ch = 26;
  int const width = left + static_cast<int>(m.to.size()) * cw + 10;
  int const height = head + static_cast<int>(m.from.size()) * ch + 10;
  out += "<svg class=\"chart\" role=\"img\" aria-labelledby=\"hops-t\" width=\"" +
         std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
         std::to_string(width) + " " + std::to_string(height) +
         "\"><title id=\"hops-t\">Hops: rows are where people came from, columns the table they "
         "sat down at; each cell gives the count</title>";
  for (std::size_t c = 0; c < m.to.size(); ++c) {
    out += "<text x=\"" + std::to_string(left + static_cast<int>(c) * cw + cw / 2) +
           "\" y=\"20\" text-anchor=\"middle\" font-size=\"11\">" + html_escape(m.to[c]) +
           "</text>";
  }
  for (std::size_t r = 0; r < m.from.size(); ++r) {
    int const y = head + static_cast<int>(r) * ch;
    out += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(y + 17) +
           "\" text-anchor=\"end\" font-size=\"11\">" + html_escape(m.from[r]) + "</text>";
    for (std::size_t c = 0; c < m.to.size(); ++c) {
      auto const n = m.counts[r][c];
      // Shade 0.0-0.6 by count: the number in the cell stays readable.
      auto const shade =
          m.top == 0 ? 0.0 : 0.6 * static_cast<double>(n) / static_cast<double>(m.top);
      char opacity[16];
      std::snprintf(opacity, sizeof opacity, "%.2f", shade);
      int const x = left + static_cast<int>(c) * cw;
      out += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
             std::to_string(cw) + "\" height=\"" + std::to_string(ch) +
             "\" fill=\"#000\" fill-opacity=\"" + opacity + "\" stroke=\"#222\"/><text x=\"" +
             std::to_string(x + cw / 2) + "\" y=\"" + std::to_string(y + 17) +
             "\" text-anchor=\"middle\" font-size=\"12\" " +
             (shade > 0.3 ? "fill=\"#fff\"" : "fill=\"#000\"") + ">" + num(n) + "</text>";
    }
  }
  out += "</svg>";
}

void matrix_table(std::string& out, hop_matrix const& m) {
  out +=
      "<table class=\"figures\"><caption>Hops: from (rows) to (columns)</caption><thead><tr><td>"
      "</td>";
  for (auto const& to : m.to) out += "<th scope=\"col\">" + html_escape(to) + "</th>";
  out += "</tr></thead><tbody>";
  for (std::size_t r = 0; r < m.from.size(); ++r) {
    out += "<tr><th scope=\"row\">" + html_escape(m.from[r]) + "</th>";
    for (auto const n : m.counts[r]) out += "<td>" + num(n) + "</td>";
    out += "</tr>";
  }
  out += "</tbody></table>";
}

}  // namespace

std::string report_html(session_digest const& d) {
  auto const title = "Session report – " + html_escape(d.title);
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>" +
      title +
      "</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link "
      "rel=\"stylesheet\" href=\"/style.css\"></head><body class=\"report-page\"><header "
      "class=\"top\"><div class=\"brand\"><h1>" +
      title + "</h1></div></header><main><p>Phase: " + html_escape(d.phase) + "</p>";
  auto const out_by_table = hops_out(d);
  for (std::size_t i = 0; i < d.tables.size(); ++i) {
    auto const& t = d.tables[i];
    auto const h = "t-" + std::to_string(i);
    out += "<section class=\"panel\" aria-labelledby=\"" + h + "\"><h2 id=\"" + h + "\">" +
           html_escape(t.topic) + " <small>(" + html_escape(t.id) + ")</small></h2>";
    auto const o = out_by_table.find(t.id);
    figures(out, t, o == out_by_table.end() ? 0 : o->second);
    out += "<h3>Occupancy and contributions per minute</h3><div class=\"chart-pair\">";
    occupancy_svg(out, t.picture, i);
    occupancy_table(out, t);
    out += "</div></section>";
  }
  auto const m = matrix_of(d);
  out +=
      "<section class=\"panel\" aria-labelledby=\"hops\"><h2 id=\"hops\">Hops between "
      "tables</h2><div class=\"chart-pair\">";
  matrix_svg(out, m);
  matrix_table(out, m);
  out += "</div></section></main></body></html>\n";
  return out;
}

}  // namespace roundtable
