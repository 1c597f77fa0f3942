// The participation picture end to end (issue 14), on both engines: people sit
// down, hop between tables, leave and come back from the plenary, and speak;
// /api/report gives every table's hops in and out, stays and per-minute
// samples, and the hop matrix; /api/report.md says the same; /report draws it
// as HTML with SVG, user text escaped, behind the admin API's access. And the
// adversarial case: people on two Redis nodes hop between two tables all at
// the same instant, round after round; both nodes' reports agree with each
// other and with what happened.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::pair<std::string, std::string>> const key{{"X-Api-Key", "k"}};

std::unique_ptr<ws_client> guest(int port, std::string const& name) {
  auto c = std::make_unique<ws_client>(port);
  REQUIRE(c->hello(name).boolean("ok"));
  return c;
}

void join(ws_client& c, std::string const& table) {
  REQUIRE(c.request("join", "\"table\":\"" + table + "\"").boolean("ok"));
}

// "from>to" -> count, from a report's `hops`.
std::map<std::string, std::int64_t> hops_of(message const& report) {
  std::map<std::string, std::int64_t> out;
  simdjson::dom::array list;
  if (report.at("/hops").get(list)) return out;
  for (auto h : list) {
    std::string_view from, to;
    std::int64_t n = 0;
    if (!h["from"].get(from) && !h["to"].get(to) && !h["count"].get(n))
      out[std::string(from) + ">" + std::string(to)] = n;
  }
  return out;
}

// table id -> "in/out/stays/seated_now", from a report's `tables`.
std::map<std::string, std::string> counts_of(message const& report) {
  std::map<std::string, std::string> out;
  simdjson::dom::array list;
  if (report.at("/tables").get(list)) return out;
  for (auto t : list) {
    std::string_view id;
    std::int64_t in = -1, hop_out = -1, stays = -1, now = -1;
    if (t["id"].get(id) || t["hops_in"].get(in) || t["hops_out"].get(hop_out) ||
        t["stays"]["count"].get(stays) || t["stays"]["seated_now"].get(now))
      continue;
    out[std::string(id)] = std::to_string(in) + "/" + std::to_string(hop_out) + "/" +
                           std::to_string(stays) + "/" + std::to_string(now);
  }
  return out;
}

message report_of(int port) {
  auto const r = http_get(port, "/api/report", key);
  REQUIRE(r.status == 200);
  return message(r.body);
}

}  // namespace

TEST_CASE("picture: hops, stays and minutes in the report, the HTML page", "[picture]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_server srv(engine_name, {"--rate-limit", "0", "--api-key", "k"});
  INFO(srv.engine.name());

  auto ann = guest(srv.port, "Ann");
  auto bob = guest(srv.port, "Bob");
  join(*ann, "synergies");  // lobby > synergies
  join(*bob, "synergies");  // lobby > synergies
  REQUIRE(ann->request("say", R"("room":"synergies","text":"hi")").boolean("ok"));
  REQUIRE(ann->request("insight", R"("table":"synergies","text":"an idea")").boolean("ok"));
  join(*ann, "big-data");  // synergies > big-data
  join(*ann, "big-data");  // already there: nothing
  REQUIRE(bob->request("leave").boolean("ok"));
  join(*bob, "big-data");       // plenary > big-data
  join(*bob, "inclusiveness");  // big-data > inclusiveness

  std::map<std::string, std::int64_t> const hops{{"lobby>synergies", 2},
                                                 {"synergies>big-data", 1},
                                                 {"plenary>big-data", 1},
                                                 {"big-data>inclusiveness", 1}};
  std::map<std::string, std::string> const counts{
      {"synergies", "0/1/2/0"}, {"big-data", "1/1/2/1"}, {"inclusiveness", "1/0/1/1"}};
  // The report reads each room's state: with Redis it may lag the replies.
  message report = report_of(srv.port);
  for (int i = 0; i < 100 && (hops_of(report) != hops || counts_of(report) != counts); ++i) {
    std::this_thread::sleep_for(50ms);
    report = report_of(srv.port);
  }
  CHECK(hops_of(report) == hops);
  CHECK(counts_of(report) == counts);
  simdjson::dom::array tables;
  REQUIRE_FALSE(report.at("/tables").get(tables));
  for (auto t : tables) {
    std::string_view id;
    REQUIRE_FALSE(t["id"].get(id));
    if (id != "synergies") continue;
    simdjson::dom::array minutes;
    REQUIRE_FALSE(t["per_minute"].get(minutes));
    REQUIRE(minutes.size() >= 1);
    std::int64_t peak = 0, contributions = 0;
    for (auto m : minutes) {
      std::int64_t p = 0, c = 0;
      REQUIRE_FALSE(m["peak"].get(p));
      REQUIRE_FALSE(m["contributions"].get(c));
      peak = std::max(peak, p);
      contributions += c;
    }
    CHECK(peak == 2);
    CHECK(contributions == 2);  // the message and the insight
  }

  auto const md = http_get(srv.port, "/api/report.md", key);
  CHECK(md.body.find("- Hops: 0 in from other tables, 1 out to other tables") != std::string::npos);
  CHECK(md.body.find("- synergies to big-data: 1") != std::string::npos);

  // The page: markup in a topic is shown, never run; the admin API's access.
  REQUIRE(http_post(srv.port, "/api/tables",
                    R"({"table":"marked","topic":"<script>alert(1)</script> & co"})",
                    {{"X-Api-Key", "k"}, {"Content-Type", "application/json"}})
              .status == 201);
  auto const page = http_get(srv.port, "/report", key);
  REQUIRE(page.status == 200);
  CHECK(page.content_type.find("text/html") == 0);
  CHECK(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.body.find("<script") == std::string::npos);
  CHECK(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co") != std::string::npos);
  CHECK(page.body.find("<svg") != std::string::npos);
  CHECK(page.body.find("<caption>Hops: from (rows) to (columns)</caption>") != std::string::npos);
  CHECK(http_get(srv.port, "/report").status == 401);
  CHECK(http_get(srv.port, "/report", {{"X-Api-Key", "wrong"}}).status == 401);
}

TEST_CASE("picture race: people hop between tables on two nodes at once",
          "[picture][race][redis]") {
  redis_nodes cluster(2, {"--rate-limit", "0", "--api-key", "k"});
  std::vector<std::string> const table{"synergies", "big-data"};
  // Six people, three per node; person i starts at table i % 2.
  std::vector<std::unique_ptr<ws_client>> people;
  for (int i = 0; i < 6; ++i) {
    people.push_back(
        guest(cluster.ports[static_cast<std::size_t>(i % 2)], "P" + std::to_string(i)));
    join(*people.back(), table[static_cast<std::size_t>(i % 2)]);
  }
  constexpr int rounds = 20;
  std::map<std::string, std::int64_t> expected{{"lobby>synergies", 3}, {"lobby>big-data", 3}};
  for (int round = 1; round <= rounds; ++round) {
    // Everyone asks at once; then the replies.
    for (std::size_t i = 0; i < people.size(); ++i) {
      auto const& to = table[(i + static_cast<std::size_t>(round)) % 2];
      people[i]->send(R"({"op":"join","rid":)" + std::to_string(1000 + round) + R"(,"table":")" +
                      to + "\"}");
    }
    for (std::size_t i = 0; i < people.size(); ++i) {
      auto const reply = people[i]->wait_for(
          [&](message const& m) { return m.type() == "reply" && m.num("rid") == 1000 + round; },
          10s);
      REQUIRE(reply);
      REQUIRE(reply->boolean("ok"));
      auto const& from = table[(i + static_cast<std::size_t>(round) + 1) % 2];
      auto const& to = table[(i + static_cast<std::size_t>(round)) % 2];
      ++expected[from + ">" + to];
    }
  }
  std::map<std::string, std::string> const counts{
      {"synergies", std::to_string(rounds * 3) + "/" + std::to_string(rounds * 3) + "/" +
                        std::to_string(3 + rounds * 3) + "/3"},
      {"big-data", std::to_string(rounds * 3) + "/" + std::to_string(rounds * 3) + "/" +
                       std::to_string(3 + rounds * 3) + "/3"},
      {"inclusiveness", "0/0/0/0"}};
  // Both nodes apply the same logs; each report catches up with the last hop.
  for (auto const port : cluster.ports) {
    INFO("node port " << port);
    message report = report_of(port);
    for (int i = 0; i < 100 && (hops_of(report) != expected || counts_of(report) != counts); ++i) {
      std::this_thread::sleep_for(50ms);
      report = report_of(port);
    }
    CHECK(hops_of(report) == expected);
    CHECK(counts_of(report) == counts);
  }
}
