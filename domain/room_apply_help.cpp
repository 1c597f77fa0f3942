// Calling the chair for help, applied in the table's log order like every
// other command (see room_apply.cpp). A table has at most one open call: the
// table's moderator asks (a participant too when the table's config says
// `"help": "participants"`); it stays open until the chair comes to the table
// (their join answers it) or someone dismisses it. Each change reaches the
// chairs only, wherever they are, as a direct `help` event, and the lobby row
// says whether the table waits, for every chair's overview.
#include "domain/room.hpp"

namespace roundtable {

using protocol::json_writer;

namespace {

// Who may call: the table's moderator; its participants when the table lets them.
bool may_call(table_config const& cfg, participant const& p, bool seated) {
  if (p.moderates_table(cfg.id)) return true;
  return p.who == role::participant && cfg.help_participants && seated;
}

}  // namespace

template <class Fill>
void room::tell_chairs(Fill&& fill) {
  json_writer w;
  w.begin_object().field("type", "help").field("table", cfg_.id);
  fill(w);
  w.end_object();
  direct_.push_back({{}, std::make_shared<std::string const>(w.release()), audience::chairs});
}

outcome room::on(room_command const& c, cmd::help const& op) {
  if (is_plenary()) return make_error(error_code::bad_request, "help is called from a table");
  if (op.done) {
    if (!help_) return {};  // answered already
    bool const may_close =
        c.who.is_chair() || c.who.moderates_table(cfg_.id) || c.who.id == help_->from.id;
    if (!may_close)
      return make_error(error_code::forbidden,
                        "only the chair, the table's moderator or the caller");
    answer_help(c);
    return {};
  }
  if (c.who.is_chair()) return make_error(error_code::forbidden, "the chair answers help calls");
  bool const seated = roster_.count(c.conn) != 0;
  if (!may_call(cfg_, c.who, seated)) {
    return make_error(error_code::forbidden, cfg_.help_participants
                                                 ? "only someone seated at this table"
                                                 : "only the table's moderator may call the chair");
  }
  // One open call per table: asking again adds nothing to the chairs' screens.
  if (help_) return {};
  help_ = help_call{participant{c.who.id, c.who.name, c.who.who, {}}, c.ts};
  tell_chairs([&](json_writer& w) {
    w.key("from");
    write_participant(w, help_->from);
    w.field("ts", c.ts).field("done", false);
  });
  return {};
}

void room::answer_help(room_command const& c) {
  help_.reset();
  tell_chairs([&](json_writer& w) {
    w.key("by");
    write_participant(w, c.who);
    w.field("ts", c.ts).field("done", true);
  });
}

}  // namespace roundtable
