// dom.js - building elements from data the aggregator sent: text only, never
// markup (an aggregator is not trusted, its strings must not become HTML).

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// A table from a header list and rows (arrays of cells: text or elements).
export function table(headers, rows, attrs) {
  return el('table', attrs,
    el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))),
    el('tbody', null, rows.map((r) => el('tr', null, r.map((c) => el('td', null, c))))));
}

export function short(hash) {
  return typeof hash === 'string' && hash.length > 16 ? `${hash.slice(0, 8)}…${hash.slice(-6)}` : String(hash ?? '');
}

export function fmtAda(lovelace) {
  const n = Number(lovelace) / 1e6;
  return `${n.toLocaleString('en-US', { maximumFractionDigits: 2 })} ₳`;
}

export function fmtDate(s) {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? String(s) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// The signed entity of a certificate: {"Kind": beacon} or "Kind".
export function entityName(t) {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object') return Object.keys(t)[0] || '?';
  return '?';
}

export function entityBeacon(t) {
  if (!t || typeof t !== 'object') return '';
  const v = Object.values(t)[0];
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.join(', ');
  return Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ');
}

export function replace(id, ...children) {
  const e = document.getElementById(id);
  e.replaceChildren(...children.flat());
  return e;
}
