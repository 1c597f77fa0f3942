// The front-end's state: who we are (and how we come back after a reload: the
// identity kept in localStorage), the event, the tables, the plenary and the
// current table, and the votes this person gave. The server decides everything;
// this is what the page shows.
import { storage } from '/ui.js';

export const state = {
  client: null,
  you: null,
  event: null,
  tables: [],
  claims: {},          // the token's payload, for the UI only
  token: '',
  view: 'join',
  plenary: { feed: [], chat: [], phase: null },
  table: null,         // {room, epoch, topic, moderator, participants Map, messages, insights, hands, speaker, timer, summary, published, open}
  handUp: false,
  unread: 0,
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

// ---- the votes this person gave ----------------------------------------------------

// Insight ids are per room and epoch; the server refuses a second vote, and this
// lets the page show "you voted" after a reload or in a second tab.
const VOTES = 'roundtable.votes';
const VOTE_ROOMS = 20;

function voteKey() {
  const tb = state.table;
  return tb && state.you ? `${state.you.id}/${tb.room}/${tb.epoch}` : null;
}

export const votes = {
  has(insight) {
    const key = voteKey();
    const all = storage.get(VOTES) || {};
    return !!key && Array.isArray(all[key]) && all[key].includes(insight);
  },
  set(insight, voted) {
    const key = voteKey();
    if (!key) return;
    const all = storage.get(VOTES) || {};
    const mine = new Set(all[key] || []);
    if (voted) mine.add(insight);
    else mine.delete(insight);
    delete all[key];
    all[key] = [...mine];
    // Bounded: the latest rooms only.
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - VOTE_ROOMS))) delete all[k];
    storage.set(VOTES, all);
  },
};

// ---- timers that ran out ------------------------------------------------------------

// A table's snapshot says "no timer" both before any timer and after one ran out;
// remembering the end keeps a reloaded page saying "Time is up" as the others do.
const ENDED = 'roundtable.timersEnded';

export const endedTimers = {
  has(room, epoch) { return !!(storage.get(ENDED) || {})[`${room}/${epoch}`]; },
  set(room, epoch, ended) {
    const all = storage.get(ENDED) || {};
    if (ended) all[`${room}/${epoch}`] = true;
    else delete all[`${room}/${epoch}`];
    storage.set(ENDED, all);
  },
};
