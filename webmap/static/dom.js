// Tiny DOM helpers. Everything is built with createElement/textContent, never innerHTML,
// because attribute values come from imported source files. URL attributes (href, src, …)
// accept only http(s), blob, relative URLs and the map apps' schemes (navigate.js: geo:, amapuri:,
// baidumap:, qqmap:, which only open an app): a javascript: or data: link from a file or a form
// is dropped.

const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster']);
const SAFE_SCHEMES = new Set(['http', 'https', 'blob', 'geo', 'amapuri', 'baidumap', 'qqmap']);

/** The URL if it is relative, http(s)/blob or a map app's, else null (javascript:, data:, …). */
export function safeUrl(value) {
  const text = String(value);
  // Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
  // eslint-disable-next-line no-control-regex
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text.replace(/[\u0000-\u0020]/g, ''));
  if (!scheme) return text;
  return SAFE_SCHEMES.has(scheme[1].toLowerCase()) ? text : null;
}

/**
 * Create an element: h('td', {class: 'x', 'data-testid': 'y', onclick: fn}, 'text', child)
 * Attribute values null/undefined/false are skipped; true sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (URL_ATTRIBUTES.has(key.toLowerCase())) {
      const url = safeUrl(value);
      if (url !== null) el.setAttribute(key, url);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children, flattening arrays and skipping null/undefined/false. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Show text in a live region (role=alert / role=status); empty text hides it. */
export function announce(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}

/** Replace an element's children (arrays flattened, as in h()). */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A value from a file, a form or a person (a place name, a display name, an attribute): shown
 * as it is in every language, so it is marked data-value (the language tests skip it). */
export function dataValue(value) {
  return h('span', { 'data-value': '' }, value === null || value === undefined ? '—' : String(value));
}
