// Polls and reactions in the page. A room's polls (the plenary's, the
// table's) are drawn as fieldsets: one radio button or checkbox per option,
// the counts beside them once the server shows them, a Vote button, and for
// whoever runs the room a Close button and the form that asks a question.
// Reactions are six toggle buttons under each message and report. The counts
// come coalesced from the server (`poll_results`, `reactions`); the bars are
// updated in place so that the keyboard focus stays where it was.
import { $, h, t, plural, keepFocus, showError, applyStaticStrings } from '/ui.js';
import { state, role, canModerateHere } from '/state.js';

export const REACTIONS = ['\u{1F44D}', '\u2764\uFE0F', '\u{1F4A1}', '\u{1F44F}', '\u2753', '\u{1F44E}'];

async function act(promise) {
  try {
    return await promise;
  } catch (err) {
    showError(err);
    return null;
  }
}

// The room's polls and reactions as the page holds them.
function roomState(room) {
  if (room === 'plenary') return state.plenary;
  return state.table && state.table.room === room ? state.table : null;
}

// Takes a snapshot's polls, reactions and reacted into `target` (plenary or table).
export function loadPollState(target, snap) {
  target.polls = (snap.polls || []).map((p) => ({ ...p, mine: p.mine || [] }));
  target.reactions = { ...(snap.reactions || {}) };
  target.reacted = { ...(snap.reacted || {}) };
}

const runsPolls = (room) => (room === 'plenary' ? role() === 'chair' : canModerateHere());

// ---- polls ------------------------------------------------------------------------------

function pollItem(room, p) {
  const input = p.multiple ? 'checkbox' : 'radio';
  const counted = Array.isArray(p.counts);
  const options = p.options.map((label, i) => h('label', { class: 'poll-option' },
    h('input', {
      type: input, name: `poll-${room}-${p.id}`, value: String(i), 'data-focus': `poll:${p.id}:${i}`,
      checked: p.mine.includes(i) ? '' : undefined, disabled: p.open ? undefined : '',
    }),
    ' ', h('span', { text: label }),
    counted ? h('span', { class: 'count', text: ` ${plural('poll.votes', p.counts[i] || 0)}` }) : null));
  const status = p.open
    ? (counted ? t('poll.live') : t('poll.atClose'))
    : t('poll.closed');
  return h('li', { 'data-poll': p.id },
    h('fieldset', {},
      h('legend', { text: p.question }),
      ...options,
      h('p', { class: 'muted', text: [status, p.mine.length ? t('poll.voted') : ''].filter(Boolean).join(' · ') }),
      p.open ? h('button', {
        type: 'button', class: 'secondary', 'data-focus': `vote:${p.id}`,
        'aria-label': t('poll.voteLabel', { question: p.question }),
        onclick: () => vote(room, p),
        text: t('poll.vote'),
      }) : null,
      p.open && runsPolls(room) ? h('button', {
        type: 'button', class: 'danger', 'data-focus': `close:${p.id}`,
        'aria-label': t('poll.closeLabel', { question: p.question }),
        onclick: () => act(state.client.pollClose(p.id, room)),
        text: t('poll.close'),
      }) : null));
}

async function vote(room, p) {
  const boxes = document.querySelectorAll(`input[name="poll-${room}-${p.id}"]:checked`);
  const choices = [...boxes].map((b) => Number(b.value));
  if (!choices.length) {
    showError({ code: 'bad_request', message: t('poll.pick') });
    return;
  }
  if (await act(state.client.pollVote(p.id, choices, room))) {
    p.mine = choices.sort((a, b) => a - b);
    renderPolls(room);
  }
}

export function renderPolls(room) {
  const list = $(room === 'plenary' ? 'plenary-polls' : 'table-polls');
  const rs = roomState(room);
  const polls = (rs && rs.polls) || [];
  // Choices ticked but not sent yet survive the counts coming in.
  const ticked = [...list.querySelectorAll('input')].map((i) => [i.dataset.focus, i.checked]);
  keepFocus(list, () => {
    list.replaceChildren(...polls.map((p) => pollItem(room, p)));
    if (!polls.length) list.append(h('li', { class: 'muted', text: t('poll.none') }));
    for (const [key, checked] of ticked) {
      const input = list.querySelector(`input[data-focus="${CSS.escape(key)}"]`);
      if (input && !input.disabled) input.checked = checked;
    }
  }, $(room === 'plenary' ? 'plenary-polls-heading' : 'table-polls-heading'));
  const form = $(room === 'plenary' ? 'plenary-poll-form' : 'table-poll-form');
  form.hidden = !runsPolls(room);
}

async function askQuestion(ev, room) {
  ev.preventDefault();
  const prefix = room === 'plenary' ? 'plenary' : 'table';
  const question = $(`${prefix}-poll-question`).value.trim();
  const options = $(`${prefix}-poll-options`).value.split('\n').map((s) => s.trim()).filter(Boolean);
  const target = room === 'plenary' ? 'plenary' : state.table && state.table.room;
  if (!target) return;
  const ok = await act(state.client.poll(target, question, options, {
    multiple: $(`${prefix}-poll-multiple`).checked,
    live: !$(`${prefix}-poll-hidden`).checked,
  }));
  if (ok) {
    $(`${prefix}-poll-question`).value = '';
    $(`${prefix}-poll-options`).value = '';
  }
}

// ---- reactions ---------------------------------------------------------------------------

function reactionButton(room, item, i, rs) {
  const emoji = REACTIONS[i];
  const count = ((rs && rs.reactions[item]) || {})[emoji] || 0;
  const mine = !!rs && rs.reacted[item] === emoji;
  return h('button', {
    type: 'button', class: 'reaction', 'data-focus': `react:${item}:${i}`, 'aria-pressed': String(mine),
    'aria-label': t('react.label', { name: t(`react.${i}`), count }),
    onclick: () => react(room, item, emoji),
    text: count ? `${emoji} ${count}` : emoji,
  });
}

// The six reaction buttons under a message or a report of `room`: one
// toolbar, one Tab stop (the arrow keys, Home and End move along it), so that
// a keyboard user does not tab through six buttons per message.
export function reactionBar(room, item) {
  const rs = roomState(room);
  const buttons = REACTIONS.map((_, i) => reactionButton(room, item, i, rs));
  buttons.forEach((b, i) => b.setAttribute('tabindex', i === 0 ? '0' : '-1'));
  return h('div', {
    class: 'reactions', role: 'toolbar', 'aria-label': t('react.group'), 'data-reactions': `${room}:${item}`,
    onkeydown: (ev) => moveAlong(ev, buttons),
  }, ...buttons);
}

function moveAlong(ev, buttons) {
  const at = buttons.indexOf(document.activeElement);
  if (at < 0) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[ev.key];
  if (to === undefined) return;
  ev.preventDefault();
  const next = buttons[(to + buttons.length) % buttons.length];
  for (const b of buttons) b.setAttribute('tabindex', b === next ? '0' : '-1');
  next.focus();
}

function redrawBars(room, items) {
  const rs = roomState(room);
  for (const item of items) {
    for (const bar of document.querySelectorAll(`[data-reactions="${CSS.escape(`${room}:${item}`)}"]`)) {
      bar.querySelectorAll('button').forEach((old, i) => {
        const fresh = reactionButton(room, item, i, rs);
        old.textContent = fresh.textContent;
        old.setAttribute('aria-pressed', fresh.getAttribute('aria-pressed'));
        old.setAttribute('aria-label', fresh.getAttribute('aria-label'));
      });
    }
  }
}

// Toggles one's reaction now (the server's counts follow, coalesced).
async function react(room, item, emoji) {
  const rs = roomState(room);
  if (!rs || !await act(state.client.react(item, emoji, room))) return;
  const before = rs.reacted[item];
  const counts = { ...(rs.reactions[item] || {}) };
  if (before) counts[before] = Math.max(0, (counts[before] || 0) - 1);
  if (before === emoji) {
    delete rs.reacted[item];
  } else {
    rs.reacted[item] = emoji;
    counts[emoji] = (counts[emoji] || 0) + 1;
  }
  rs.reactions[item] = counts;
  redrawBars(room, [item]);
}

// ---- events ------------------------------------------------------------------------------

export function attachPolls(client) {
  client.on('poll', (ev) => {
    const rs = roomState(ev.room);
    if (!rs) return;
    rs.polls = (rs.polls || []).filter((p) => p.id !== ev.id);
    rs.polls.push({ ...ev, mine: [], counts: ev.live || runsPolls(ev.room) ? ev.options.map(() => 0) : undefined });
    renderPolls(ev.room);
  });
  client.on('poll_results', (ev) => {
    const rs = roomState(ev.room);
    const p = rs && (rs.polls || []).find((x) => x.id === ev.poll);
    if (!p) return;
    p.counts = ev.counts;
    p.open = ev.open;
    renderPolls(ev.room);
  });
  client.on('reactions', (ev) => {
    const rs = roomState(ev.room);
    if (!rs) return;
    Object.assign(rs.reactions, ev.items);
    redrawBars(ev.room, Object.keys(ev.items));
  });
}

// The question forms, once per page: the same fields in both, each field
// named `${room}-poll-${field}` and its label tied to it.
export function wirePolls() {
  for (const room of ['plenary', 'table']) {
    const form = $(`${room}-poll-form`);
    form.append($('poll-form-fields').content.cloneNode(true));
    for (const el of form.querySelectorAll('[data-field]')) {
      const id = `${room}-poll-${el.dataset.field}`;
      if (el.tagName === 'LABEL') el.htmlFor = id;
      else el.id = id;
    }
    form.addEventListener('submit', (ev) => askQuestion(ev, room));
  }
  applyStaticStrings();  // the copied labels, in the page's language
}
