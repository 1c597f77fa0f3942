// The admin API's own routes: GET /api/archive, POST /api/erase, the report
// (GET /api/report, /api/report.md, /report), POST /api/tables and
// /api/broadcast. Bodies go through the WebSocket's own parser where an op
// exists, so that both doors keep one set of rules.
#include "server/admin_api.hpp"

#include "protocol/command.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/parse.hpp"
#include "server/invitation.hpp"
#include "server/node.hpp"
#include "server/report.hpp"
#include "server/report_page.hpp"

#include <memory>
#include <set>
#include <string>
#include <thread>

#include <simdjson.h>

namespace roundtable {

using protocol::json_writer;

namespace {

// What an erasure carries from room to room: who, the names the engine found
// before the first room blanked them, and how many items went.
struct erasure {
  std::string id;
  std::set<std::string> names;
  std::size_t removed = 0;
};

// Erases one participant's messages and insights from every room, one room
// after another on their homes, then from the store's old pages.
void erase_participant(node& n, std::uint32_t w, std::vector<room_slot*> rooms, std::size_t i,
                       std::shared_ptr<erasure> e, http_done done) {
  if (i == rooms.size()) {
    auto finish = [e, done = std::move(done)] {
      json_writer jw;
      jw.begin_object()
          .field("ok", true)
          .field("removed", static_cast<std::uint64_t>(e->removed))
          .end_object();
      done(json_response(200, jw.release()));
    };
    if (!n.rooms_engine().stores_archive()) return n.on_worker(w, std::move(finish));
    // The store touches the disk: off the event loop.
    std::thread([&n, w, e, finish = std::move(finish)]() mutable {
      n.rooms_engine().erase_author(e->id, e->names);
      n.on_worker(w, std::move(finish));
    }).detach();
    return;
  }
  auto* s = rooms[i];
  n.on_current(*s, [&n, w, rooms = std::move(rooms), i, e = std::move(e),
                    done = std::move(done)](room& r) mutable {
    e->removed += r.erase_author(e->id, node::now_ms());
    erase_participant(n, w, std::move(rooms), i + 1, std::move(e), std::move(done));
  });
}

void erase(node& n, std::uint32_t worker, http_request const& req, http_done done) {
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  std::string_view id;
  if (parser.parse(simdjson::padded_string(req.body)).get(body) || body["participant"].get(id) ||
      id.empty() || id.size() > protocol::limits::id) {
    return done(
        json_error(400, error_code::bad_request, "the body must be {\"participant\": \"<id>\"}"));
  }
  std::vector<room_slot*> rooms{&n.plenary()};
  for (auto* t : n.tables()) rooms.push_back(t);
  auto e = std::make_shared<erasure>();
  e->id = std::string(id);
  if (!n.rooms_engine().stores_archive())
    return erase_participant(n, worker, std::move(rooms), 0, std::move(e), std::move(done));
  // The names are read from the disk before any room blanks them, and on a
  // thread of the erasure's own: the rooms' threads never wait for it.
  std::thread([&n, worker, rooms = std::move(rooms), e = std::move(e),
               done = std::move(done)]() mutable {
    e->names = n.rooms_engine().erasure_names(e->id);
    erase_participant(n, worker, std::move(rooms), 0, std::move(e), std::move(done));
  }).detach();
}

void report(node& n, std::uint32_t worker, std::string path, http_done done) {
  collect_digest(n, worker, false, [path, done = std::move(done)](session_digest d) {
    if (path == "/api/report") return done(json_response(200, report_json(d)));
    http_response r;
    bool const md = path == "/api/report.md";
    r.content_type = md ? "text/markdown; charset=utf-8" : "text/html; charset=utf-8";
    r.body = md ? report_markdown(d) : report_html(d);
    done(std::move(r));
  });
}

// POST /api/tables and /api/broadcast: the body is the op's fields, checked by
// the WebSocket's own parser (lengths, control characters, ids, bounds,
// repeated keys).
void create_or_announce(node& n, std::uint32_t worker, bool tables, http_request const& req,
                        http_done done) {
  protocol::command cmd;
  error err;
  protocol::parser parser;
  if (!parser.parse_fields(tables ? "create_table" : "broadcast", req.body, cmd, err)) {
    return done(json_error(http_status(err.code), err.code, err.message));
  }
  auto const now = node::now_ms();
  // A created table's answer carries its moderator's invitation.
  std::string body = "{\"ok\":true}";
  if (tables) {
    auto const& c = std::get<protocol::create_table>(cmd.op);
    body = "{\"ok\":true,\"invite\":" +
           invitation::moderator({c.table, c.topic, c.moderator, c.capacity, true}, n.secret(),
                                 now / 1000) +
           "}";
  }
  auto reply = [&n, worker, done = std::move(done), status = tables ? 201u : 200u,
                body = std::move(body)](outcome o) {
    n.on_worker(worker, [done, status, body, o = std::move(o)] {
      if (o) return done(json_error(http_status(o->code), o->code, o->message));
      done(json_response(status, body));
    });
  };
  if (tables) {
    auto& c = std::get<protocol::create_table>(cmd.op);
    n.open_table({c.table, c.topic, c.moderator, c.capacity, true}, now, std::move(reply));
  } else {
    n.announce(participant{"admin", "Organisers", role::chair, {}},
               std::move(std::get<protocol::broadcast>(cmd.op).text), now, std::move(reply));
  }
}

}  // namespace

void handle_admin(node& n, std::uint32_t worker, http_request req, http_done done) {
  auto const path = req.target.substr(0, req.target.find('?'));
  if (req.method == "GET" && path == "/api/archive") {
    return collect_digest(n, worker, true, [done = std::move(done)](session_digest d) {
      done(json_response(200, archive_json(d)));
    });
  }
  if (req.method == "POST" && path == "/api/erase") return erase(n, worker, req, std::move(done));
  if (req.method == "GET" &&
      (path == "/api/report" || path == "/api/report.md" || path == "/report")) {
    return report(n, worker, path, std::move(done));
  }
  if (req.method == "POST" && (path == "/api/tables" || path == "/api/broadcast")) {
    return create_or_announce(n, worker, path == "/api/tables", req, std::move(done));
  }
  done(json_error(404, error_code::not_found, "no such API route"));
}

}  // namespace roundtable
