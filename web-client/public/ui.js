// What every view of the front-end shares: the language and its words (t, plural),
// building DOM nodes (h), storage that survives blocked cookies, alerts and
// notices, announcements for screen readers and the banner, and keeping the
// keyboard focus where it was when a list is drawn again.
import { STRINGS } from '/strings.js';

export const $ = (id) => document.getElementById(id);

// ---- storage -------------------------------------------------------------------

// localStorage may be blocked (privacy settings): then nothing persists, and the
// page still works for this visit.
export const storage = {
  get(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* not kept */ }
  },
  remove(key) {
    try { localStorage.removeItem(key); } catch { /* nothing to remove */ }
  },
};

// ---- language ------------------------------------------------------------------

export const params = new URLSearchParams(location.search);
export let lang = pickLanguage();

function pickLanguage() {
  const wanted = [params.get('lang'), storage.get('roundtable.lang'),
                  ...(navigator.languages || [navigator.language])];
  for (const l of wanted) {
    const short = String(l || '').slice(0, 2).toLowerCase();
    if (STRINGS[short]) return short;
  }
  return 'en';
}

export function setLang(code) {
  lang = code;
  storage.set('roundtable.lang', code);
}

export function t(key, vars = {}) {
  const s = (STRINGS[lang] && STRINGS[lang][key]) ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// The event's agenda ([{id, label: {language: text}}], from the hello reply);
// empty when the event has none and phases are free text.
let agenda = [];
export function setAgenda(items) { agenda = Array.isArray(items) ? items : []; }
export function agendaIds() { return agenda.map((a) => a.id); }

// A phase's label in the language: the agenda's label (in the page's language,
// else English, else the first the event gives); without an agenda, the name
// as the chair typed it.
export function phaseLabel(name) {
  const step = agenda.find((a) => a.id === name);
  if (step && step.label) return step.label[lang] || step.label.en || Object.values(step.label)[0] || name;
  return name;
}

// `${key}.one` or `${key}.other` by the language's plural rule (French: 0 and 1
// are singular), with {count} filled.
export function plural(key, count, vars = {}) {
  const form = new Intl.PluralRules(lang).select(count);
  return t(`${key}.${form === 'one' ? 'one' : 'other'}`, { count, ...vars });
}

export function applyStaticStrings() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

export function formatTime(ts) {
  if (!ts) return '';
  try {
    return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(ts));
  } catch {
    return '';
  }
}

// ---- DOM -------------------------------------------------------------------------

// All user text goes in through textContent, never as HTML.
export function h(tag, attrs = {}, ...children) {
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

// Redraws `container` with `draw` and puts the focus back on the control with the
// same data-focus key. When that control is gone (its item was deleted), the
// focus goes to the next control that survived, else the previous one, else
// `fallback`: never to <body>.
export function keepFocus(container, draw, fallback) {
  const active = document.activeElement;
  const key = active && active !== container && container.contains(active) ? active.dataset.focus : null;
  const before = key ? [...container.querySelectorAll('[data-focus]')].map((el) => el.dataset.focus) : [];
  draw();
  if (!key) return;
  const find = (k) => container.querySelector(`[data-focus="${CSS.escape(k)}"]`);
  const at = before.indexOf(key);
  const order = [key, ...before.slice(at + 1), ...before.slice(0, at).reverse()];
  for (const k of order) {
    const el = find(k);
    if (el && !el.disabled) {
      el.focus();
      return;
    }
  }
  if (fallback) fallback.focus();
}

// ---- alerts, notices, announcements ------------------------------------------------

export function showError(err, context) {
  const code = err && err.code;
  let text = code ? t(`error.${code}`) : String((err && err.message) || err);
  if (context) text = `${context} ${text}`;
  // The server's own words are English: shown to English readers only.
  if (lang === 'en' && err && err.message && code && err.message !== code &&
      !['timeout', 'disconnected', 'closed'].includes(code)) {
    text += ` (${err.message})`;
  }
  const box = h('div', { class: 'alert' },
    h('span', {}, `${t('error.prefix')} ${text}`),
    h('button', { type: 'button', onclick: () => box.remove(), text: t('dismiss') }));
  box.dataset.code = code || '';
  $('alerts').append(box);
  while ($('alerts').children.length > 3) $('alerts').firstElementChild.remove();
}

let noticeTimer = null;
export function notice(text) {
  $('notice').textContent = text;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $('notice').textContent = ''; }, 8000);
}

// Read out by screen readers whatever the view (one polite live region).
export function announce(text) {
  const live = $('live');
  live.textContent = '';
  // A fresh text node in a later task, so the same words twice are read twice.
  setTimeout(() => { live.textContent = text; }, 50);
}

// The banner under the header: the latest broadcast, phase change or report,
// seen on every view and screen size until dismissed or replaced.
export function showBanner(kind, text) {
  $('banner').dataset.kind = kind;
  $('banner-text').textContent = text;
  $('banner').hidden = false;
  announce(text);
}
