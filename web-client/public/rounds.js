// Networking rounds in the browser: the chair console's start and stop form,
// every participant's "skip the rounds" toggle, and one's group while its
// round runs (who is in it and a countdown; the group's chat is the table
// view, where the server seats its members), then back to the plenary.
import { $, t, notice, announce, showError } from '/ui.js';
import { state } from '/state.js';

let hooks = { recalled: () => {} };
// `recalled()`: the plenary view once one's group room closed (app.js owns the views).
export function setRoundsHooks(fns) { hooks = fns; }

let tick = null;

// The group banner: its members and a countdown, once a second. Not a live
// region: the group is read out once when it forms.
function renderGroup() {
  const group = state.client ? state.client.group : null;
  const banner = $('group-banner');
  clearInterval(tick);
  tick = null;
  banner.hidden = !group;
  if (!group) return;
  const names = group.members.map((m) => m.name).join(', ');
  const draw = () => {
    const left = Math.max(0, Math.ceil((group.ends_at - Date.now()) / 1000));
    const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    banner.textContent = t('rounds.group', { round: group.round, names, time });
  };
  draw();
  tick = setInterval(draw, 1000);
}

function onGroup(ev) {
  renderGroup();
  const text = t('rounds.grouped', { names: ev.members.map((m) => m.name).join(', ') });
  notice(text);
  announce(text);
}

function onRounds(ev) {
  const wasGrouped = !$('group-banner').hidden;
  renderGroup();
  let text = '';
  if (!ev.running) {
    text = t('rounds.over');
  } else if (ev.gathering) {
    text = t('rounds.forming', { round: ev.round + 1 });
  }
  if (wasGrouped && (ev.gathering || !ev.running)) hooks.recalled();
  if (text) {
    notice(text);
    announce(text);
  }
}

async function act(fn) {
  try {
    await fn();
  } catch (err) {
    showError(err);
  }
}

export function wireRounds() {
  $('rounds-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(() => state.client.startRounds({
      size: Number($('rounds-size').value),
      minutes: Number($('rounds-minutes').value),
      rounds: Number($('rounds-count').value),
    }));
  });
  $('rounds-stop').addEventListener('click', () => act(() => state.client.stopRounds()));
  $('rounds-opt-out').addEventListener('change', () => {
    const box = $('rounds-opt-out');
    act(async () => {
      await state.client.optOut(box.checked);
      announce(t(box.checked ? 'rounds.optedOut' : 'rounds.optedIn'));
    });
  });
}

export function attachRounds(client) {
  client.on('group', onGroup);
  client.on('rounds', onRounds);
  // After a reload too: one's choice and group as the server kept them (the
  // client joins the group's room again by itself).
  client.on('welcome', () => {
    $('rounds-choice').hidden = false;
    $('rounds-opt-out').checked = client.optedOut;
    renderGroup();
  });
}
