// 用户管理 (admins only): the accounts (GET /api/users), adding one (POST /api/users) and
// deactivating / reactivating (PATCH /api/users/{id} {active}). Users are never deleted.
// 乡镇 choices come from the 乡镇界 reference layer (ident = 乡镇代码, label = name); codes
// not in it can be typed in.
// Test hooks: "users-table" with one "user-row" per account (data-username, data-active),
// "user-toggle" (停用/启用), "user-form" with "user-username", "user-display-name",
// "user-password", "user-role-<role>", "user-township-<code>", "user-townships-extra",
// "user-submit"; "admin-status" / "admin-alert".

import { announce, fill, h } from './dom.js';
import { zhValidity } from './forms.js';
import { roleLabel, roles as roleCodes } from './meta.js';
import { t } from './messages.js';

async function loadTownships(api) {
  try {
    const refs = (await api.references()).data || [];
    const layer = refs.filter((r) => r.kind === 'township').pop();
    if (!layer) return [];
    const fc = await api.referenceFeatures(layer.id, null);
    const seen = new Map();
    for (const f of fc.features || []) {
      const p = f.properties || {};
      if (p.ident && !seen.has(String(p.ident))) seen.set(String(p.ident), p.label || String(p.ident));
    }
    return [...seen.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  } catch {
    return [];
  }
}

function field(id, label, input, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label, input.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

/** createAdminView(root, api, {getUser}) → {refresh, clear} */
export function createAdminView(root, api, { getUser }) {
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'admin-alert', hidden: true });
  const statusBox = h('div', { class: 'status', role: 'status', 'data-testid': 'admin-status', hidden: true });
  const tableBox = h('div', { class: 'table-scroll' }, h('p', { class: 'muted' }, t('admin.loading')));
  const formBox = h('div', { class: 'user-form-box' });
  root.replaceChildren(
    h('h2', {}, t('admin.usersImports')),
    alertBox, statusBox,
    h('section', { 'aria-labelledby': 'users-title' }, h('h3', { id: 'users-title' }, t('admin.accounts')), tableBox),
    h('section', { 'aria-labelledby': 'user-form-title' }, h('h3', { id: 'user-form-title' }, t('admin.addUser')), formBox));
  let townships = null; // [[code, name]]
  let townshipNames = new Map();
  let generation = 0;

  function error(text) {
    announce(statusBox, '');
    announce(alertBox, text);
  }
  function status(text) {
    announce(alertBox, '');
    announce(statusBox, text);
  }

  function townshipText(codes) {
    if (!codes || !codes.length) return '—';
    if (townshipNames.size && [...townshipNames.keys()].every((c) => codes.includes(c))) {
      const extra = codes.filter((c) => !townshipNames.has(c));
      return t('admin.allTownships', { size: townshipNames.size, value: extra.length ? t('admin.more', { value: extra.join(t('admin.sep')) }) : '' });
    }
    // Township names are the reference layer's data: shown as they are in every language.
    return h('span', { 'data-value': '' }, codes.map((c) => townshipNames.get(c) || c).join(t('admin.sep')));
  }

  function userRow(u) {
    const me = getUser();
    const self = me && String(me.id) === String(u.id);
    const toggle = self
      ? h('span', { class: 'muted', 'data-testid': 'user-self' }, t('admin.signedNow'))
      : h('button', {
        type: 'button', class: u.active ? 'danger-button' : '', 'data-testid': 'user-toggle',
        'data-value-label': '', // the label names the person
        'aria-label': t('admin.user', { value: u.active ? t('admin.deactivate') : t('admin.activate'), display_name: u.display_name, username: u.username }),
      }, u.active ? t('admin.deactivate') : t('admin.activate'));
    if (!self) {
      toggle.addEventListener('click', async () => {
        toggle.disabled = true;
        try {
          const updated = await api.updateUser(u.id, { active: !u.active });
          status(t('admin.user2', { value: updated.active ? t('admin.activate') : t('admin.deactivate'), display_name: updated.display_name, username: updated.username }) +
            (updated.active ? '' : t('admin.theirSessionsHaveEnded')));
          await refreshUsers({ focusUser: updated.id });
        } catch (err) {
          error(err.status === 403 ? t('admin.youAreNotAllowed', { message: err.message }) : t('admin.couldNotChangeUser', { message: err.message }));
          toggle.disabled = false;
        }
      });
    }
    // meta's labels in the language in use; the API's zh role_labels only without role codes.
    const roles = (u.roles || []).length ? u.roles.map(roleLabel) : u.role_labels || [];
    return h('tr', {
      'data-testid': 'user-row', 'data-username': u.username, 'data-user-id': String(u.id),
      'data-active': String(Boolean(u.active)), class: u.active ? '' : 'inactive',
    },
    h('th', { scope: 'row', 'data-value': '' }, u.username),
    h('td', { 'data-value': '' }, u.display_name || '—'),
    h('td', {}, roles.join(t('admin.sep')) || '—'),
    h('td', { class: 'townships', title: (u.townships || []).join(t('admin.sep')) || null }, townshipText(u.townships)),
    h('td', {}, u.active ? t('admin.active') : h('span', { class: 'muted' }, t('admin.deactivated'))),
    h('td', {}, toggle));
  }

  async function refreshUsers({ focusUser = null } = {}) {
    const mine = ++generation;
    try {
      const list = (await api.users()).data || [];
      if (mine !== generation) return;
      fill(tableBox, h('table', { class: 'attr-table users-table', 'data-testid': 'users-table' },
        h('caption', { class: 'visually-hidden' }, t('admin.users')),
        h('thead', {}, h('tr', {}, [t('admin.userName'), t('admin.displayName'), t('admin.roles'), t('admin.townships'), t('admin.status'), t('admin.actions')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map(userRow))));
      if (focusUser !== null) {
        tableBox.querySelector(`tr[data-user-id="${CSS.escape(String(focusUser))}"] button`)?.focus();
      }
    } catch (err) {
      if (mine !== generation) return;
      fill(tableBox, null);
      error(err.status === 403 ? t('admin.youMayNotSee', { message: err.message }) : t('admin.couldNotLoadUsers', { message: err.message }));
    }
  }

  function buildForm() {
    const username = h('input', { id: 'u-username', name: 'username', required: true, autocomplete: 'off', 'data-testid': 'user-username', maxlength: 64 });
    const display = h('input', { id: 'u-display', name: 'display_name', autocomplete: 'off', 'data-testid': 'user-display-name', maxlength: 100 });
    const password = h('input', {
      id: 'u-password', name: 'password', type: 'password', required: true, minlength: 8,
      autocomplete: 'new-password', 'data-testid': 'user-password', 'aria-describedby': 'u-password-hint',
    });
    zhValidity(username, { label: t('admin.userName') });
    zhValidity(password, { label: t('admin.initialPassword') });
    const roleBoxes = roleCodes().map((r) => h('div', { class: 'check' },
      h('input', { type: 'checkbox', id: `u-role-${r}`, name: 'roles', value: r, 'data-testid': `user-role-${r}` }),
      h('label', { for: `u-role-${r}` }, roleLabel(r))));
    const roleNote = h('small', { class: 'hint', id: 'u-roles-hint' }, t('admin.chooseAtLeastOne'));
    const townBoxes = (townships || []).map(([code, name]) => h('div', { class: 'check' },
      h('input', { type: 'checkbox', id: `u-town-${code}`, name: 'townships', value: code, 'data-testid': `user-township-${code}` }),
      h('label', { for: `u-town-${code}` }, h('span', { 'data-value': '' }, name), h('span', { class: 'muted' }, ` ${code}`))));
    const extra = h('input', {
      id: 'u-towns-extra', name: 'townships_extra', autocomplete: 'off', 'data-testid': 'user-townships-extra',
      'aria-describedby': 'u-towns-extra-hint', pattern: '[0-9,，、\\s]*',
    });
    zhValidity(extra, { label: t('admin.otherTownshipCodes'), hint: t('admin.digitsOnlySeparatedBy') });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'user-submit' }, t('admin.addUser'));
    const form = h('form', { class: 'action-form user-form', 'data-testid': 'user-form' },
      h('fieldset', {}, h('legend', {}, t('admin.account')),
        field('u-username', t('admin.userName'), username),
        field('u-display', t('admin.displayName'), display),
        field('u-password', t('admin.initialPassword'), password, t('admin.atLeastCharactersTell'))),
      h('fieldset', { 'aria-describedby': 'u-roles-hint' }, h('legend', {}, t('admin.roles'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
        h('div', { class: 'check-grid' }, roleBoxes), roleNote),
      h('fieldset', {}, h('legend', {}, t('admin.townshipsFieldVerifiersAre')),
        townBoxes.length
          ? h('div', { class: 'check-grid towns' }, townBoxes)
          : h('p', { class: 'muted' }, t('admin.noTownshipBoundaryLayer')),
        field('u-towns-extra', t('admin.otherTownshipCodes'), extra, t('admin.severalCodesSeparatedBy'))),
      h('div', { class: 'form-actions' }, submit));

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      form.classList.add('touched');
      if (!form.reportValidity()) return;
      const roles = [...form.querySelectorAll('input[name="roles"]:checked')].map((el) => el.value);
      if (!roles.length) {
        error(t('admin.chooseAtLeastOne2'));
        form.querySelector('input[name="roles"]').focus();
        return;
      }
      const towns = new Set([...form.querySelectorAll('input[name="townships"]:checked')].map((el) => el.value));
      for (const code of extra.value.split(/[\s,，、]+/)) if (code) towns.add(code);
      const body = {
        username: username.value.trim(),
        display_name: display.value.trim() || username.value.trim(),
        password: password.value,
        roles,
        townships: [...towns],
      };
      submit.disabled = true;
      try {
        const u = await api.addUser(body);
        status(t('admin.addedUser', { display_name: u.display_name, username: u.username, value: (u.role_labels || u.roles || []).join(t('admin.sep')) }));
        form.reset();
        form.classList.remove('touched');
        await refreshUsers();
      } catch (err) {
        const problems = err.details && Array.isArray(err.details.problems)
          ? t('admin.sep3', { value: err.details.problems.map((p) => p.message || p.msg || JSON.stringify(p)).join(t('admin.sep2')) }) : '';
        error(err.status === 403 ? t('admin.youAreNotAllowed', { message: err.message }) : t('admin.couldNotAddUser', { message: err.message, problems }));
      } finally {
        submit.disabled = false;
      }
    });
    fill(formBox, form);
  }

  async function refresh() {
    if (townships === null) {
      townships = await loadTownships(api);
      townshipNames = new Map(townships);
      buildForm();
    }
    await refreshUsers();
  }

  function clear() {
    generation += 1;
    townships = null;
    announce(alertBox, '');
    announce(statusBox, '');
    fill(tableBox, h('p', { class: 'muted' }, t('admin.loading')));
    fill(formBox, null);
  }

  return { refresh, clear };
}
