// The chair console's "comments after the event": the comments waiting on
// the outcomes page (GET /api/outcomes/comments with the chair's token), each
// with Approve and Reject buttons. A decision goes at once and the list is
// drawn again, the focus kept on the next comment's button.
import { $, h, t, announce, showError, keepFocus } from '/ui.js';
import { state } from '/state.js';

const codes = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'full' };

async function call(path, body) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, body ? { method: 'POST', headers, body: JSON.stringify(body) } : { headers });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw Object.assign(new Error((json.error && json.error.message) || `HTTP ${res.status}`),
      { code: (json.error && json.error.code) || codes[res.status] || 'unavailable' });
  }
  return json;
}

function draw(comments) {
  const list = $('comments-list');
  const topic = (id) => {
    const tb = state.tables.find((x) => x.id === id);
    return (tb && tb.topic) || id;
  };
  keepFocus(list, () => {
    list.replaceChildren(...comments.map((c) => h('li', { 'data-comment': c.id },
      h('p', { id: `comment-${c.id}`, text: c.text }),
      h('p', { class: 'facts', text: t('comments.by', { name: c.by, table: topic(c.table) }) }),
      h('div', { class: 'console-row' },
        h('button', {
          type: 'button', 'data-focus': `approve:${c.id}`, 'aria-describedby': `comment-${c.id}`,
          onclick: () => decide(c.id, 'approve'), text: t('comments.approve'),
        }),
        h('button', {
          type: 'button', class: 'secondary', 'data-focus': `reject:${c.id}`, 'aria-describedby': `comment-${c.id}`,
          onclick: () => decide(c.id, 'reject'), text: t('comments.reject'),
        })))));
  }, $('comments-refresh'));
  $('comments-empty').hidden = comments.length > 0;
}

export async function loadComments() {
  try {
    draw((await call('/api/outcomes/comments?status=held')).comments);
  } catch (err) {
    showError(err);
  }
}

async function decide(id, decision) {
  try {
    await call(`/api/outcomes/comments/${encodeURIComponent(id)}`, { decision });
    announce(t(decision === 'approve' ? 'comments.approved' : 'comments.rejected'));
  } catch (err) {
    showError(err);
  }
  await loadComments();
}

export function wireComments() {
  $('comments-refresh').addEventListener('click', loadComments);
}
