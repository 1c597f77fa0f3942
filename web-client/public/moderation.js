// Moderation in the page: the house rules (lobby and table), hiding and
// restoring messages and insights, muting and removing people at a table, and
// what the person concerned sees (a notice with the moderator's reason);
// pre-moderation: the held messages and insights, "waiting for the moderator"
// to their author, approve and reject to the moderator. The server decides;
// these handlers keep the view in step with its events.
import { $, h, t, notice, announce, showError, keepFocus } from '/ui.js';
import { state, canModerateHere } from '/state.js';

let hooks = { render: () => {}, leave: () => {} };

// `render` redraws the table; `leave` drops it and shows the lobby.
export function setModerationHooks(value) { hooks = value; }

export function mutedHere() {
  return !!(state.table && state.you && state.table.muted.has(state.you.id));
}

export function renderRules() {
  const rules = (state.event && state.event.rules) || '';
  for (const id of ['lobby-rules', 'table-rules']) {
    $(id).hidden = !rules;
    $(id).textContent = rules ? t('mod.rules', { rules }) : '';
  }
}

const reason = () => $('mod-reason').value.trim() || undefined;

async function act(promise) {
  try {
    await promise;
  } catch (err) {
    showError(err);
  }
}

export function hideButton(m) {
  return h('button', {
    type: 'button', class: 'secondary', 'data-focus': `hide:${m.id}`,
    'aria-label': t('mod.hideLabel', { name: (m.from && m.from.name) || '?' }),
    onclick: () => act(state.client.hide(m.id, state.table.room)),
    text: t('mod.hide'),
  });
}

// The moderator's buttons beside a person (none for moderators, the chair and oneself).
export function personControls(p) {
  if (!canModerateHere() || p.role !== 'participant' || (state.you && p.id === state.you.id)) return null;
  const muted = state.table.muted.has(p.id);
  return [' ',
    h('button', {
      type: 'button', class: 'secondary', 'data-focus': `mute:${p.id}`, 'aria-pressed': String(muted),
      'aria-label': t(muted ? 'mod.unmuteLabel' : 'mod.muteLabel', { name: p.name }),
      onclick: () => act(state.client.mute(p.id, { on: !muted, reason: reason() })),
      text: t(muted ? 'mod.unmute' : 'mod.mute'),
    }),
    ' ',
    h('button', {
      type: 'button', class: 'danger', 'data-focus': `remove:${p.id}`,
      'aria-label': t('mod.removeLabel', { name: p.name }),
      onclick: () => act(state.client.remove(p.id, { reason: reason() })),
      text: t('mod.remove'),
    })];
}

export function renderHidden() {
  const list = $('hidden-items');
  const items = [...state.table.hidden.values()];
  keepFocus(list, () => list.replaceChildren(...items.map((x) => h('li', { 'data-id': x.id },
    h('span', { class: 'text', text: x.text }), ' ',
    h('button', {
      type: 'button', class: 'secondary', 'data-focus': `restore:${x.id}`,
      'aria-label': t('mod.restoreLabel', { text: x.text }),
      onclick: () => act(state.client.restore(x.id, state.table.room)),
      text: t('mod.restore'),
    })))), $('mod-reason'));
  if (!items.length) list.append(h('li', { class: 'muted', text: t('mod.noneHidden') }));
}

// ---- pre-moderation ----------------------------------------------------------------

// The server marks the author's copy: an anonymous item's `from` is a pseudonym.
const mine = (x) => !!x.own;

function decideButton(x, approve) {
  const op = approve ? 'approve' : 'reject';
  return h('button', {
    type: 'button', class: approve ? 'secondary' : 'danger', 'data-focus': `${op}:${x.id}`,
    'aria-label': t(`held.${op}Label`, { text: x.text }),
    onclick: () => act(state.client[op](x.id, state.table.room)),
    text: t(`held.${op}`),
  });
}

// The held items this page may see (the server sends a participant only their
// own): the author reads "waiting for the moderator", the moderator decides.
export function renderPending() {
  const tb = state.table;
  const items = [...tb.pending.values()];
  const moderating = canModerateHere();
  const list = $('pending-items');
  keepFocus(list, () => list.replaceChildren(...items.map((x) => h('li', { 'data-id': x.id },
    h('span', { class: 'badge', text: t(x.insight ? 'held.insight' : 'held.message') }), ' ',
    moderating && x.from ? [h('span', { class: 'who', text: x.from.name }), ' '] : null,
    h('span', { class: 'text', text: x.text }), ' ',
    mine(x) ? h('span', { class: 'waiting muted', text: t('held.waiting') }) : null,
    moderating ? [decideButton(x, true), ' ', decideButton(x, false)] : null))),
  $(moderating ? 'premoderate-btn' : 'say-text'));
  // Hidden after the redraw, which moved the focus out of the list first.
  $('pending-box').hidden = !items.length;
  $('premoderate-btn').setAttribute('aria-pressed', String(!!tb.premoderate));
}

function onPending(ev) {
  const tb = state.table;
  if (ev.pending) {
    tb.pending.set(ev.id, ev);
    if (mine(ev)) announce(t('held.queued'));
  } else {
    const held = tb.pending.get(ev.id);
    tb.pending.delete(ev.id);
    if (held && mine(held)) {
      const text = t(ev.approved ? 'held.approvedYou' : 'held.rejectedYou', { text: held.text });
      notice(text);
      announce(text);
    }
  }
  renderPending();
}

function onHidden(ev) {
  const tb = state.table;
  const msg = tb.messages.find((m) => m.id === ev.item);
  const ins = tb.insights.find((i) => i.id === ev.item);
  const item = msg || ins;
  if (item) tb.hidden.set(ev.item, { id: ev.item, text: item.text });
  tb.messages = tb.messages.filter((m) => m.id !== ev.item);
  tb.insights = tb.insights.filter((i) => i.id !== ev.item);
  hooks.render();
}

function onRestored(ev) {
  const tb = state.table;
  tb.hidden.delete(ev.item);
  if (ev.message && !tb.messages.some((m) => m.id === ev.item)) {
    tb.messages.push(ev.message);
    tb.messages.sort((a, b) => a.seq - b.seq);
  }
  if (ev.insight && !tb.insights.some((i) => i.id === ev.item)) tb.insights.push(ev.insight);
  hooks.render();
}

function onSanction(ev, set, mine) {
  if (ev.on) set.add(ev.participant);
  else set.delete(ev.participant);
  if (state.you && ev.participant === state.you.id) {
    const text = t(mine, { reason: ev.reason || t('mod.noReason') });
    notice(text);
    announce(text);
  }
  hooks.render();
}

export function attachModeration(client) {
  $('premoderate-btn').onclick = () => {
    if (state.table) act(state.client.setPremoderate(state.table.room, !state.table.premoderate));
  };
  const atTable = (ev) => state.table && ev.room === state.table.room;
  client.on('hidden', (ev) => { if (atTable(ev)) onHidden(ev); });
  client.on('pending', (ev) => { if (atTable(ev)) onPending(ev); });
  client.on('moderation', (ev) => {
    if (!state.table || ev.table !== state.table.room) return;
    state.table.premoderate = ev.premoderate;
    renderPending();
  });
  client.on('restored', (ev) => { if (atTable(ev)) onRestored(ev); });
  client.on('muted', (ev) => {
    if (atTable(ev)) onSanction(ev, state.table.muted, ev.on ? 'mod.mutedYou' : 'mod.unmutedYou');
  });
  client.on('removed', (ev) => {
    if (!atTable(ev) || !ev.on || !state.you || ev.participant !== state.you.id) return;
    const text = t('mod.removedYou', { topic: state.table.topic, reason: ev.reason || t('mod.noReason') });
    hooks.leave();
    notice(text);
    announce(text);
  });
}
