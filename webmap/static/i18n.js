// 中文 / English switch. Words come from the message catalogs (messages.js t()); this module
// fills the page shell's own words (index.html elements marked data-i18n="id", and
// data-i18n-<attr>="id" for placeholder/aria-label/title), keeps the choice in localStorage
// (`tuban.lang`) and sets <html lang>. Switching re-renders: the choice is saved and the page is
// drawn again from the catalogs (a reload; the URL hash keeps the batch, 图斑 and tab, the forms
// keep their drafts). Offline, the new language waits for the next load rather than lose the
// page. Test hooks: data-testid="lang-switch" (data-pending when waiting), <html lang>.

import { language, loadCatalog, t, useLanguage } from './messages.js';

const KEY = 'tuban.lang';
const ATTRS = ['placeholder', 'aria-label', 'title'];

function saved() {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

/** Write the shell's words (elements marked data-i18n / data-i18n-<attr>) under root. */
export function renderShell(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const a of ATTRS) {
    for (const el of root.querySelectorAll(`[data-i18n-${a}]`)) el.setAttribute(a, t(el.getAttribute(`data-i18n-${a}`)));
  }
  document.title = t('shell.title');
}

function label(button) {
  const other = language() === 'en' ? 'zh-CN' : 'en';
  // The switch names the other language in that language, as language menus do.
  button.textContent = other === 'en' ? 'English' : '中文';
  button.lang = other;
  button.setAttribute('aria-label', other === 'en' ? 'Switch to English' : '切换到中文');
}

/** Use the saved language for everything drawn from now on; call before any view is built. */
export async function startLanguage() {
  await loadCatalog(saved());
  useLanguage(saved());
  document.documentElement.lang = language();
  renderShell();
}

/** Wire the switch: save the other language and draw the page again in it. */
export function initLanguage(button, { reload = () => location.reload(), online = () => navigator.onLine } = {}) {
  label(button);
  button.addEventListener('click', () => {
    const next = saved() === 'en' ? 'zh-CN' : 'en';
    try {
      localStorage.setItem(KEY, next);
    } catch {
      return; // nowhere to keep the choice: stay as we are
    }
    if (online()) {
      reload();
      return;
    }
    button.dataset.pending = next;
    button.textContent = t('shell.languageAfterReconnect');
  });
}
