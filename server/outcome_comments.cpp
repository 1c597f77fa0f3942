// The comment routes of the outcomes page: a participant posts, the chair
// lists and decides; each change is a command in the table's log.
#include "server/outcome_comments.hpp"

#include "auth/jwt.hpp"
#include "protocol/json_writer.hpp"
#include "server/node.hpp"

#include <simdjson.h>

#include <map>
#include <memory>

namespace roundtable {

using protocol::error_code;
using protocol::json_writer;

namespace {

// Reads a JSON object whose fields are all strings, among `names`; the error
// names the field at fault.
std::optional<std::string> string_fields(std::string const& body,
                                         std::initializer_list<std::string_view> names,
                                         std::map<std::string, std::string, std::less<>>& out) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body).get(obj)) return "the body must be a JSON object";
  for (auto [key, value] : obj) {
    if (std::find(names.begin(), names.end(), key) == names.end())
      return "unknown field '" + std::string(key) + "'";
    std::string_view text;
    if (value.get(text)) return "'" + std::string(key) + "' must be a string";
    out[std::string(key)] = std::string(text);
  }
  return std::nullopt;
}

// Submits a command on the room's home and answers `body` once it applied
// here, or its error.
template <class Submit>
void answer_after(node& n, std::uint32_t worker, room_slot& slot, Submit submit, std::string body,
                  http_done done) {
  auto reply = [&n, worker, body = std::move(body), done = std::move(done)](outcome o) {
    n.on_worker(worker, [done, body, o = std::move(o)] {
      if (o) return done(json_error(http_status(o->code), o->code, o->message));
      done(json_response(200, body));
    });
  };
  n.on_home(slot, [submit = std::move(submit), reply = std::move(reply)](room& r) mutable {
    r.after(submit(r), std::move(reply));
  });
}

void visit_tables(node& n, std::uint32_t w, std::vector<room_slot*> tables, std::size_t i,
                  std::shared_ptr<std::vector<comment_view>> acc,
                  std::function<void(std::vector<comment_view>)> then) {
  if (i == tables.size()) {
    n.on_worker(w, [acc, then = std::move(then)] { then(std::move(*acc)); });
    return;
  }
  auto& slot = *tables[i];  // before the lambda takes the list
  n.on_current(
      slot, [&n, w, tables = std::move(tables), i, acc, then = std::move(then)](room& r) mutable {
        for (auto const& e : r.comments()) {
          acc->push_back({r.id(), e.id, e.insight, e.text, e.by.name.empty() ? "erased" : e.by.name,
                          e.ts, e.approved});
        }
        visit_tables(n, w, std::move(tables), i + 1, std::move(acc), std::move(then));
      });
}

}  // namespace

void collect_comments(node& n, std::uint32_t w,
                      std::function<void(std::vector<comment_view>)> then) {
  visit_tables(n, w, n.tables(), 0, std::make_shared<std::vector<comment_view>>(), std::move(then));
}

void post_comment(node& n, std::uint32_t worker, http_request req, http_done done) {
  auto const token = bearer_token(req);
  if (token.empty())
    return done(json_error(401, error_code::unauthorized,
                           "comments take the token you took part with (Authorization: Bearer)"));
  auto const v = auth::verify(token, n.secret(), node::now_ms() / 1000);
  if (!v.ok) return done(json_error(401, error_code::unauthorized, v.error));
  std::map<std::string, std::string, std::less<>> f;
  if (auto bad = string_fields(req.body, {"table", "insight", "text"}, f))
    return done(json_error(400, error_code::bad_request, "comment: " + *bad));
  auto const text = f["text"];
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return done(json_error(400, error_code::bad_request, "comment: 'text' is empty"));
  if (text.size() > room::max_comment_text)
    return done(
        json_error(413, error_code::too_large,
                   "comment: 'text' is over " + std::to_string(room::max_comment_text) + " bytes"));
  auto* slot = n.find_room(f["table"]);
  if (!slot || f["table"] == room::plenary_id)
    return done(json_error(404, error_code::not_found, "no table '" + f["table"] + "'"));
  auto const& c = v.value;
  participant who{c.sub, c.name, c.who, c.who == role::moderator ? c.table : std::string()};
  cmd::comment op{"c-" + auth::random_text(9), f["insight"], text};
  json_writer w;
  w.begin_object().field("ok", true).field("id", op.id).field("status", "held").end_object();
  answer_after(
      n, worker, *slot,
      [who = std::move(who), op = std::move(op)](room& r) mutable {
        return r.comment(who, std::move(op), node::now_ms());
      },
      w.release(), std::move(done));
}

void list_comments(node& n, std::uint32_t worker, http_request req, http_done done) {
  auto const query = req.target.substr(std::min(req.target.find('?'), req.target.size()));
  bool approved = false;
  if (query == "?status=approved") {
    approved = true;
  } else if (!query.empty() && query != "?status=held") {
    return done(json_error(400, error_code::bad_request, "status must be 'held' or 'approved'"));
  }
  collect_comments(n, worker, [approved, done = std::move(done)](std::vector<comment_view> all) {
    json_writer w;
    w.begin_object().key("comments").begin_array();
    for (auto const& c : all) {
      if (c.approved != approved) continue;
      w.begin_object()
          .field("id", c.id)
          .field("table", c.table)
          .field("insight", c.insight)
          .field("text", c.text)
          .field("by", c.by)
          .field("ts", c.ts)
          .field("status", approved ? "approved" : "held")
          .end_object();
    }
    w.end_array().end_object();
    done(json_response(200, w.release()));
  });
}

void review_comment(node& n, std::uint32_t worker, std::string id, http_request req,
                    http_done done) {
  std::map<std::string, std::string, std::less<>> f;
  if (auto bad = string_fields(req.body, {"decision"}, f))
    return done(json_error(400, error_code::bad_request, "review: " + *bad));
  if (f["decision"] != "approve" && f["decision"] != "reject")
    return done(
        json_error(400, error_code::bad_request, "review: 'decision' must be approve or reject"));
  bool const approve = f["decision"] == "approve";
  // The id names no table: the tables say which one holds it.
  collect_comments(
      n, worker,
      [&n, worker, id = std::move(id), approve,
       done = std::move(done)](std::vector<comment_view> all) mutable {
        auto const it = std::find_if(all.begin(), all.end(), [&](comment_view const& c) {
          return c.id == id && !c.approved;
        });
        auto* slot = it == all.end() ? nullptr : n.find_room(it->table);
        if (!slot) return done(json_error(404, error_code::not_found, "no such comment waiting"));
        json_writer w;
        w.begin_object()
            .field("ok", true)
            .field("id", id)
            .field("status", approve ? "approved" : "rejected")
            .end_object();
        answer_after(
            n, worker, *slot,
            [id, approve](room& r) {
              // The admin API speaks as the organisers, with the chair's rights.
              return r.review_comment(participant{"admin", "Organisers", role::chair, {}},
                                      cmd::comment_review{id, approve}, node::now_ms());
            },
            w.release(), std::move(done));
      });
}

}  // namespace roundtable
