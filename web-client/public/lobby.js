// The lobby view: every table with its topic, moderator, people and open flag,
// and one button to sit there (or switch to it). Redrawn on every `tables`
// event, so the focus is kept on the button that had it.
import { $, h, t, plural, keepFocus } from '/ui.js';
import { state, role, moderatedTable } from '/state.js';

// Set by app.js: sits at a table and moves the focus there.
let onJoin = () => {};
export function setJoinHandler(fn) { onJoin = fn; }
export function goToTable(id) { return onJoin(id); }

export function countText(tb) {
  const count = tb.count ?? 0;
  if (tb.capacity) return t('lobby.countCap', { count, capacity: tb.capacity });
  return plural('lobby.count', count);
}

function tableButton(tb, here) {
  if (tb.id === here) {
    return h('button', {
      type: 'button', class: 'secondary', 'data-focus': `table:${tb.id}`, 'data-table': tb.id,
      'aria-describedby': `topic-${tb.id}`, onclick: () => onJoin(tb.id), text: t('lobby.here'),
    });
  }
  return h('button', {
    type: 'button', class: 'primary', 'data-focus': `table:${tb.id}`, 'data-table': tb.id,
    // The visible words are the name; the topic describes which table.
    'aria-describedby': `topic-${tb.id}`,
    disabled: tb.open === false && role() !== 'chair' && moderatedTable() !== tb.id,
    onclick: () => onJoin(tb.id),
    text: here ? t('lobby.hop') : t('lobby.join'),
  });
}

// What the table is for: its goal and guiding questions, when the event gives them.
export function guideOf(tb) {
  const parts = [];
  if (tb && tb.goal) parts.push(h('p', { class: 'goal', text: t('guide.goal', { goal: tb.goal }) }));
  if (tb && tb.questions && tb.questions.length) {
    parts.push(h('ul', { class: 'questions', 'aria-label': t('guide.questions') },
      ...tb.questions.map((q) => h('li', { text: q }))));
  }
  return parts;
}

// Who sits there now, per stakeholder group, so a person can go where their
// knowledge is missing.
function mixOf(tb) {
  const groups = Object.entries((tb && tb.mix) || {});
  if (!groups.length) return null;
  return h('p', { class: 'mix', text: t('lobby.mix', { groups: groups.map(([g, n]) => `${g} ${n}`).join(', ') }) });
}

export function renderLobby() {
  const list = $('table-list');
  const here = state.table && state.table.room;
  keepFocus(list, () => {
    list.replaceChildren(...state.tables.map((tb) => {
      const closed = tb.open === false;
      return h('li', { class: `card${tb.id === here ? ' here' : ''}${closed ? ' closed' : ''}`, 'data-table': tb.id },
        h('h3', { id: `topic-${tb.id}`, text: tb.topic || tb.id }),
        tb.moderator ? h('p', { text: t('lobby.moderator', { name: tb.moderator }) }) : null,
        ...guideOf(tb),
        mixOf(tb),
        h('p', {}, closed ? h('span', { class: 'badge closed', text: t('lobby.closed') }) : null, closed ? ' ' : null,
          h('span', { class: 'count', text: closed ? t('lobby.closedCount', { people: countText(tb) }) : countText(tb) })),
        tableButton(tb, here));
    }));
  }, $('lobby-heading'));
  $('leave-table').hidden = !here;
}
