// The front-end's state: who we are (and how we come back after a reload: the
// identity kept in localStorage), the event, the tables, the plenary and the
// current table. The server decides everything (the snapshots say which
// insights we voted for and whether the timer ran out); this is what the page
// shows.
import { storage } from '/ui.js';

export const state = {
  client: null,
  you: null,
  event: null,
  tables: [],
  claims: {},          // the token's payload, for the UI only
  token: '',
  view: 'join',
  plenary: { feed: [], chat: [], phase: null, polls: [], reactions: {}, reacted: {} },
  table: null,         // {room, epoch, topic, moderator, participants Map, messages, insights, hands, speaker, timer, summary, published, open}
  handUp: false,
  unread: 0,
  invite: null,        // {table, link}: the moderator's invitation of the table the chair opened last
};

export function decodeClaims(token) {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

export function role() { return (state.you && state.you.role) || 'participant'; }
export function moderatedTable() {
  if (role() !== 'moderator') return null;
  return (state.you && state.you.moderates) || state.claims.table || null;
}
export function canModerateHere() {
  if (!state.table) return false;
  if (role() === 'chair') return true;
  return role() === 'moderator' && moderatedTable() === state.table.room;
}
// Who may write the table's summary and read its draft before it is published
// (the server's room::may_draft): today whoever moderates here.
export function mayDraftHere() { return canModerateHere(); }
// Who may call the chair to this table (the server's `help` rule): its
// moderator, and its participants when the table lets them.
export function mayCallHere() {
  if (!state.table || role() === 'chair') return false;
  return moderatedTable() === state.table.room ||
    (role() === 'participant' && state.table.helpFrom === 'participants');
}
// At a closed table only its moderator and the chair may write.
export function mayWriteHere() {
  return !!state.table && (state.table.open || canModerateHere());
}

// ---- identity across reloads -------------------------------------------------------

// {name, token, guest}: a guest token the server handed out, or the link's token.
const IDENTITY = 'roundtable.identity';
const TABLE = 'roundtable.table';

export const identity = {
  load() { return storage.get(IDENTITY); },
  save(value) { storage.set(IDENTITY, value); },
  forget() {
    storage.remove(IDENTITY);
    storage.remove(TABLE);
  },
  // The table to go back to after a reload (null: the lobby).
  table() { return storage.get(TABLE); },
  setTable(id) {
    if (id) storage.set(TABLE, id);
    else storage.remove(TABLE);
  },
};
