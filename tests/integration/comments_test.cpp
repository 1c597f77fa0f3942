// Comments after the event (issue 14, "Have your say after the event"), on
// both engines: a person who took part posts with the token they took part
// with; anonymous callers and bad tokens get 401, bad input its error, and
// none of them changes what the chair sees; each comment is held until the
// chair approves (shown on /outcomes and /api/outcomes, escaped, by display
// name, "erased" after erasure) or rejects it (never shown). Comments survive
// a restart of the memory engine. The adversarial cases: many clients post at
// the same instant (on two nodes with Redis), one person over their bound at
// once, two admins deciding on one comment at once: nothing lost, counts exact.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "comments-test-secret-0123456789abcd";
constexpr std::string_view api_key = "comments-api-key";
constexpr std::size_t per_person = 5;  // room::max_comments_per_person

std::vector<std::string> base_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--rate-limit",      "0",         "--secret",
                             std::string(secret), "--api-key", std::string(api_key)};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string person(std::string const& id, std::string const& name) {
  return mint_for(secret, auth::role::participant, id, name);
}

using headers = std::vector<std::pair<std::string, std::string>>;

headers bearer(std::string const& token) {
  return {{"Authorization", "Bearer " + token}};
}
headers admin() {
  return {{"X-Api-Key", std::string(api_key)}};
}

http_result post_comment(int port, std::string const& token, std::string const& body) {
  return http_post(port, "/api/outcomes/comments", body, token.empty() ? headers{} : bearer(token));
}

std::string comment_body(std::string const& text, std::string const& insight = {}) {
  return R"({"table":"synergies",)" + (insight.empty() ? "" : R"("insight":")" + insight + "\",") +
         R"("text":")" + text + "\"}";
}

http_result review(int port, std::string const& id, std::string const& decision,
                   headers h = admin()) {
  return http_post(port, "/api/outcomes/comments/" + id, R"({"decision":")" + decision + "\"}",
                   std::move(h));
}

// The ids of the comments the chair's list shows with `status`.
std::vector<std::string> listed(int port, std::string const& status = "held") {
  auto const r = http_get(port, "/api/outcomes/comments?status=" + status, admin());
  REQUIRE(r.status == 200);
  message const doc(r.body);
  simdjson::dom::array list;
  REQUIRE_FALSE(doc.at("/comments").get(list));
  std::vector<std::string> ids;
  for (auto c : list) {
    std::string_view id;
    REQUIRE_FALSE(c["id"].get(id));
    ids.emplace_back(id);
  }
  return ids;
}

// Polls `port`'s list until it holds `n` comments (another node's replica
// applies a comment a moment after the posting node answered).
std::vector<std::string> listed_when(int port, std::size_t n, std::string const& status = "held") {
  auto ids = listed(port, status);
  for (int i = 0; i < 250 && ids.size() != n; ++i) {
    std::this_thread::sleep_for(20ms);
    ids = listed(port, status);
  }
  return ids;
}

std::string add_insight(int port, std::string const& text) {
  ws_client c(port);
  REQUIRE(c.hello("Ada", "\"token\":\"" + person("p-ada", "Ada") + "\"").boolean("ok"));
  REQUIRE(c.request("join", R"("table":"synergies")").boolean("ok"));
  REQUIRE(c.request("insight", "\"text\":\"" + text + "\"").boolean("ok"));
  auto ev = c.wait_type("insight");
  REQUIRE(ev);
  return ev->str("id");
}

}  // namespace

TEST_CASE("comments: posted with a token, held, approved or rejected by the chair", "[comments]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO(engine.name());
  server_process srv(engine.args(base_args()));
  auto const port = srv.port;
  auto const insight = add_insight(port, "Open data needs stewards");
  auto const ann = person("p-ann-private", "Ann");

  // Refused: no token, a bad token, bad input. None of them is held.
  CHECK(post_comment(port, "", comment_body("anon", insight)).status == 401);
  CHECK(post_comment(port, ann + "x", comment_body("forged", insight)).status == 401);
  CHECK(post_comment(
            port,
            mint_for("another-secret-0123456789abcdef012", auth::role::participant, "p-eve", "Eve"),
            comment_body("other secret", insight))
            .status == 401);
  struct bad {
    std::string body;
    unsigned status;
    std::string code;
  };
  std::vector<bad> const cases = {
      {comment_body(std::string(1001, 'x'), insight), 413, "too_large"},
      {comment_body("   ", insight), 400, "bad_request"},
      {R"({"table":"synergies","text":"hi","extra":"x"})", 400, "bad_request"},
      {R"({"table":"synergies","text":5})", 400, "bad_request"},
      {R"(["not an object"])", 400, "bad_request"},
      {R"({"table":"nowhere","text":"hi"})", 404, "not_found"},
      {R"({"table":"plenary","text":"hi"})", 404, "not_found"},
      {comment_body("on nothing", "i-nope"), 404, "not_found"},
  };
  for (auto const& b : cases) {
    INFO(b.body.substr(0, 100));
    auto const r = post_comment(port, ann, b.body);
    CHECK(r.status == b.status);
    CHECK(message(r.body).str("/error/code") == b.code);
  }
  CHECK(listed(port).empty());

  // Ann's bound: five comments, the sixth is refused and changes nothing.
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < per_person; ++i) {
    auto const text = i == 0 ? std::string("<b>bold</b> & 'quoted' <script>x()</script>")
                             : "comment " + std::to_string(i);
    auto const r = post_comment(port, ann, comment_body(text, i == 1 ? "" : insight));
    REQUIRE(r.status == 200);
    CHECK(message(r.body).str("status") == "held");
    ids.push_back(message(r.body).str("id"));
  }
  auto const over = post_comment(port, ann, comment_body("one too many", insight));
  CHECK(over.status == 409);
  CHECK(message(over.body).str("/error/code") == "full");
  CHECK(listed(port).size() == per_person);
  // Held comments are nobody's to see but the chair's.
  CHECK(http_get(port, "/outcomes").body.find("comment 2") == std::string::npos);
  CHECK(http_get(port, "/api/outcomes").body.find("comment 2") == std::string::npos);

  // Only the admin reads and decides.
  CHECK(http_get(port, "/api/outcomes/comments").status == 401);
  CHECK(http_get(port, "/api/outcomes/comments", bearer(ann)).status == 403);
  CHECK(http_get(port, "/api/outcomes/comments?status=maybe", admin()).status == 400);
  CHECK(review(port, ids[0], "approve", bearer(ann)).status == 403);
  CHECK(review(port, ids[0], "approve", {}).status == 401);
  CHECK(review(port, ids[0], "maybe").status == 400);
  CHECK(review(port, "c-none", "approve").status == 404);
  CHECK(listed(port).size() == per_person);

  CHECK(review(port, ids[0], "approve").status == 200);  // markup, on the insight
  CHECK(review(port, ids[1], "approve").status == 200);  // on the table
  CHECK(review(port, ids[2], "reject").status == 200);   // off-topic
  CHECK(review(port, ids[2], "approve").status == 404);  // decided already
  CHECK(review(port, ids[0], "reject").status == 404);
  CHECK(listed(port) == std::vector<std::string>{ids[3], ids[4]});
  CHECK(listed(port, "approved") == std::vector<std::string>{ids[0], ids[1]});
  // A rejected comment frees its place in the bound.
  CHECK(post_comment(port, ann, comment_body("a better one", insight)).status == 200);

  auto const api = http_get(port, "/api/outcomes");
  REQUIRE(api.status == 200);
  message const doc(api.body);
  CHECK(doc.str("/tables/0/insights/0/comments/0/id") == ids[0]);
  CHECK(doc.str("/tables/0/insights/0/comments/0/text") ==
        "<b>bold</b> & 'quoted' <script>x()</script>");
  CHECK(doc.str("/tables/0/insights/0/comments/0/by") == "Ann");
  CHECK(doc.num("/tables/0/insights/0/comments/0/ts") > 0);
  CHECK(doc.str("/tables/0/comments/0/text") == "comment 1");
  CHECK(api.body.find("comment 2") == std::string::npos);  // rejected
  CHECK(api.body.find("comment 3") == std::string::npos);  // still held
  CHECK(api.body.find("private") == std::string::npos);

  auto const page = http_get(port, "/outcomes");
  CHECK(page.body.find("&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39; "
                       "&lt;script&gt;x()&lt;/script&gt;") != std::string::npos);
  CHECK(page.body.find("<b>bold") == std::string::npos);
  CHECK(page.body.find("<script") == std::string::npos);
  CHECK(page.body.find("comment 1") != std::string::npos);
  CHECK(page.body.find("comment 2") == std::string::npos);
  CHECK(page.body.find("Comments on this table") != std::string::npos);
  auto const fr = http_get(port, "/outcomes?lang=fr");
  CHECK(fr.body.find("Commentaires sur cette table") != std::string::npos);

  // Ann is erased on request: her approved comments stay, by "erased"; her
  // held ones go.
  REQUIRE(http_post(port, "/api/erase", R"({"participant":"p-ann-private"})", admin()).status ==
          200);
  auto erased = message(http_get(port, "/api/outcomes").body);
  for (int i = 0; i < 250 && erased.str("/tables/0/comments/0/by") != "erased"; ++i) {
    std::this_thread::sleep_for(20ms);
    erased = message(http_get(port, "/api/outcomes").body);
  }
  CHECK(erased.str("/tables/0/comments/0/by") == "erased");
  CHECK(erased.str("/tables/0/insights/0/comments/0/by") == "erased");
  CHECK(listed(port).empty());
  CHECK(http_get(port, "/outcomes").body.find("Ann") == std::string::npos);
  CHECK(post_comment(port, ann, comment_body("back again", insight)).status == 403);
}

TEST_CASE("comments: held and approved ones survive a restart of the memory engine",
          "[comments][durable]") {
  temp_dir data;
  std::string held, approved;
  {
    server_process srv(base_args({"--data-dir", data.path()}));
    auto const bob = person("p-bob", "Bob");
    auto a = post_comment(srv.port, bob, comment_body("kept and shown"));
    auto h = post_comment(srv.port, bob, comment_body("kept and held"));
    REQUIRE(a.status == 200);
    REQUIRE(h.status == 200);
    approved = message(a.body).str("id");
    held = message(h.body).str("id");
    REQUIRE(review(srv.port, approved, "approve").status == 200);
    srv.proc->signal(SIGTERM);
    REQUIRE(srv.proc->wait() == 0);
  }
  server_process srv(base_args({"--data-dir", data.path()}));
  CHECK(listed(srv.port) == std::vector<std::string>{held});
  CHECK(listed(srv.port, "approved") == std::vector<std::string>{approved});
  CHECK(http_get(srv.port, "/outcomes").body.find("kept and shown") != std::string::npos);
}

namespace {

// `people` people post `each` comments at the same instant from their own
// threads, on nodes in turn, and one more person posts `per_person + 3` at
// once; then two admins decide on every comment at the same instant, one
// approving on one node and one rejecting on another. Every accepted comment
// is listed on every node, the bound holds exactly, and each comment gets
// exactly one decision.
void comment_race(std::vector<int> const& ports, int round) {
  auto port = [&](std::size_t i) { return ports[i % ports.size()]; };
  constexpr std::size_t people = 8, each = 3, greedy = per_person + 3;
  auto const prefix = "r" + std::to_string(round) + "-";
  std::vector<std::string> tokens;
  for (std::size_t p = 0; p < people + 1; ++p)
    tokens.push_back(person(prefix + "p" + std::to_string(p), "Person " + std::to_string(p)));
  std::vector<std::thread> threads;
  std::vector<http_result> results(people * each + greedy);
  std::latch go(static_cast<std::ptrdiff_t>(results.size()));
  for (std::size_t k = 0; k < results.size(); ++k) {
    auto const who = k < people * each ? k / each : people;
    threads.emplace_back([&, k, who] {
      go.arrive_and_wait();
      results[k] =
          post_comment(port(k), tokens[who], comment_body(prefix + "comment " + std::to_string(k)));
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  std::set<std::string> accepted;
  std::size_t greedy_ok = 0, greedy_full = 0;
  for (std::size_t k = 0; k < results.size(); ++k) {
    INFO("post " << k << ": " << results[k].body);
    if (k < people * each) {
      REQUIRE(results[k].status == 200);
    } else {
      REQUIRE((results[k].status == 200 || results[k].status == 409));
      (results[k].status == 200 ? greedy_ok : greedy_full) += 1;
    }
    if (results[k].status == 200) accepted.insert(message(results[k].body).str("id"));
  }
  CHECK(greedy_ok == per_person);
  CHECK(greedy_full == greedy - per_person);
  REQUIRE(accepted.size() == people * each + per_person);
  for (std::size_t n = 0; n < ports.size(); ++n) {
    auto const ids = listed_when(port(n), accepted.size());
    CHECK(std::set<std::string>(ids.begin(), ids.end()) == accepted);
  }

  // Two admins decide on each comment at once, from two nodes.
  std::vector<std::string> const ids(accepted.begin(), accepted.end());
  std::vector<unsigned> approve(ids.size()), reject(ids.size());
  std::latch decide(2);
  threads.emplace_back([&] {
    decide.arrive_and_wait();
    for (std::size_t i = 0; i < ids.size(); ++i)
      approve[i] = review(port(0), ids[i], "approve").status;
  });
  threads.emplace_back([&] {
    decide.arrive_and_wait();
    for (std::size_t i = 0; i < ids.size(); ++i)
      reject[i] = review(port(1), ids[i], "reject").status;
  });
  for (auto& t : threads) t.join();
  std::set<std::string> approved;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO(ids[i] << " approve " << approve[i] << " reject " << reject[i]);
    CHECK(((approve[i] == 200) != (reject[i] == 200)));
    CHECK((approve[i] == 200 || approve[i] == 404));
    CHECK((reject[i] == 200 || reject[i] == 404));
    if (approve[i] == 200) approved.insert(ids[i]);
  }
  for (std::size_t n = 0; n < ports.size(); ++n) {
    auto const shown = listed_when(port(n), approved.size(), "approved");
    std::set<std::string> const mine(shown.begin(), shown.end());
    // Earlier rounds' approvals are listed too: this round's are exactly ours.
    std::set<std::string> round_shown;
    for (auto const& id : mine) {
      if (accepted.count(id)) round_shown.insert(id);
    }
    CHECK(round_shown == approved);
    CHECK(listed(port(n)).empty());
  }
}

}  // namespace

TEST_CASE("comments race: many posts and decisions at once on one node",
          "[comments][race][memory]") {
  server_process srv(base_args({"--ephemeral"}));
  for (int round = 0; round < 3; ++round) comment_race({srv.port}, round);
}

TEST_CASE("comments race: many posts and decisions at once from two nodes",
          "[comments][race][redis]") {
  redis_nodes cluster(2, base_args());
  for (int round = 0; round < 3; ++round) comment_race(cluster.ports, round);
}
