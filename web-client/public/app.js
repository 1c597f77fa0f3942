// Roundtable's browser front-end: renders the lobby, the participant's table,
// the plenary and the moderator and chair consoles from the SDK's snapshots and
// events. No framework: each part of the page has one render function, and all
// user text goes in through textContent, never as HTML.
import { Roundtable } from '/sdk/roundtable.js';
import { STRINGS, LANGUAGES } from '/strings.js';

const $ = (id) => document.getElementById(id);

// ---- i18n ------------------------------------------------------------------

const params = new URLSearchParams(location.search);
let lang = pickLanguage();

function pickLanguage() {
  const wanted = [params.get('lang'), safeStorage('get', 'roundtable.lang'),
                  ...(navigator.languages || [navigator.language])];
  for (const l of wanted) {
    const short = (l || '').slice(0, 2).toLowerCase();
    if (STRINGS[short]) return short;
  }
  return 'en';
}

function safeStorage(action, key, value) {
  try {
    if (action === 'get') return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch { /* storage blocked: the choice just does not persist */ }
  return null;
}

function t(key, vars = {}) {
  const s = (STRINGS[lang] && STRINGS[lang][key]) ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

function applyStaticStrings() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

// ---- DOM helper -------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function formatTime(ts) {
  if (!ts) return '';
  try {
    return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(ts));
  } catch {
    return '';
  }
}

// ---- state -------------------------------------------------------------------

const state = {
  client: null,
  you: null,
  event: null,
  tables: [],
  claims: {},         // the token's payload, for the UI only; the server decides
  view: 'join',
  plenary: { feed: [] },
  table: null,        // {room, topic, moderator, participants Map, messages [], insights [], hands [], speaker, timer, summary, open}
  handUp: false,
};

function decodeClaims(token) {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(decodeURIComponent(escape(json)));
  } catch {
    return {};
  }
}

function role() { return (state.you && state.you.role) || 'participant'; }
function moderatedTable() {
  if (role() !== 'moderator') return null;
  return (state.you && state.you.moderates) || state.claims.table || null;
}
function canModerateHere() {
  if (!state.table) return false;
  if (role() === 'chair') return true;
  return role() === 'moderator' && moderatedTable() === state.table.room;
}

// ---- alerts, status -----------------------------------------------------------

function showError(err, context) {
  const code = err && err.code;
  let text = code ? t(`error.${code}`) : String((err && err.message) || err);
  if (context) text = `${context} ${text}`;
  if (err && err.message && err.message !== code && code && !['timeout', 'disconnected', 'closed'].includes(code)) {
    text += ` (${err.message})`;
  }
  const box = h('div', { class: 'alert' },
    h('span', {}, `${t('error.prefix')}: ${text}`),
    h('button', { type: 'button', onclick: () => box.remove(), text: t('dismiss') }));
  box.dataset.code = code || '';
  $('alerts').append(box);
  while ($('alerts').children.length > 3) $('alerts').firstElementChild.remove();
}

let noticeTimer = null;
function notice(text) {
  $('notice').textContent = text;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $('notice').textContent = ''; }, 8000);
}

function renderConn() {
  const s = state.client ? state.client.state : 'idle';
  $('conn').dataset.state = s;
  $('conn').textContent = t(`status.${s}`);
}

// Runs an op and reports its failure in words; resolves to the reply or null.
async function run(promise) {
  try {
    return await promise;
  } catch (err) {
    showError(err);
    return null;
  }
}

// ---- views -----------------------------------------------------------------------

function setView(view) {
  state.view = view;
  document.body.dataset.view = view;
  $('join-view').hidden = view !== 'join';
  $('lobby-view').hidden = view !== 'lobby';
  $('table-view').hidden = view !== 'table';
  $('plenary-view').hidden = view === 'join';
  $('tabs').hidden = view === 'join';
  for (const b of $('tabs').querySelectorAll('button')) {
    if (b.dataset.tab === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
}

function renderHeader() {
  $('event-title').textContent = (state.event && state.event.title) || t('app.title');
  document.title = state.event ? `${state.event.title} · Roundtable` : 'Roundtable';
  $('event-phase').textContent = (state.event && state.event.phase) || '–';
  $('you').textContent = state.you ? t('you.are', { name: state.you.name, role: t(`role.${role()}`) }) : '';
}

function renderLobby() {
  const list = $('table-list');
  list.replaceChildren();
  const here = state.table && state.table.room;
  for (const tb of state.tables) {
    const isHere = tb.id === here;
    const count = tb.capacity ? t('lobby.countCap', { count: tb.count ?? 0, capacity: tb.capacity })
                              : tb.count === 1 ? t('lobby.count1') : t('lobby.count', { count: tb.count ?? 0 });
    let button;
    if (isHere) {
      button = h('button', { type: 'button', class: 'secondary', onclick: () => setView('table'), text: t('lobby.here') });
    } else {
      const label = here ? t('lobby.hopLabel', { topic: tb.topic || tb.id }) : t('lobby.joinLabel', { topic: tb.topic || tb.id });
      button = h('button', {
        type: 'button', class: 'primary', 'aria-label': label, 'data-table': tb.id,
        disabled: tb.open === false && role() !== 'chair' && moderatedTable() !== tb.id,
        onclick: () => joinTable(tb.id),
        text: here ? t('lobby.hop') : t('lobby.join'),
      });
    }
    list.append(h('li', { class: `card${isHere ? ' here' : ''}`, 'data-table': tb.id },
      h('h3', { text: tb.topic || tb.id }),
      tb.moderator ? h('p', { text: t('lobby.moderator', { name: tb.moderator }) }) : null,
      h('p', {}, h('span', { class: 'count', text: count }), ' ',
        tb.open === false ? h('span', { class: 'badge closed', text: t('lobby.closed') }) : null),
      button));
  }
  $('leave-table').hidden = !here;
  renderChairTables();
}

async function joinTable(id) {
  const reply = await run(state.client.join(id));
  if (reply) setView('table');
}

function tableInfo(id) { return state.tables.find((x) => x.id === id); }

function loadTable(snap) {
  const info = tableInfo(snap.room) || {};
  state.table = {
    room: snap.room,
    topic: snap.topic ?? info.topic ?? snap.room,
    moderator: snap.moderator ?? info.moderator ?? '',
    participants: new Map((snap.participants || []).map((p) => [p.id, p])),
    messages: (snap.messages || []).slice(),
    insights: (snap.insights || []).slice(),
    hands: (snap.hands || []).slice(),
    speaker: snap.speaker || null,
    timer: snap.timer || null,
    summary: snap.summary ?? null,
    open: snap.open !== false,
  };
  state.handUp = state.table.hands.some((x) => state.you && x.id === state.you.id);
  const box = $('summary-text');
  if (document.activeElement !== box) box.value = state.table.summary || '';
  renderTable();
  renderLobby();
}

function renderTable() {
  const tb = state.table;
  $('table-none').hidden = !!tb;
  $('table-body').hidden = !tb;
  if (!tb) {
    $('table-heading').textContent = t('nav.table');
    return;
  }
  $('table-heading').textContent = t('table.topic', { topic: tb.topic });
  $('table-closed').hidden = tb.open;
  $('mod-console').hidden = !canModerateHere();
  // A chair may delete and time but the summary is the table moderator's.
  $('summary-form').hidden = !(role() === 'moderator' && moderatedTable() === tb.room);
  renderMessages();
  renderPeople();
  renderHands();
  renderInsights();
  renderTimer();
  renderSummary();
}

function messageItem(m) {
  const from = m.from || {};
  const li = h('li', { 'data-id': m.id },
    h('div', {},
      h('span', { class: 'who', text: from.name || '?' }),
      from.role && from.role !== 'participant' ? h('span', { class: `badge role-${from.role}`, text: t(`role.${from.role}`) }) : null,
      ' ',
      h('time', { datetime: m.ts ? new Date(m.ts).toISOString() : undefined, class: 'muted', text: formatTime(m.ts) }),
      h('div', { class: 'text', text: m.text })));
  if (canModerateHere()) {
    li.append(h('button', {
      type: 'button', class: 'danger', 'aria-label': t('table.deleteLabel', { name: from.name || '?' }),
      onclick: () => run(state.client.delete(state.table.room, m.id)),
      text: t('table.deleteMsg'),
    }));
  }
  return li;
}

function renderMessages() {
  const list = $('messages');
  list.replaceChildren(...state.table.messages.map(messageItem));
  if (!state.table.messages.length) list.append(h('li', { class: 'empty', text: t('table.empty') }));
  list.scrollTop = list.scrollHeight;
}

function addMessage(m) {
  state.table.messages.push(m);
  const list = $('messages');
  const empty = list.querySelector('.empty');
  if (empty) empty.remove();
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(messageItem(m));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderPeople() {
  const list = $('people');
  list.replaceChildren(...[...state.table.participants.values()].map((p) =>
    h('li', { 'data-id': p.id }, p.name,
      p.role && p.role !== 'participant' ? [' ', h('span', { class: `badge role-${p.role}`, text: t(`role.${p.role}`) })] : null)));
}

function renderHands() {
  const tb = state.table;
  const list = $('hands');
  list.replaceChildren(...tb.hands.map((x) => h('li', { text: x.name })));
  if (!tb.hands.length) list.append(h('li', { class: 'muted', text: t('hands.none') }));
  $('speaker').hidden = !tb.speaker;
  $('speaker').textContent = tb.speaker ? t('hands.speaker', { name: tb.speaker.name }) : '';
  const btn = $('hand-btn');
  btn.setAttribute('aria-pressed', String(state.handUp));
  btn.textContent = state.handUp ? t('hands.lower') : t('hands.raise');
}

function renderInsights() {
  const list = $('insights');
  const ranked = state.table.insights.slice().sort((a, b) => (b.votes || 0) - (a.votes || 0));
  list.replaceChildren(...ranked.map((ins) => h('li', { 'data-id': ins.id },
    h('span', { class: 'text', text: ins.text }),
    h('span', { class: 'votes', text: ins.votes === 1 ? t('insights.votes1') : t('insights.votes', { votes: ins.votes || 0 }) }),
    h('button', {
      type: 'button', class: 'secondary', 'aria-label': t('insights.voteLabel', { text: ins.text }),
      onclick: () => run(state.client.vote(ins.id)), text: t('insights.vote'),
    }))));
  if (!ranked.length) list.append(h('li', { class: 'muted', text: t('insights.none') }));
}

let timerTick = null;
function renderTimer() {
  clearInterval(timerTick);
  const el = $('timer');
  const tm = state.table && state.table.timer;
  el.classList.remove('ended');
  el.classList.toggle('idle', !tm || !tm.ends_at);
  if (!tm || !tm.ends_at) {
    el.textContent = tm && tm.ended ? t('timer.ended') : t('timer.none');
    if (tm && tm.ended) el.classList.add('ended');
    return;
  }
  const tick = () => {
    const left = Math.max(0, Math.round((tm.ends_at - Date.now()) / 1000));
    const mm = String(Math.floor(left / 60)).padStart(2, '0');
    const ss = String(left % 60).padStart(2, '0');
    el.textContent = left > 0 ? t('timer.left', { time: `${mm}:${ss}` }) : t('timer.ended');
    el.classList.toggle('ended', left === 0);
    if (left === 0) clearInterval(timerTick);
  };
  tick();
  timerTick = setInterval(tick, 1000);
}

function renderSummary() {
  const s = state.table.summary;
  $('summary').textContent = s ? s : t('summary.none');
}

// ---- plenary -----------------------------------------------------------------------

function plenaryItem(ev) {
  switch (ev.type) {
    case 'report':
      return h('li', { class: 'report', 'data-table': ev.table },
        h('span', { class: 'head', text: t('plenary.report', { topic: ev.topic || ev.table }) }),
        h('span', { class: 'by', text: [ev.moderator ? t('plenary.reportBy', { name: ev.moderator }) : '', formatTime(ev.ts)].filter(Boolean).join(' · ') }),
        h('div', { class: 'text', text: ev.text }));
    case 'broadcast': {
      const from = typeof ev.from === 'string' ? ev.from : (ev.from && ev.from.name);
      return h('li', { class: 'broadcast' },
        h('span', { class: 'head', text: t('plenary.broadcast') }),
        h('span', { class: 'by', text: [from, formatTime(ev.ts)].filter(Boolean).join(' · ') }),
        h('div', { class: 'text', text: ev.text }));
    }
    case 'phase':
      return h('li', { class: 'phase' }, h('span', { class: 'head', text: t('plenary.phase', { name: ev.name }) }));
    case 'message':
      return h('li', { class: 'message', 'data-id': ev.id },
        h('span', { class: 'by', text: `${(ev.from && ev.from.name) || '?'} · ${formatTime(ev.ts)}` }),
        h('div', { class: 'text', text: ev.text }));
    default:
      return null;
  }
}

function renderPlenary() {
  const items = state.plenary.feed.map(plenaryItem).filter(Boolean);
  $('plenary-feed').replaceChildren(...items);
  $('plenary-empty').hidden = items.length > 0;
  $('chair-console').hidden = role() !== 'chair';
}

function addPlenary(ev) {
  state.plenary.feed.push(ev);
  const item = plenaryItem(ev);
  if (!item) return;
  $('plenary-feed').append(item);
  $('plenary-empty').hidden = true;
  $('plenary-feed').scrollTop = $('plenary-feed').scrollHeight;
}

// A plenary snapshot may carry its history under several names; take what
// there is, in time order, so reports published before we came are shown.
function loadPlenary(snap) {
  const feed = [];
  const typed = (arr, type) => (Array.isArray(arr) ? arr.map((x) => ({ type: x.type || type, ...x })) : []);
  feed.push(...typed(snap.messages, 'message'));
  feed.push(...typed(snap.reports, 'report'));
  feed.push(...typed(snap.broadcasts, 'broadcast'));
  feed.push(...typed(snap.events, 'message'));
  const seen = new Set();
  state.plenary.feed = feed.filter((x) => {
    const key = `${x.type}:${x.id ?? ''}:${x.seq ?? ''}:${x.ts ?? ''}:${x.text ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).sort((a, b) => (a.seq ?? a.ts ?? 0) - (b.seq ?? b.ts ?? 0));
  if (snap.phase && state.event) state.event.phase = snap.phase;
  renderPlenary();
  renderHeader();
}

// ---- chair console -------------------------------------------------------------------

function renderChairTables() {
  const sel = $('table-open-select');
  const current = sel.value;
  sel.replaceChildren(...state.tables.map((tb) =>
    h('option', { value: tb.id, text: `${tb.topic || tb.id}${tb.open === false ? ` (${t('lobby.closed')})` : ''}` })));
  if (current) sel.value = current;
}

async function downloadReport(kind) {
  const path = kind === 'md' ? '/api/report.md' : '/api/report';
  try {
    const res = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
    if (!res.ok) {
      const code = res.status === 401 ? 'unauthorized' : res.status === 403 ? 'forbidden' : res.status === 404 ? 'not_found' : 'unavailable';
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

// ---- wiring the SDK ------------------------------------------------------------------

function attach(client) {
  client.on('state', () => renderConn());
  client.on('welcome', (reply) => {
    state.you = reply.you;
    state.event = reply.event;
    state.tables = client.tables;
    if (!reply.you || !reply.you.table) {
      if (state.table) { state.table = null; renderTable(); }
    }
    renderHeader();
    renderLobby();
    renderPlenary();
    if (state.view === 'join') setView('lobby');
    // A moderator arrives at their own table.
    const mine = moderatedTable();
    if (mine && !client.table && !state.autoJoined) {
      state.autoJoined = true;
      joinTable(mine);
    }
  });
  client.on('snapshot', ({ room, snapshot }) => {
    if (room === 'plenary') loadPlenary(snapshot);
    else loadTable(snapshot);
  });
  client.on('resync', () => notice(t('status.resync')));
  client.on('rejoin_failed', ({ error }) => {
    state.table = null;
    renderTable();
    renderLobby();
    showError(error, t('error.rejoin', { reason: '' }));
  });
  client.on('error', (err) => {
    showError(err);
    setView('join');
  });

  const atTable = (ev) => state.table && ev.room === state.table.room;
  client.on('message', (ev) => {
    if (ev.deleted) {
      // A replayed tombstone: the message was deleted while we were away.
      removeMessage(ev.room, ev.id);
      return;
    }
    if (ev.room === 'plenary') addPlenary(ev);
    else if (atTable(ev)) addMessage(ev);
  });
  const removeMessage = (room, id) => {
    if (room === 'plenary') {
      state.plenary.feed = state.plenary.feed.filter((x) => x.type !== 'message' || x.id !== id);
      renderPlenary();
    } else if (state.table && room === state.table.room) {
      state.table.messages = state.table.messages.filter((x) => x.id !== id);
      renderMessages();
    }
  };
  client.on('deleted', (ev) => removeMessage(ev.room, ev.message));
  client.on('presence', (ev) => {
    if (!atTable(ev)) return;
    if (ev.joined) state.table.participants.set(ev.joined.id, ev.joined);
    if (ev.left) state.table.participants.delete(ev.left);
    renderPeople();
  });
  client.on('hands', (ev) => {
    if (!atTable(ev)) return;
    state.table.hands = ev.queue || [];
    if ('speaker' in ev) state.table.speaker = ev.speaker || null;
    state.handUp = state.table.hands.some((x) => state.you && x.id === state.you.id);
    renderHands();
  });
  client.on('insight', (ev) => {
    if (!atTable(ev)) return;
    const i = state.table.insights.findIndex((x) => x.id === ev.id);
    const ins = { id: ev.id, text: ev.text, by: ev.by, votes: ev.votes };
    if (i >= 0) state.table.insights[i] = ins;
    else state.table.insights.push(ins);
    renderInsights();
  });
  client.on('timer', (ev) => {
    if (!atTable(ev)) return;
    state.table.timer = ev.seconds > 0 ? { ends_at: ev.ends_at, seconds: ev.seconds } : null;
    renderTimer();
  });
  client.on('timer_ended', (ev) => {
    if (!atTable(ev)) return;
    state.table.timer = { ended: true };
    renderTimer();
  });
  client.on('summary', (ev) => {
    if (!atTable(ev)) return;
    state.table.summary = ev.text;
    renderSummary();
  });
  client.on('report', (ev) => addPlenary(ev));
  client.on('broadcast', (ev) => addPlenary(ev));
  client.on('phase', (ev) => {
    if (state.event) state.event.phase = ev.name;
    renderHeader();
    addPlenary(ev);
  });
  client.on('tables', () => renderLobby());
  client.on('table_created', () => renderLobby());
  client.on('table', (ev) => {
    if (state.table && state.table.room === ev.table) {
      state.table.open = ev.open;
      renderTable();
    }
    renderLobby();
  });
}

function connect(name, token) {
  state.token = token || '';
  state.claims = token ? decodeClaims(token) : {};
  const client = new Roundtable({ name, token: token || undefined });
  state.client = client;
  attach(client);
  renderConn();
  client.connect().catch(() => { /* shown by the 'error' listener */ });
}

// ---- forms ---------------------------------------------------------------------------

function onSubmit(id, fn) {
  $(id).addEventListener('submit', (e) => {
    e.preventDefault();
    fn(e);
  });
}

function init() {
  const select = $('lang');
  select.replaceChildren(...Object.entries(LANGUAGES).map(([code, label]) =>
    h('option', { value: code, lang: code, text: label })));
  select.value = lang;
  select.addEventListener('change', () => {
    lang = select.value;
    safeStorage('set', 'roundtable.lang', lang);
    applyStaticStrings();
    renderConn();
    renderHeader();
    if (state.client) {
      renderLobby();
      renderTable();
      renderPlenary();
    }
  });
  applyStaticStrings();
  renderConn();

  const token = params.get('token') || '';
  if (token) {
    $('join-token').value = token;
    const claims = decodeClaims(token);
    if (claims.name) $('join-name').value = claims.name;
  }
  if (params.get('name')) $('join-name').value = params.get('name');

  onSubmit('join-form', () => {
    const name = $('join-name').value.trim();
    const tok = $('join-token').value.trim();
    if (!name && !tok) {
      $('join-name').setAttribute('aria-invalid', 'true');
      showError({ message: t('join.nameRequired') });
      $('join-name').focus();
      return;
    }
    $('join-name').removeAttribute('aria-invalid');
    $('alerts').replaceChildren();
    connect(name || decodeClaims(tok).name || 'Chair', tok);
  });

  for (const b of $('tabs').querySelectorAll('button')) {
    b.addEventListener('click', () => setView(b.dataset.tab));
  }
  $('leave-table').addEventListener('click', async () => {
    if (await run(state.client.leave())) {
      state.table = null;
      renderTable();
      renderLobby();
    }
  });

  onSubmit('say-form', async () => {
    const text = $('say-text').value.trim();
    if (!text || !state.table) return;
    if (await run(state.client.say(state.table.room, text))) $('say-text').value = '';
  });
  // Enter sends, Shift+Enter makes a new line.
  $('say-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('say-form').requestSubmit();
    }
  });
  onSubmit('plenary-say-form', async () => {
    const text = $('plenary-say-text').value.trim();
    if (text && await run(state.client.say('plenary', text))) $('plenary-say-text').value = '';
  });
  $('hand-btn').addEventListener('click', () => run(state.client.hand(!state.handUp)));
  onSubmit('insight-form', async () => {
    const text = $('insight-text').value.trim();
    if (text && await run(state.client.insight(text))) $('insight-text').value = '';
  });

  // Moderator console
  $('next-hand').addEventListener('click', () => run(state.client.speaker(state.table.room, 'next')));
  $('clear-hands').addEventListener('click', () => run(state.client.speaker(state.table.room, 'clear')));
  onSubmit('timer-form', () => {
    const minutes = Number($('timer-minutes').value);
    if (minutes > 0) run(state.client.timer(state.table.room, Math.round(minutes * 60)));
  });
  $('timer-stop').addEventListener('click', () => run(state.client.timer(state.table.room, 0)));
  onSubmit('summary-form', async () => {
    if (await run(state.client.summary($('summary-text').value, false))) notice(t('mod.saved'));
  });
  $('summary-publish').addEventListener('click', async () => {
    if (await run(state.client.summary($('summary-text').value, true))) notice(t('mod.published'));
  });

  // Chair console
  onSubmit('broadcast-form', async () => {
    const text = $('broadcast-text').value.trim();
    if (text && await run(state.client.broadcast(text))) $('broadcast-text').value = '';
  });
  onSubmit('phase-form', async () => {
    const name = $('phase-name').value.trim();
    if (name && await run(state.client.phase(name))) $('phase-name').value = '';
  });
  $('table-close-btn').addEventListener('click', async () => {
    if (await run(state.client.setTableOpen($('table-open-select').value, false))) notice(t('chair.done'));
  });
  $('table-reopen-btn').addEventListener('click', async () => {
    if (await run(state.client.setTableOpen($('table-open-select').value, true))) notice(t('chair.done'));
  });
  onSubmit('create-table-form', async () => {
    const reply = await run(state.client.createTable({
      table: $('create-id').value.trim(), topic: $('create-topic').value.trim(),
      moderator: $('create-moderator').value.trim() || undefined,
    }));
    if (reply) {
      $('create-table-form').reset();
      notice(t('chair.done'));
    }
  });
  $('report-md').addEventListener('click', () => downloadReport('md'));
  $('report-json').addEventListener('click', () => downloadReport('json'));
}

init();
