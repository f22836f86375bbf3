// Signing in: the login screen, the session (token and user in sessionStorage, so each tab
// signs in on its own and closing the tab forgets it) and role checks for what to show.
// The server decides every permission; the checks here only keep unusable forms away.

import { announce, h } from './dom.js';
import { roleLabel, rolesFor } from './meta.js';
import { t } from './messages.js';

const TOKEN_KEY = 'tuban.token';
const USER_KEY = 'tuban.user';

function read(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    /* storage disabled: the session lasts as long as the page */
  }
}

let memory = { token: null, user: null };

export const session = {
  get token() {
    return memory.token || read(TOKEN_KEY);
  },
  get user() {
    if (memory.user) return memory.user;
    try {
      return JSON.parse(read(USER_KEY) || 'null');
    } catch {
      return null;
    }
  },
  set(token, user) {
    memory = { token, user };
    write(TOKEN_KEY, token);
    write(USER_KEY, JSON.stringify(user));
  },
  setUser(user) {
    memory.user = user;
    write(USER_KEY, JSON.stringify(user));
  },
  clear() {
    memory = { token: null, user: null };
    write(TOKEN_KEY, null);
    write(USER_KEY, null);
  },
};

function rolesOf(user) {
  return new Set((user && user.roles) || []);
}

/** Does the user hold any of these roles? Admins hold them all. */
export function hasRole(user, ...roles) {
  const mine = rolesOf(user);
  return mine.has('admin') || roles.some((r) => mine.has(r));
}

/** May the user take this case action (the roles GET /api/meta lists for it)? */
export function mayTake(user, action) {
  const roles = rolesFor(action);
  return roles.length ? hasRole(user, ...roles) : hasRole(user);
}

/** "外业核查员、审核人" */
export function roleText(user) {
  if (!user) return '';
  // meta's labels, in the language in use; the API's zh role_labels when it has no roles.
  const labels = (user.roles || []).length ? user.roles.map(roleLabel) : user.role_labels || [];
  return labels.join(t('auth.sep'));
}

/** Plain words for a failed login. */
function loginMessage(err) {
  if (err.code === 'NETWORK_ERROR') return err.message;
  if (err.status === 401 || err.code === 'AUTH_REQUIRED') {
    return t('auth.signFailedPleaseCheck', { value: err.message || t('auth.wrongUserNamePassword') });
  }
  if (err.status === 422) return t('auth.signFailedFillUser');
  if (err.status === 429) return t('auth.signFailed', { value: err.message || t('auth.tooManyAttemptsTry') });
  return t('auth.signFailed2', { message: err.message });
}

/**
 * The login screen in root. onLogin({token, user}) runs after a successful login.
 * show({message}) shows it (optionally with a note such as “登录已失效”), hide() hides it.
 */
export function createLoginScreen(root, { api, onLogin }) {
  const username = h('input', {
    id: 'login-username', name: 'username', type: 'text', required: true,
    autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false',
    'data-testid': 'login-username',
  });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password', required: true,
    autocomplete: 'current-password', 'data-testid': 'login-password',
  });
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'login-alert', hidden: true });
  const note = h('p', { class: 'login-note', role: 'status', 'data-testid': 'login-note', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, t('auth.sign'));
  for (const [input, label] of [[username, t('auth.userName')], [password, t('auth.password')]]) {
    input.addEventListener('invalid', () => input.setCustomValidity(input.validity.valueMissing ? t('auth.fill', { label }) : ''));
    input.addEventListener('input', () => input.setCustomValidity(''));
  }
  const form = h('form', { class: 'login-form', 'data-testid': 'login-form', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title' }, t('auth.sign')),
    note,
    alertBox,
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, t('auth.userName')), username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('auth.password')), password),
    h('div', { class: 'form-actions' }, button),
    h('p', { class: 'muted login-help' }, t('auth.forgotYourPasswordNeed')));
  root.replaceChildren(h('div', { class: 'login-card' }, form));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    announce(alertBox, '');
    let result;
    try {
      result = await api.login(username.value.trim(), password.value);
    } catch (err) {
      announce(alertBox, loginMessage(err));
      password.select();
      password.focus();
      return;
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
    password.value = '';
    await onLogin(result); // the app reports its own loading errors
  });

  return {
    /** message: why the screen is shown (e.g. 登录已失效); name: pre-filled user name. */
    show({ message = '', name = '' } = {}) {
      root.hidden = false;
      announce(note, message);
      announce(alertBox, '');
      if (name && !username.value) username.value = name;
      (username.value ? password : username).focus();
    },
    hide() {
      root.hidden = true;
      announce(note, '');
      announce(alertBox, '');
    },
  };
}
