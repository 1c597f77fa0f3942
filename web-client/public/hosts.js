// The hosts' tools in the browser: the chair console's "move people" form (a
// list typed or loaded from a CSV file, sent as moves, each refusal listed by
// line), its "balance the tables" button (who moved where, listed) and "back
// to the plenary" form; what a moved participant sees (the table the chair
// seated them at, who moved them and, for a balance, why), and the recall's
// countdown in every view, then everyone back in the plenary.
import { parseMoves } from '/sdk/roundtable.js';
import { $, h, t, notice, announce, showError } from '/ui.js';
import { state } from '/state.js';

let hooks = { seated: () => {}, recalled: () => {} };
// `seated()`: show the table view after a move; `recalled()`: the plenary view
// once the tables closed (app.js owns the views).
export function setHostsHooks(fns) { hooks = fns; }

function errorText(err) {
  return t(`error.${err.code}`);
}

async function sendMoves() {
  const { moves, errors } = parseMoves($('move-list').value);
  const lines = errors.map((e) => t('hosts.moveBadLine', { line: e.line, text: e.text }));
  if (moves.length === 0 && lines.length === 0) lines.push(t('hosts.moveNone'));
  let summary = '';
  if (moves.length) {
    const results = await state.client.moveMany(moves);
    for (const r of results) {
      if (r.ok) continue;
      const who = r.move.participant || r.move.name;
      lines.push(t('hosts.moveRefused', { who, table: r.move.table, reason: errorText(r.error) }));
    }
    summary = t('hosts.moveResult', { ok: results.filter((r) => r.ok).length, count: results.length });
  }
  $('move-results').replaceChildren(...lines.map((text) => h('li', { text })));
  if (summary) notice(summary);
  announce([summary, ...lines].filter(Boolean).join(' '));
}

// The chair's "balance the tables": who moved, from which table to which.
async function balanceTables() {
  let reply;
  try {
    reply = await state.client.balance();
  } catch (err) {
    showError(err);
    return;
  }
  const topic = (id) => (state.tables.find((x) => x.id === id) || {}).topic || id;
  const lines = (reply.moves || []).map((m) =>
    t('hosts.balanceMoved', { name: m.participant.name, from: topic(m.from), table: topic(m.table) }));
  const summary = lines.length ? t('hosts.balanceResult', { count: lines.length }) : t('hosts.balanceNone');
  $('balance-results').replaceChildren(...lines.map((text) => h('li', { text })));
  notice(summary);
  announce([summary, ...lines].join(' '));
}

// ---- back to the plenary --------------------------------------------------------

let recallTick = null;

// The countdown, once a second while a recall runs. Not a live region: read
// out at its start and end only (a screen reader would repeat every second).
function renderRecall() {
  const endsAt = state.client ? state.client.recallEndsAt : 0;
  const banner = $('recall-banner');
  clearInterval(recallTick);
  recallTick = null;
  banner.hidden = !endsAt;
  if (!endsAt) return;
  const draw = () => {
    const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
    const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    banner.textContent = t('hosts.recallIn', { time });
  };
  draw();
  recallTick = setInterval(draw, 1000);
}

function onRecall(ev) {
  renderRecall();
  let text;
  if (ev.ended) {
    text = t('hosts.recallEnded');
    hooks.recalled();
  } else if (ev.ends_at) {
    text = t('hosts.recallSet', { minutes: Math.max(0, Math.round((ev.ends_at - Date.now()) / 60000)) });
  } else {
    text = t('hosts.recallOff');
  }
  notice(text);
  announce(text);
}

export function wireHosts() {
  $('recall-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const minutes = Number($('recall-minutes').value);
    try {
      await state.client.recall(minutes);
    } catch (err) {
      showError(err);
    }
  });
  $('recall-cancel').addEventListener('click', async () => {
    try {
      await state.client.cancelRecall();
    } catch (err) {
      showError(err);
    }
  });
  $('move-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sendMoves();
  });
  $('balance-btn').addEventListener('click', balanceTables);
  // A file's text goes into the list, where the chair can read it before sending.
  $('move-file').addEventListener('change', async () => {
    const file = $('move-file').files[0];
    if (!file) return;
    $('move-list').value = await file.text();
    $('move-list').focus();
  });
}

// ---- anonymous contributions ------------------------------------------------------

// The options of a `say` or `insight`: anonymous when the box is shown and ticked.
export function anonymousChoice(boxId) {
  const box = $(boxId);
  return { anonymous: !box.parentElement.hidden && box.checked };
}

function showAnonymousChoice(allowed) {
  for (const el of document.querySelectorAll('.anon-choice')) el.hidden = !allowed;
}

export function attachHosts(client) {
  client.on('snapshot', ({ room, snapshot }) => {
    if (room !== 'plenary') showAnonymousChoice(!!snapshot.anonymous);
  });
  client.on('recall', onRecall);
  client.on('welcome', renderRecall);
  client.on('moved', (ev) => {
    const by = ev.by ? ev.by.name : '';
    let text;
    if (ev.snapshot) {
      // A balance says so: the person learns why they were moved.
      text = t(ev.balance ? 'hosts.balancedYou' : 'hosts.movedYou', { by, topic: ev.snapshot.topic });
      hooks.seated();
    } else {
      text = t('hosts.moveFailed', { by, table: ev.table, reason: errorText(ev.error || {}) });
    }
    notice(text);
    announce(text);
  });
}
