// The table view: the discussion, the timer, the hand queue, the key insights
// with votes, the moderator's summary and the people seated, plus the moderator
// console's live parts. Loaded from a snapshot, then kept current by the
// table's events; lists are redrawn with the focus kept where it was.
import { $, h, t, plural, formatTime, keepFocus, announce, showError } from '/ui.js';
import { guideOf } from '/lobby.js';
import { state, canModerateHere, mayDraftHere, mayCallHere, mayWriteHere, identity } from '/state.js';
import { mutedHere, renderRules, hideButton, personControls, renderHidden, renderPending } from '/moderation.js';
import { loadPollState, renderPolls, reactionBar } from '/polls.js';

// Runs an op and reports its failure in words; resolves to the reply or null.
export async function run(promise) {
  try {
    return await promise;
  } catch (err) {
    showError(err);
    return null;
  }
}

function tableInfo(id) { return state.tables.find((x) => x.id === id); }

// A timer as the server sends it (event or snapshot): running, paused or none.
export function timerFrom(tm) {
  if (!tm) return null;
  if (tm.paused) return { paused: true, left: tm.left, seconds: tm.seconds };
  return tm.ends_at ? { ends_at: tm.ends_at, seconds: tm.seconds } : null;
}

export function loadTable(snap) {
  const info = tableInfo(snap.room) || {};
  state.table = {
    room: snap.room,
    epoch: snap.epoch,
    topic: snap.topic ?? info.topic ?? snap.room,
    moderator: snap.moderator ?? info.moderator ?? '',
    participants: new Map((snap.participants || []).map((p) => [p.id, p])),
    messages: (snap.messages || []).slice(),
    insights: (snap.insights || []).slice(),
    hands: (snap.hands || []).slice(),
    speaker: snap.speaker || null,
    // The server says whether the last timer ran out, so a reload shows "Time is up" too.
    timer: timerFrom(snap.timer) || (snap.timer_ended ? { ended: true } : null),
    summary: snap.summary ?? null,
    published: snap.published ?? null,
    helpFrom: snap.help_from || 'moderators',
    open: snap.open !== false,
    muted: new Set(snap.muted || []),
    roles: new Map((snap.roles || []).map((r) => [r.participant, r.role])),  // table roles by participant id
    hidden: new Map(),  // what this page saw hidden, for the moderator's restore list
    premoderate: !!snap.premoderate,
    pending: new Map((snap.pending || []).map((x) => [x.id, x])),  // the held items this page may see
  };
  loadPollState(state.table, snap);
  state.handUp = state.table.hands.some((x) => state.you && x.id === state.you.id);
  identity.setTable(snap.room);
  const box = $('summary-text');
  if (document.activeElement !== box) box.value = state.table.summary || '';
  renderTable();
}

export function clearTable() {
  state.table = null;
  identity.setTable(null);
  renderTable();
}

export function renderTable() {
  const tb = state.table;
  $('table-none').hidden = !!tb;
  $('table-body').hidden = !tb;
  if (!tb) {
    $('table-heading').textContent = t('nav.table');
    return;
  }
  $('table-heading').textContent = t('table.topic', { topic: tb.topic });
  $('table-closed').hidden = tb.open;
  $('table-guide').replaceChildren(...guideOf(tableInfo(tb.room)));
  $('mod-console').hidden = !canModerateHere();
  $('summary-form').hidden = !mayDraftHere();
  $('help-row').hidden = !mayCallHere();
  // A muted participant still reads and votes, but posts nothing here.
  const locked = !mayWriteHere() || mutedHere();
  $('muted-notice').hidden = !mutedHere();
  renderRules();
  for (const id of ['say-text', 'insight-text']) $(id).disabled = locked;
  for (const b of document.querySelectorAll('#say-form button, #insight-form button')) b.disabled = locked;
  renderMessages();
  renderPeople();
  renderHands();
  renderInsights();
  renderTimer();
  renderSummary();
  renderPolls(tb.room);
  renderPending();
  if (canModerateHere()) renderHidden();
}

// ---- the discussion ---------------------------------------------------------------

export function messageItem(m, room, onDelete, withHide = false) {
  const from = m.from || {};
  return h('li', { 'data-id': m.id },
    h('div', {},
      h('span', { class: 'who', text: from.name || '?' }),
      from.role && from.role !== 'participant' ? h('span', { class: `badge role-${from.role}`, text: t(`role.${from.role}`) }) : null,
      ' ',
      h('time', { datetime: m.ts ? new Date(m.ts).toISOString() : undefined, class: 'muted', text: formatTime(m.ts) }),
      h('div', { class: 'text', text: m.text }),
      m.id ? reactionBar(room, m.id) : null),
    onDelete ? h('button', {
      type: 'button', class: 'danger', 'data-focus': `del:${m.id}`,
      'aria-label': t('table.deleteLabel', { name: from.name || '?' }),
      onclick: () => onDelete(room, m.id),
      text: t('table.deleteMsg'),
    }) : null,
    withHide ? hideButton(m) : null);
}

const deleteAtTable = (room, id) => run(state.client.delete(room, id));

export function renderMessages() {
  const list = $('messages');
  const del = canModerateHere() ? deleteAtTable : null;
  keepFocus(list, () => {
    list.replaceChildren(...state.table.messages.map((m) => messageItem(m, state.table.room, del, !!del)));
    if (!state.table.messages.length) list.append(h('li', { class: 'empty', text: t('table.empty') }));
  }, $('say-text'));
  list.scrollTop = list.scrollHeight;
}

export function addMessage(m) {
  state.table.messages.push(m);
  const list = $('messages');
  const empty = list.querySelector('.empty');
  if (empty) empty.remove();
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const mod = canModerateHere();
  list.append(messageItem(m, state.table.room, mod ? deleteAtTable : null, mod));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

export function removeMessage(id) {
  state.table.messages = state.table.messages.filter((x) => x.id !== id);
  renderMessages();
}

// ---- people, hands, insights ------------------------------------------------------

export function renderPeople() {
  const list = $('people');
  keepFocus(list, () => list.replaceChildren(...[...state.table.participants.values()].map((p) =>
    h('li', { 'data-id': p.id }, p.name,
      p.role && p.role !== 'participant' ? [' ', h('span', { class: `badge role-${p.role}`, text: t(`role.${p.role}`) })] : null,
      state.table.muted.has(p.id) ? [' ', h('span', { class: 'badge', text: t('mod.mutedBadge') })] : null,
      state.table.roles.has(p.id) ? [' ', h('span', { class: 'badge table-role', text: state.table.roles.get(p.id) })] : null,
      // What they said of themselves at hello: their group and what they bring.
      p.stakeholder || p.expertise
        ? [' ', h('span', { class: 'said', text: [p.stakeholder, p.expertise].filter(Boolean).join(': ') })] : null,
      personControls(p)))), $('people-heading'));
}

export function renderHands() {
  const tb = state.table;
  const me = state.you && state.you.id;
  const list = $('hands');
  // A moderator runs the discussion from the queue: anyone gets the floor, any hand goes down.
  const mod = canModerateHere();
  keepFocus(list, () => {
    list.replaceChildren(...tb.hands.map((x) => h('li', { class: x.id === me ? 'mine' : null, 'data-id': x.id },
      h('span', { class: 'name', id: `hand-${x.id}`, text: x.name }),
      ...(mod ? [
        h('button', {
          type: 'button', class: 'secondary', 'data-focus': `give:${x.id}`, 'aria-describedby': `hand-${x.id}`,
          onclick: () => run(state.client.giveFloor(tb.room, x.id)), text: t('hands.give'),
        }),
        h('button', {
          type: 'button', class: 'secondary', 'data-focus': `drop:${x.id}`, 'aria-describedby': `hand-${x.id}`,
          onclick: () => run(state.client.lowerHand(x.id)), text: t('hands.drop'),
        }),
      ] : []))));
    if (!tb.hands.length) list.append(h('li', { class: 'muted', text: t('hands.none') }));
  }, $('next-hand'));
  $('end-turn').disabled = !tb.speaker;
  $('speaker').hidden = !tb.speaker;
  $('speaker').textContent = tb.speaker ? t('hands.speaker', { name: tb.speaker.name }) : '';
  const place = tb.hands.findIndex((x) => x.id === me);
  const floor = $('floor');
  const mine = tb.speaker && tb.speaker.id === me;
  floor.hidden = !mine && place < 0;
  floor.textContent = mine ? t('hands.yourTurn') : place >= 0 ? t('hands.place', { place: place + 1, total: tb.hands.length }) : '';
  const btn = $('hand-btn');
  btn.setAttribute('aria-pressed', String(state.handUp));
  btn.textContent = state.handUp ? t('hands.lower') : t('hands.raise');
}

// The floor changed: tell the person who now has it.
export function floorChanged(before, after) {
  const me = state.you && state.you.id;
  if (after && after.id === me && (!before || before.id !== me)) announce(t('hands.yourTurn'));
}

// `ins.voted` comes from the snapshot (the server knows whose votes it holds)
// and from our own votes since. The vote's `insight` event comes before the
// reply and replaces the entry: mark the one in the list now.
async function toggleVote(ins) {
  const voted = !!ins.voted;
  const mark = (v) => {
    const now = state.table && state.table.insights.find((x) => x.id === ins.id);
    if (now) now.voted = v;
  };
  try {
    await state.client.vote(ins.id, !voted);
    mark(!voted);
  } catch (err) {
    // Already counted: a vote from another tab of ours since this one's snapshot.
    if (err.code === 'forbidden' && !voted && /already voted/.test(err.message || '')) mark(true);
    else showError(err);
  }
  renderInsights();
}

const STATUSES = ['open', 'taken_up', 'noted', 'out_of_scope'];

// The moderator's or chair's control: a status and its public explanation.
function outcomeForm(ins) {
  const select = h('select', { 'data-focus': `status:${ins.id}`, 'aria-label': t('outcome.label', { text: ins.text }) },
    ...STATUSES.map((s) => h('option', { value: s, selected: s === (ins.status || 'open'), text: t(`outcome.${s}`) })));
  const note = h('input', {
    'data-focus': `note:${ins.id}`, maxlength: '1000', value: ins.note || '',
    'aria-label': t('outcome.noteLabel', { text: ins.text }), placeholder: t('outcome.note'),
  });
  return h('form', {
    class: 'outcome-form',
    onsubmit: (e) => {
      e.preventDefault();
      run(state.client.outcome(ins.id, select.value, { note: note.value, table: state.table.room }));
    },
  }, select, note, h('button', { type: 'submit', class: 'secondary', 'data-focus': `set:${ins.id}`, text: t('outcome.set') }));
}

// What became of an insight, as everyone sees it: the status (open says nothing) and the note.
function outcomeOf(ins) {
  if (!ins.status || ins.status === 'open') return null;
  return h('span', { class: 'outcome', 'data-status': ins.status },
    h('strong', { class: `status status-${ins.status}`, text: t(`outcome.${ins.status}`) }),
    ins.note ? h('span', { class: 'note', text: ins.note }) : null);
}

export function renderInsights() {
  const list = $('insights');
  const ranked = state.table.insights.slice().sort((a, b) => (b.votes || 0) - (a.votes || 0));
  const locked = !mayWriteHere();
  const moderating = canModerateHere();
  keepFocus(list, () => {
    list.replaceChildren(...ranked.map((ins) => {
      const voted = !!ins.voted;
      return h('li', { 'data-id': ins.id, class: voted ? 'voted' : null },
        h('span', { class: 'text', id: `insight-${ins.id}`, text: ins.text }),
        outcomeOf(ins),
        h('span', { class: 'votes', text: plural('insights.votes', ins.votes || 0) }),
        h('button', {
          type: 'button', class: 'secondary', 'data-focus': `vote:${ins.id}`,
          'aria-pressed': String(voted), 'aria-describedby': `insight-${ins.id}`, disabled: locked,
          onclick: () => toggleVote(ins), text: voted ? t('insights.voted') : t('insights.vote'),
        }),
        moderating ? outcomeForm(ins) : null);
    }));
    if (!ranked.length) list.append(h('li', { class: 'muted', text: t('insights.none') }));
  }, $('insight-text'));
  renderMine();
}

// "My contributions": this person's insights at the table with what became of them.
function renderMine() {
  const mine = state.table.insights.filter((i) => state.you && i.by && i.by.id === state.you.id);
  const list = $('my-insights');
  list.replaceChildren(...mine.map((ins) => h('li', { 'data-id': ins.id },
    h('span', { class: 'text', text: ins.text }),
    outcomeOf(ins) || h('span', { class: 'outcome', 'data-status': 'open', text: t('outcome.open') }))));
  if (!mine.length) list.append(h('li', { class: 'muted', text: t('mine.none') }));
}

// ---- timer, summary ------------------------------------------------------------------

const minSec = (s) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;

let timerTick = null;
export function renderTimer() {
  clearInterval(timerTick);
  const el = $('timer');
  const tm = state.table && state.table.timer;
  const running = !!(tm && tm.ends_at);
  const paused = !!(tm && tm.paused);
  el.classList.toggle('idle', !running && !paused && !(tm && tm.ended));
  el.classList.toggle('ended', !!(tm && tm.ended));
  el.classList.toggle('paused', paused);
  $('timer-pause').textContent = paused ? t('timer.resume') : t('timer.pause');
  $('timer-pause').disabled = !running && !paused;
  $('timer-extend').disabled = !running && !paused;
  if (paused) {
    el.textContent = t('timer.paused', { time: minSec(Math.round(tm.left / 1000)) });
    return;
  }
  if (!running) {
    el.textContent = tm && tm.ended ? t('timer.ended') : t('timer.none');
    return;
  }
  const tick = () => {
    const left = Math.max(0, Math.round((tm.ends_at - Date.now()) / 1000));
    el.textContent = t('timer.left', { time: minSec(left) });
    if (left === 0) clearInterval(timerTick);
  };
  tick();
  timerTick = setInterval(tick, 1000);
}

export function renderSummary() {
  const tb = state.table;
  const published = tb.published !== null && tb.summary === tb.published;
  // Only drafters ever see a draft: anyone else waits for the published text.
  const heading = published ? 'summary.headingPublished' : mayDraftHere() ? 'summary.heading' : 'summary.headingNone';
  $('summary-heading').textContent = t(heading);
  $('summary').textContent = tb.summary ? tb.summary : t('summary.none');
}

// The top insights as lines for the summary draft.
export function topInsightsText(n = 3) {
  return state.table.insights.slice().sort((a, b) => (b.votes || 0) - (a.votes || 0)).slice(0, n)
    .map((i) => `- ${i.text} (${plural('insights.votes', i.votes || 0)})`).join('\n');
}
