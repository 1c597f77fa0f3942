// The plenary view: announcements, phase changes and the tables' reports in one
// list, the plenary chat (which the chair moderates) in another, so chatter
// never buries a report; and the chair console's lists (tables to close or
// reopen, the report download).
import { $, h, t, plural, phaseLabel, formatTime, keepFocus, showError, showBanner } from '/ui.js';
import { state, role } from '/state.js';
import { messageItem, run } from '/table.js';
import { countText, goToTable } from '/lobby.js';
import { loadPollState, renderPolls, reactionBar } from '/polls.js';

// ---- announcements and reports -----------------------------------------------------

// A report for a table that already reported is marked as an update.
function isUpdate(ev) {
  return state.plenary.feed.some((x) => x !== ev && x.type === 'report' && x.table === ev.table &&
    (x.seq ?? 0) < (ev.seq ?? 0));
}

function reportHead(ev) {
  return t(isUpdate(ev) ? 'plenary.reportUpdated' : 'plenary.report', { topic: ev.topic || ev.table });
}

function feedItem(ev) {
  switch (ev.type) {
    case 'report':
      return h('li', { class: `report${isUpdate(ev) ? ' update' : ''}`, 'data-table': ev.table },
        h('span', { class: 'head', text: reportHead(ev) }),
        h('span', { class: 'by', text: [ev.moderator ? t('plenary.reportBy', { name: ev.moderator }) : '', formatTime(ev.ts)].filter(Boolean).join(' · ') }),
        h('div', { class: 'text', text: ev.text }),
        ev.id ? reactionBar('plenary', ev.id) : null);
    case 'broadcast': {
      const from = typeof ev.from === 'string' ? ev.from : (ev.from && ev.from.name);
      return h('li', { class: 'broadcast' },
        h('span', { class: 'head', text: t('plenary.broadcast') }),
        h('span', { class: 'by', text: [from, formatTime(ev.ts)].filter(Boolean).join(' · ') }),
        h('div', { class: 'text', text: ev.text }));
    }
    case 'phase':
      return h('li', { class: 'phase' }, h('span', { class: 'head', text: t(ev.current ? 'plenary.phaseNow' : 'plenary.phase', { name: phaseLabel(ev.name) }) }));
    default:
      return null;
  }
}

function scrollToEnd(list) { list.scrollTop = list.scrollHeight; }

export function renderFeed() {
  const list = $('plenary-feed');
  list.replaceChildren(...state.plenary.feed.map(feedItem).filter(Boolean));
  $('plenary-empty').hidden = list.children.length > 0;
  scrollToEnd(list);
}

// A new announcement, phase or report: in the feed, in the banner on every view,
// read out, and counted on the Plenary tab when the plenary is not in sight.
export function addAnnouncement(ev) {
  if (ev.type === 'phase') {
    // The phase the snapshot named is no longer the current one.
    for (const x of state.plenary.feed) x.current = false;
  }
  state.plenary.feed.push(ev);
  renderFeed();
  if (ev.type === 'report' && role() === 'chair') renderOverview();
  const text = ev.type === 'report' ? `${reportHead(ev)}: ${ev.text}`
    : ev.type === 'phase' ? t('plenary.phase', { name: phaseLabel(ev.name) })
    : `${t('plenary.broadcast')}: ${ev.text}`;
  showBanner(ev.type, text);
  if (!plenaryInSight()) {
    state.unread += 1;
    renderUnread();
  }
}

// On a wide screen the plenary is always beside the main view.
export function plenaryInSight() {
  return state.view === 'plenary' || window.matchMedia('(min-width: 1000px)').matches;
}

export function renderUnread() {
  const badge = $('plenary-unread');
  badge.hidden = state.unread === 0;
  badge.textContent = state.unread ? plural('nav.unread', state.unread) : '';
}

// ---- plenary chat --------------------------------------------------------------------

const deleteInPlenary = (room, id) => run(state.client.delete(room, id));

export function renderChat() {
  const list = $('plenary-chat');
  const del = role() === 'chair' ? deleteInPlenary : null;
  keepFocus(list, () => {
    list.replaceChildren(...state.plenary.chat.map((m) => messageItem(m, 'plenary', del)));
  }, $('plenary-say-text'));
  scrollToEnd(list);
}

export function addChat(m) {
  state.plenary.chat.push(m);
  const list = $('plenary-chat');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(messageItem(m, 'plenary', role() === 'chair' ? deleteInPlenary : null));
  if (atBottom) scrollToEnd(list);
}

export function removeChat(id) {
  state.plenary.chat = state.plenary.chat.filter((x) => x.id !== id);
  renderChat();
}

export function renderPlenary() {
  renderFeed();
  renderChat();
  renderPolls('plenary');
  $('chair-console').hidden = role() !== 'chair';
  if (role() === 'chair') renderOverview();
}

// The snapshot holds the latest messages, reports and broadcasts; phase changes
// before we came are not in it, so the current phase stands for them.
export function loadPlenary(snap) {
  const typed = (arr, type) => (Array.isArray(arr) ? arr.map((x) => ({ type: x.type || type, ...x })) : []);
  const bySeq = (a, b) => (a.seq ?? a.ts ?? 0) - (b.seq ?? b.ts ?? 0);
  state.plenary.chat = typed(snap.messages, 'message').sort(bySeq);
  loadPollState(state.plenary, snap);
  // The latest phase changes come with the snapshot, so a late joiner sees the agenda so far.
  const phases = typed(snap.phases, 'phase');
  state.plenary.feed = [...typed(snap.reports, 'report'), ...typed(snap.broadcasts, 'broadcast'), ...phases].sort(bySeq);
  const last = phases[phases.length - 1];
  if (last && last.name === snap.phase) last.current = true;
  else if (snap.phase) state.plenary.feed.unshift({ type: 'phase', name: snap.phase, current: true, seq: 0 });
  if (snap.phase && state.event) state.event.phase = snap.phase;
  renderPlenary();
}

// ---- chair console -------------------------------------------------------------------

// What the lobby row says about a table's discussion (extension fields: a
// server without them shows none of these).
function glance(tb) {
  const out = [];
  if ('moderated' in tb) out.push(tb.moderated ? t('chair.moderated') : t('chair.unmoderated'));
  if (tb.hands) out.push(plural('chair.hands', tb.hands));
  if (tb.timer_ends_at) out.push(t('chair.timer', { time: formatTime(tb.timer_ends_at) }));
  if (tb.summary === 'draft') out.push(t('chair.summaryDraft'));
  if (tb.help) out.push(t('chair.help'));
  return out;
}

// Every table at a glance: people, moderator, hands waiting, timer, open or
// closed, its summary and reports, and one button to go.
export function renderOverview() {
  const list = $('overview');
  keepFocus(list, () => {
    list.replaceChildren(...state.tables.map((tb) => {
      const reports = state.plenary.feed.filter((x) => x.type === 'report' && x.table === tb.id).length;
      const facts = [countText(tb), ...glance(tb), tb.open === false ? t('lobby.closed') : t('chair.open'),
        reports === 0 ? t('chair.noReport') : plural('chair.reports', reports)];
      return h('li', { 'data-table': tb.id, class: tb.help ? 'help' : null },
        h('span', { class: 'topic', id: `overview-${tb.id}`, text: tb.topic || tb.id }),
        h('span', { class: 'facts', text: facts.join(' · ') }),
        h('button', {
          type: 'button', class: 'secondary', 'data-focus': `go:${tb.id}`, 'aria-describedby': `overview-${tb.id}`,
          onclick: () => goToTable(tb.id), text: t('chair.goThere'),
        }));
    }));
  }, $('overview-heading'));
}

export function renderChairTables() {
  const sel = $('table-open-select');
  const current = sel.value;
  sel.replaceChildren(...state.tables.map((tb) =>
    h('option', { value: tb.id, text: `${tb.topic || tb.id}${tb.open === false ? ` (${t('lobby.closed')})` : ''}` })));
  if (current) sel.value = current;
}

export async function downloadReport(kind) {
  const path = kind === 'md' ? '/api/report.md' : '/api/report';
  try {
    const res = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
    if (!res.ok) {
      const code = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' }[res.status] || 'unavailable';
      showError({ code, message: `HTTP ${res.status}` });
      return;
    }
    const blob = await res.blob();
    const a = h('a', { href: URL.createObjectURL(blob), download: kind === 'md' ? 'roundtable-report.md' : 'roundtable-report.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    showError({ code: 'unavailable', message: String(err) });
  }
}
