// Roundtable's browser front-end, the entry point: who connects (a link's token,
// the identity kept from an earlier visit, or the join form), the SDK's events
// routed to the views (lobby.js, table.js, plenary.js), the forms and buttons,
// and where the focus goes after each action. No framework, no build step.
import { Roundtable } from '/sdk/roundtable.js';
import { LANGUAGES } from '/strings.js';
import {
  $, h, t, params, lang, setLang, applyStaticStrings, phaseLabel, setAgenda, agendaIds, showError, notice, announce,
} from '/ui.js';
import { state, decodeClaims, role, moderatedTable, identity } from '/state.js';
import { renderLobby, setJoinHandler } from '/lobby.js';
import {
  run, loadTable, clearTable, renderTable, addMessage, removeMessage, renderPeople, renderHands,
  floorChanged, renderInsights, renderTimer, renderSummary, timerFrom, topInsightsText,
} from '/table.js';
import {
  loadPlenary, renderPlenary, addAnnouncement, addChat, removeChat, renderChairTables,
  renderOverview, renderUnread, downloadReport,
} from '/plenary.js';
import { attachModeration, setModerationHooks, renderRules } from '/moderation.js';
import { attachPolls, wirePolls } from '/polls.js';
import { attachHosts, setHostsHooks, wireHosts, anonymousChoice } from '/hosts.js';
import { loadComments, wireComments } from '/comments.js';
import { attachRounds, setRoundsHooks, wireRounds } from '/rounds.js';

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
  if (view === 'plenary') {
    state.unread = 0;
    renderUnread();
  }
  if (view !== 'join') {
    // Lists scroll only once shown: the latest entries are at the end.
    for (const id of ['plenary-feed', 'plenary-chat', 'messages']) $(id).scrollTop = $(id).scrollHeight;
  }
}

function renderConn() {
  const s = state.client ? state.client.state : 'idle';
  $('conn').dataset.state = s;
  $('conn').textContent = t(`status.${s}`);
}

function renderHeader() {
  $('event-title').textContent = (state.event && state.event.title) || t('app.title');
  document.title = state.event ? `${state.event.title} · Roundtable` : 'Roundtable';
  $('event-phase').textContent = state.event && state.event.phase ? phaseLabel(state.event.phase) : '–';
  $('you').textContent = state.you ? t('you.are', { name: state.you.name, role: t(`role.${role()}`) }) : '';
  $('sign-out').hidden = !state.you;
}

// The chair's phase choices: the event's agenda (the server takes nothing
// else then), or the usual phases; labelled in the language.
function renderPhaseOptions() {
  const ids = agendaIds();
  $('phase-options').replaceChildren(...(ids.length ? ids : ['keynote', 'presentations', 'roundtables', 'reports', 'networking'])
    .map((name) => h('option', { value: name, label: phaseLabel(name) })));
}

// The invitation link of the table the chair opened last (it stays on this page only).
function renderInvite() {
  $('invite-box').hidden = !state.invite;
  if (!state.invite) return;
  $('invite-label').textContent = t('chair.inviteLink', { table: state.invite.table });
  $('invite-link').value = state.invite.link;
}

function renderAll() {
  renderConn();
  renderHeader();
  renderRules();
  renderPhaseOptions();
  renderInvite();
  if (!state.client) return;
  renderLobby();
  renderChairTables();
  renderTable();
  renderPlenary();
  renderUnread();
}

// Sits at a table (or shows the one we are at) and puts the focus on its heading.
async function joinTable(id) {
  if (!state.table || state.table.room !== id) {
    if (!await run(state.client.join(id))) return;
  }
  setView('table');
  $('table-heading').focus();
}

// ---- the SDK's events ------------------------------------------------------------

function onWelcome(client, reply) {
  state.you = reply.you;
  state.event = reply.event;
  setAgenda(reply.event && reply.event.agenda);
  renderPhaseOptions();
  state.tables = client.tables;
  renderRules();
  // The comments after the event wait in the tables' state: the chair reads them over HTTP.
  if (role() === 'chair') loadComments();
  if (reply.token) identity.save({ name: reply.you.name, token: reply.token, guest: true });
  else if (state.token) identity.save({ name: reply.you.name, token: state.token, guest: false });
  if (!reply.you || !reply.you.table) {
    if (state.table) clearTable();
  }
  renderHeader();
  renderLobby();
  renderChairTables();
  renderPlenary();
  const first = state.view === 'join';
  if (first) {
    setView('lobby');
    $('lobby-heading').focus();
  }
  // Back where we were: a moderator at their table, anyone at the table they sat at.
  const target = moderatedTable() || (first ? identity.table() : null);
  if (target && !client.table && first) joinTable(target);
}

function attachTableEvents(client) {
  const atTable = (ev) => state.table && ev.room === state.table.room;
  client.on('presence', (ev) => {
    if (!atTable(ev)) return;
    if (ev.joined) state.table.participants.set(ev.joined.id, ev.joined);
    if (ev.left) state.table.participants.delete(ev.left);
    renderPeople();
  });
  client.on('role', (ev) => {
    if (!atTable(ev)) return;
    if (ev.role) state.table.roles.set(ev.participant, ev.role);
    else state.table.roles.delete(ev.participant);
    renderPeople();
  });
  client.on('hands', (ev) => {
    if (!atTable(ev)) return;
    const before = state.table.speaker;
    state.table.hands = ev.queue || [];
    if ('speaker' in ev) state.table.speaker = ev.speaker || null;
    state.handUp = state.table.hands.some((x) => state.you && x.id === state.you.id);
    renderHands();
    floorChanged(before, state.table.speaker);
  });
  client.on('insight', (ev) => {
    if (!atTable(ev)) return;
    const i = state.table.insights.findIndex((x) => x.id === ev.id);
    if (ev.deleted) {
      if (i >= 0) state.table.insights.splice(i, 1);
    } else {
      // An insight event does not say who voted: our own vote stays as we know it.
      const ins = {
        id: ev.id, text: ev.text, by: ev.by, votes: ev.votes, status: ev.status, note: ev.note, into: ev.into,
        voted: i >= 0 && !!state.table.insights[i].voted,
      };
      if (i >= 0) state.table.insights[i] = ins;
      else state.table.insights.push(ins);
    }
    renderInsights();
  });
  client.on('outcome', (ev) => {
    if (!atTable(ev)) return;
    const ins = state.table.insights.find((x) => x.id === ev.insight);
    if (!ins) return;
    Object.assign(ins, { status: ev.status, note: ev.note, into: ev.into });
    renderInsights();
    if (state.you && ins.by && ins.by.id === state.you.id) {
      announce(t('outcome.yours', { text: ins.text, status: t(`outcome.${ev.status}`) }));
    }
  });
  client.on('timer', (ev) => {
    if (!atTable(ev)) return;
    state.table.timer = timerFrom(ev);
    renderTimer();
  });
  client.on('timer_ended', (ev) => {
    if (!atTable(ev)) return;
    state.table.timer = { ended: true };
    renderTimer();
    announce(t('timer.ended'));
  });
  client.on('summary', (ev) => {
    if (!atTable(ev)) return;
    state.table.summary = ev.text;
    if (ev.published) state.table.published = ev.text;
    renderSummary();
  });
  client.on('table', (ev) => {
    if (state.table && state.table.room === ev.table) {
      state.table.open = ev.open;
      renderTable();
    }
    renderLobby();
  });
}

function attach(client) {
  client.on('state', () => renderConn());
  client.on('welcome', (reply) => onWelcome(client, reply));
  client.on('snapshot', ({ room, snapshot }) => {
    if (room === 'plenary') {
      loadPlenary(snapshot);
      renderHeader();
    } else {
      loadTable(snapshot);
      renderLobby();
    }
  });
  client.on('resync', () => notice(t('status.resync')));
  client.on('rejoin_failed', ({ error }) => {
    clearTable();
    renderLobby();
    showError(error, t('error.rejoin', { reason: '' }));
  });
  client.on('error', (err) => {
    // The server refused who we said we are: ask again.
    identity.forget();
    showError(err);
    setView('join');
    $('join-name').focus();
  });
  const removed = (room, id) => {
    if (room === 'plenary') removeChat(id);
    else if (state.table && room === state.table.room) removeMessage(id);
  };
  client.on('message', (ev) => {
    if (ev.deleted) removed(ev.room, ev.id); // a replayed tombstone
    else if (ev.room === 'plenary') addChat(ev);
    else if (state.table && ev.room === state.table.room) addMessage(ev);
  });
  client.on('deleted', (ev) => removed(ev.room, ev.message));
  attachTableEvents(client);
  attachModeration(client);
  attachPolls(client);
  attachHosts(client);
  attachRounds(client);
  client.on('report', (ev) => addAnnouncement(ev));
  client.on('broadcast', (ev) => addAnnouncement(ev));
  client.on('phase', (ev) => {
    if (state.event) state.event.phase = ev.name;
    renderHeader();
    addAnnouncement(ev);
  });
  const tablesChanged = () => {
    renderLobby();
    renderChairTables();
    if (role() === 'chair') renderOverview();
  };
  client.on('tables', tablesChanged);
  client.on('table_created', tablesChanged);
  // A table calls the chair (only chairs receive it); the overview row says so too.
  client.on('help', (ev) => {
    if (ev.done || !ev.from) return;
    const tb = state.tables.find((x) => x.id === ev.table);
    const text = t('help.asks', { topic: (tb && tb.topic) || ev.table, name: ev.from.name });
    notice(text);  // a polite live region: read out too
  });
}

// The moderator took us off our table: back to the lobby, where the notice says why.
setModerationHooks({
  render: () => renderTable(),
  leave: () => {
    clearTable();
    renderLobby();
    setView('lobby');
    $('lobby-heading').focus();
  },
});

// The chair moved us (the SDK took the table's snapshot as our join), or
// called everyone back to the plenary.
setHostsHooks({
  seated: () => {
    setView('table');
    $('table-heading').focus();
  },
  recalled: () => {
    clearTable();
    renderLobby();
    setView('plenary');
    $('plenary-heading').focus();
  },
});

// One's networking group's room closed: back to the plenary view.
setRoundsHooks({
  recalled: () => {
    clearTable();
    renderLobby();
    setView('plenary');
    $('plenary-heading').focus();
  },
});

// `guest`: the token is a guest token the server handed out earlier.
function connect(name, token, guest = false) {
  state.token = guest ? '' : token || '';
  state.claims = token && !guest ? decodeClaims(token) : {};
  const client = new Roundtable(guest ? { name, guestToken: token } : { name, token: token || undefined });
  state.client = client;
  attach(client);
  renderConn();
  client.connect().catch(() => { /* shown by the 'error' listener */ });
}

// ---- forms and buttons --------------------------------------------------------------

function onSubmit(id, fn) {
  $(id).addEventListener('submit', (e) => {
    e.preventDefault();
    fn(e);
  });
}
const onClick = (id, fn) => $(id).addEventListener('click', fn);

// Clears a text field once its op succeeded; the focus stays in it.
async function sendFrom(fieldId, send) {
  const field = $(fieldId);
  const text = field.value.trim();
  if (text && await run(send(text))) field.value = '';
}

function wireJoin() {
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
  onClick('sign-out', () => {
    identity.forget();
    if (state.client) state.client.close();
    location.assign(location.pathname);
  });
  onClick('banner-close', () => {
    $('banner').hidden = true;
    $('main').focus();
  });
  for (const b of $('tabs').querySelectorAll('button')) b.addEventListener('click', () => setView(b.dataset.tab));
  onClick('leave-table', async () => {
    if (await run(state.client.leave())) {
      clearTable();
      renderLobby();
      $('lobby-heading').focus();
    }
  });
}

function wireTable() {
  onSubmit('say-form', () => sendFrom('say-text',
    (text) => state.client.say(state.table.room, text, anonymousChoice('say-anon'))));
  // Enter sends, Shift+Enter makes a new line.
  $('say-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('say-form').requestSubmit();
    }
  });
  onSubmit('plenary-say-form', () => sendFrom('plenary-say-text', (text) => state.client.say('plenary', text)));
  onClick('hand-btn', () => run(state.client.hand(!state.handUp)));
  onSubmit('insight-form', () => sendFrom('insight-text',
    (text) => state.client.insight(text, anonymousChoice('insight-anon'))));
}

function wireModerator() {
  const room = () => state.table.room;
  onClick('next-hand', () => run(state.client.speaker(room(), 'next')));
  onClick('clear-hands', () => run(state.client.speaker(room(), 'clear')));
  onClick('end-turn', () => run(state.client.speaker(room(), 'end')));
  onSubmit('timer-form', () => {
    const seconds = Math.round(Number($('timer-minutes').value || 0) * 60 + Number($('timer-seconds').value || 0));
    if (seconds > 0) run(state.client.timer(room(), seconds));
  });
  onClick('timer-pause', () => run(state.client.pauseTimer(room(), !(state.table.timer && state.table.timer.paused))));
  onClick('timer-extend', () => run(state.client.extendTimer(room(), 60)));
  onClick('timer-stop', () => run(state.client.timer(room(), 0)));
  onClick('help-call', async () => {
    if (await run(state.client.help(room()))) notice(t('help.called'));
  });
  onClick('summary-insert', () => {
    const box = $('summary-text');
    const top = topInsightsText();
    if (top) box.value = box.value ? `${box.value.trimEnd()}\n${top}` : top;
    box.focus();
  });
  onSubmit('summary-form', async () => {
    if (await run(state.client.summary($('summary-text').value, false, room()))) notice(t('mod.saved'));
  });
  // Publishing reaches everyone: confirm first. Escape keeps editing.
  onClick('summary-publish', () => {
    $('publish-confirm').hidden = false;
    $('publish-yes').focus();
  });
  const keepEditing = () => {
    $('publish-confirm').hidden = true;
    $('summary-text').focus();
  };
  onClick('publish-no', keepEditing);
  $('publish-confirm').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') keepEditing();
  });
  onClick('publish-yes', async () => {
    const ok = await run(state.client.summary($('summary-text').value, true, room()));
    $('publish-confirm').hidden = true;
    $('summary-publish').focus();
    if (ok) notice(t('mod.published'));
  });
}

function wireChair() {
  onSubmit('broadcast-form', () => sendFrom('broadcast-text', (text) => state.client.broadcast(text)));
  onSubmit('phase-form', () => sendFrom('phase-name', (name) => state.client.phase(name)));
  const setOpen = async (open) => {
    if (await run(state.client.setTableOpen($('table-open-select').value, open))) notice(t('chair.done'));
  };
  onClick('table-close-btn', () => setOpen(false));
  onClick('table-reopen-btn', () => setOpen(true));
  onSubmit('create-table-form', async () => {
    const reply = await run(state.client.createTable({
      table: $('create-id').value.trim(), topic: $('create-topic').value.trim(),
      moderator: $('create-moderator').value.trim() || undefined,
    }));
    if (reply) {
      $('create-table-form').reset();
      notice(t('chair.done'));
      if (reply.invite) {
        state.invite = { table: reply.invite.table, link: new URL(reply.invite.link, location.href).href };
        renderInvite();
        $('invite-link').focus();
        $('invite-link').select();
      }
    }
  });
  onClick('invite-copy', async () => {
    try {
      await navigator.clipboard.writeText($('invite-link').value);
      notice(t('chair.inviteCopied'));
    } catch {
      // No clipboard (an http page, a refused permission): the link is selected to copy by hand.
      $('invite-link').focus();
      $('invite-link').select();
    }
  });
  onClick('report-md', () => downloadReport('md'));
  onClick('report-json', () => downloadReport('json'));
  wireComments();
}

// A link with a token connects at once and takes the token out of the address
// bar (a chair projects their screen); so does an identity kept from before.
function connectAtStart() {
  const token = params.get('token');
  if (token) {
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
    connect(decodeClaims(token).name || params.get('name') || 'Chair', token);
    return;
  }
  const kept = identity.load();
  if (kept && kept.token) {
    connect(kept.name || '', kept.token, !!kept.guest);
    return;
  }
  if (params.get('name')) $('join-name').value = params.get('name');
}

function init() {
  const select = $('lang');
  select.replaceChildren(...Object.entries(LANGUAGES).map(([code, label]) =>
    h('option', { value: code, lang: code, text: label })));
  select.value = lang;
  select.addEventListener('change', () => {
    setLang(select.value);
    applyStaticStrings();
    renderAll();
  });
  applyStaticStrings();
  renderConn();
  renderPhaseOptions();
  setJoinHandler(joinTable);
  wireJoin();
  wireTable();
  wireModerator();
  wireChair();
  wirePolls();
  wireHosts();
  wireRounds();
  connectAtStart();
}

init();
