// Message catalogs and t(): every word the page writes comes from i18n/zh-CN.js or i18n/en.js,
// keyed by a message id ("tasks.title"). Messages take ICU-like parameters: "{name}", and
// "{n, plural, =0 {…} one {…} other {# …}}" ('#' is the number). The workflow's vocabulary is
// not here: meta.js gives its labels in the language in use (label / label_en of GET /api/meta).
// DOM-free, so the catalogs and t() are tested in Node (webmap/tests/messages.test.js).

import zhCN from './i18n/zh-CN.js';

// English is fetched only when it is used (loadCatalog): a phone on zh-CN never downloads it.
export const CATALOGS = { 'zh-CN': zhCN, en: null };
export const LANGUAGES = Object.keys(CATALOGS);

/** Make `name`'s catalog available (once); call before useLanguage(name). */
export async function loadCatalog(name) {
  if (name === 'en' && !CATALOGS.en) CATALOGS.en = (await import('./i18n/en.js')).default;
}

let lang = 'zh-CN';
const listeners = new Set();

/** The language in use: 'zh-CN' or 'en'. */
export function language() {
  return lang;
}

/** Use `next` from now on and tell every listener (views re-render themselves). */
export function useLanguage(next) {
  const chosen = next === 'en' ? 'en' : 'zh-CN';
  if (chosen === lang) return lang;
  lang = chosen;
  for (const fn of [...listeners]) fn(lang);
  return lang;
}

/** Call fn(lang) after every language switch; returns a function that stops it. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** zh or its English, whichever the language in use wants (meta's label / label_en pairs). */
export function pick(zh, english) {
  return lang === 'en' && english ? english : zh;
}

/** The message `id` in the language in use (zh-CN when English lacks it; the id when both do). */
export function t(id, params) {
  const text = CATALOGS[lang]?.[id] ?? CATALOGS['zh-CN'][id];
  return text === undefined ? id : format(text, params || {}, lang);
}

// --- the ICU subset ------------------------------------------------------------------------------

/** The text between the brace at `open` and its partner; index after the partner. */
function group(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return [text.slice(open + 1, i), i + 1];
    }
  }
  throw new SyntaxError(`unbalanced braces in message: ${text}`);
}

function plural(spec, value, locale) {
  const options = {};
  let i = 0;
  while (i < spec.length) {
    const m = /^\s*(=\d+|zero|one|two|few|many|other)\s*/.exec(spec.slice(i));
    if (!m) break;
    const [body, next] = group(spec, i + m[0].length);
    options[m[1]] = body;
    i = next;
  }
  const n = Number(value);
  const chosen = options[`=${n}`] ?? options[new Intl.PluralRules(locale).select(n)] ?? options.other ?? '';
  return chosen.replace(/#/g, Number.isFinite(n) ? n.toLocaleString(locale) : String(value));
}

/** Fill a message's parameters; a missing one is left as "{name}" so that it shows. */
export function format(text, params, locale = lang) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) return out + text.slice(i);
    out += text.slice(i, open);
    const [inner, next] = group(text, open);
    const [name, kind, ...rest] = inner.split(',');
    const key = name.trim();
    const value = params[key];
    if (kind && kind.trim() === 'plural') {
      out += value === undefined ? `{${key}}` : format(plural(rest.join(','), value, locale), params, locale);
    } else {
      out += value === undefined || value === null ? `{${key}}` : String(value);
    }
    i = next;
  }
  return out;
}

/** The parameter names a message uses (for the catalog tests). */
export function parameters(text) {
  const names = new Set();
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) break;
    const [inner, next] = group(text, open);
    const [name, kind, ...rest] = inner.split(',');
    names.add(name.trim());
    if (kind && kind.trim() === 'plural') {
      const spec = rest.join(',');
      for (const m of spec.matchAll(/\{([^{}]*)\}/g)) for (const p of parameters(m[1])) names.add(p);
    }
    i = next;
  }
  return names;
}

/** t() as pieces: text, and each parameter given as an object (a DOM node) left whole, so a
 * data value can sit in its own element (data-value) inside a sentence. Plural parameters are
 * written as text. */
export function tParts(id, params) {
  const text = CATALOGS[lang]?.[id] ?? CATALOGS['zh-CN'][id] ?? id;
  const out = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) break;
    out.push(text.slice(i, open));
    const [inner, next] = group(text, open);
    const key = inner.split(',')[0].trim();
    const value = params[key];
    out.push(value !== null && typeof value === 'object' ? value : format(`{${inner}}`, params, lang));
    i = next;
  }
  out.push(text.slice(i));
  return out.filter((x) => x !== '');
}
