// 中文 / English. The page is written in zh-CN; English is a translation layer over the DOM:
// every text node and the placeholder/aria-label/title/alt attributes are translated phrase
// by phrase (longest phrase first) while English is on, and restored when switching back.
// A MutationObserver translates whatever the app renders later. Data from the server (图斑编号,
// village names, messages the API writes) stays as it is, apart from the phrases known here.
// The choice is kept in localStorage (`tuban.lang`). Test hooks: data-testid="lang-switch",
// <html lang="zh-CN|en">.

import { CJK, toEnglish } from './phrases.js';

export { addPhrases, toEnglish } from './phrases.js';

const KEY = 'tuban.lang';

const ATTRS = ['placeholder', 'aria-label', 'title', 'alt'];

const originals = new WeakMap(); // text node → zh text; element → {attr: zh}
let lang = 'zh-CN';
let observer = null;
let busy = false;

function skipped(node) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return !el || Boolean(el.closest('script,style,[data-no-translate]'));
}

function translateText(node) {
  if (skipped(node)) return;
  const now = node.nodeValue;
  const known = originals.get(node);
  // The app wrote new zh text since we translated: that is the new original.
  const zh = known !== undefined && known.en === now ? known.zh : now;
  if (!CJK.test(zh)) return;
  const en = toEnglish(zh);
  originals.set(node, { zh, en });
  if (en !== now) node.nodeValue = en;
}

function translateAttrs(el) {
  if (skipped(el)) return;
  let saved = originals.get(el);
  for (const a of ATTRS) {
    const now = el.getAttribute(a);
    if (!now) continue;
    const prev = saved && saved[a];
    const zh = prev && prev.en === now ? prev.zh : now;
    if (!CJK.test(zh)) continue;
    const en = toEnglish(zh);
    if (!saved) {
      saved = {};
      originals.set(el, saved);
    }
    saved[a] = { zh, en };
    if (en !== now) el.setAttribute(a, en);
  }
}

function walk(root) {
  if (root.nodeType === Node.TEXT_NODE) {
    translateText(root);
    return;
  }
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  if (root.closest && root.closest('script,style,[data-no-translate]')) return;
  translateAttrs(root);
  const it = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.nodeType === Node.ELEMENT_NODE && /^(SCRIPT|STYLE)$/.test(n.tagName)
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  for (let n = it.nextNode(); n; n = it.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) translateText(n);
    else translateAttrs(n);
  }
}

function restore(root) {
  const it = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = root; n; n = it.nextNode()) {
    const saved = originals.get(n);
    if (!saved) continue;
    if (n.nodeType === Node.TEXT_NODE) {
      if (n.nodeValue === saved.en) n.nodeValue = saved.zh;
    } else {
      for (const [a, v] of Object.entries(saved)) if (n.getAttribute(a) === v.en) n.setAttribute(a, v.zh);
    }
    originals.delete(n);
  }
}

function run(fn) {
  busy = true;
  try {
    fn();
  } finally {
    if (observer) observer.takeRecords();
    busy = false;
  }
}

function observe() {
  observer = new MutationObserver((records) => {
    if (busy || lang !== 'en') return;
    run(() => {
      for (const r of records) {
        if (r.type === 'characterData') translateText(r.target);
        else if (r.type === 'attributes') translateAttrs(r.target);
        else r.addedNodes.forEach(walk);
      }
    });
  });
  observer.observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS,
  });
}

const TITLE_ZH = document.title;

/** Switch the page to 'en' or 'zh-CN'; the button shows the other language. */
export function setLanguage(next, button) {
  lang = next === 'en' ? 'en' : 'zh-CN';
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    /* the choice lasts as long as the page */
  }
  document.documentElement.lang = lang;
  if (!observer) observe();
  run(() => {
    if (lang === 'en') {
      walk(document.body);
      document.title = toEnglish(TITLE_ZH);
    } else {
      restore(document.body);
      document.title = TITLE_ZH;
    }
  });
  if (button) {
    button.textContent = lang === 'en' ? '中文' : 'English';
    button.lang = lang === 'en' ? 'zh-CN' : 'en';
    button.setAttribute('data-no-translate', '');
    button.setAttribute('aria-label', lang === 'en' ? '切换到中文' : 'Switch to English');
  }
}

export function currentLanguage() {
  return lang;
}

/** Wire the switch button and apply the saved choice. */
export function initLanguage(button) {
  let saved;
  try {
    saved = localStorage.getItem(KEY) || 'zh-CN';
  } catch {
    saved = 'zh-CN';
  }
  button.addEventListener('click', () => setLanguage(lang === 'en' ? 'zh-CN' : 'en', button));
  setLanguage(saved, button);
}
