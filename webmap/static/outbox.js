// 待提交: case actions and photos taken while the connection was lost are kept on this device
// (IndexedDB, offline-db.js: they survive a reload and a closed browser) and sent, in order, when
// the browser is back online (the `online` event, signing in, or the 立即提交 button). Items are
// kept per account and sent only with that account's session: after a closed browser (the token
// lived in sessionStorage) they wait until the same user signs in again, and the login screen
// says so. Each action keeps the version the form was filled against, so a case someone else
// changed meanwhile is refused with a conflict instead of being overwritten; that is shown in
// plain words, and what was filled in goes back into the form's draft so nothing typed is lost.
// Test hooks: data-testid="net-box" (data-online, data-pending), "net-state", "outbox-send",
// "outbox-list" with one "outbox-item" per kept item (data-kind, data-status, data-case-id),
// "outbox-alert" with one "outbox-problem" per refused item (data-case-id, data-code).

import { h } from './dom.js';
import { draftValues } from './form-model.js';
import { fmt2 } from './labels.js';
import { deviceStore } from './offline-db.js';
import { drainQueue, enqueue, loadQueue, sendFinding } from './outbox-queue.js';
import { actionLabel, violationLabel } from './meta.js';
import { t } from './messages.js';

const STATUS_TEXT = { waiting: 'outbox.statusWaiting', sending: 'outbox.statusSending' };

/** Back into the form's draft (forms.js), so reopening the case shows what was filled in. */
function restoreDraft(user, item) {
  if (item.kind === 'photo' || item.kind === 'finding') return;
  const values = draftValues(item.payload);
  try {
    localStorage.setItem(`tuban.draft.${user.username}.${item.case_id}.${item.action}`,
      JSON.stringify({ at: item.queued_at, values }));
  } catch {
    /* the message still lists what was filled in */
  }
}

function what(item) {
  if (item.kind === 'finding') {
    return t('patrol.outboxFinding', { violation: violationLabel(item.body?.violation), n: (item.photos || []).length });
  }
  return item.kind === 'photo' ? t('outbox.photoNamed', { name: item.name }) : t('outbox.actionNamed', { label: actionLabel(item.action) });
}

/** A photo kept with a finding, as the upload takes it. */
function photoFile(photo) {
  return new File([photo.blob], photo.name, { type: photo.type || 'image/jpeg' });
}

function problemText(item, err) {
  if (item.kind === 'finding') return t('patrol.findingRefused', { what: what(item), message: err.message });
  const head = t('outbox.filledOfflinePolygonCould', { value: item.code || item.case_id, label: what(item) });
  if (err.code === 'CASE_VERSION_CONFLICT') {
    return t('outbox.someoneElseChangedPolygon', { head, message: err.message });
  }
  if (err.code === 'CASE_INVALID_TRANSITION') {
    return t('outbox.polygonSStateHas', { head, message: err.message });
  }
  if (err.status === 403) return t('outbox.youAreNotAllowed', { head, message: err.message });
  if (err.status === 404) return t('outbox.polygonDoesNotExist', { head, message: err.message });
  return `${head}${err.message}`;
}

/** Every account's waiting items on this device: {username: n}, for the login screen. */
export async function waitingByUser(store = deviceStore()) {
  const out = {};
  for (const item of await store.all()) out[item.user] = (out[item.user] || 0) + 1;
  return out;
}

/**
 * createOutbox({api, getUser, box, state, sendButton, alertBox, onSent(item, result), onOpenCase,
 * onChange(items)}) → {add(item), addPhoto(case, file), addFinding(item), flush(), render(),
 * pending(), refresh(), clearProblems()}; onChange hears the queue whenever it is drawn.
 */
export function createOutbox({
  api, getUser, box, state, sendButton, alertBox, onSent, onOpenCase, onChange = () => {}, store = deviceStore(),
}) {
  let flushing = null;
  let items = []; // the signed-in user's queue as last read from the store
  const problems = [];
  const list = h('ul', { class: 'outbox-list', 'data-testid': 'outbox-list' });
  const details = h('details', { class: 'outbox-details' }, h('summary', {}, t('outbox.show')), list);
  box.append(details);

  function render() {
    const n = items.length;
    const online = navigator.onLine;
    box.dataset.online = String(online);
    box.dataset.pending = String(n);
    state.textContent = online ? (n ? t('outbox.waitingBeSent', { n }) : '') : (n ? t('outbox.offlineWaitingBeSent', { n }) : t('outbox.offline'));
    box.hidden = online && !n;
    sendButton.hidden = !n || !online;
    details.hidden = !n;
    list.replaceChildren(...items.map((item) => h('li', {
      'data-testid': 'outbox-item', 'data-kind': item.kind, 'data-status': item.status, 'data-case-id': String(item.case_id ?? ''),
    }, item.kind === 'finding'
      ? t('patrol.outboxItem', { code: item.code || t('patrol.newFinding'), what: what(item) })
      : t('outbox.item', { code: item.code || item.case_id, what: what(item) }),
    item.kind === 'photo' && item.size ? t('outbox.size', { size: fmt2(item.size / 1048576) }) : '',
    ' · ', STATUS_TEXT[item.status] ? t(STATUS_TEXT[item.status]) : item.status,
    item.error && item.status === 'waiting' ? h('span', { class: 'muted' }, t('outbox.lastError', { error: item.error })) : null)));
    alertBox.replaceChildren(...problems.map((p) => h('p', {
      'data-testid': 'outbox-problem', 'data-case-id': String(p.item.case_id), 'data-code': p.item.code || '',
    }, p.text, ' ', h('button', {
      type: 'button', class: 'link-button', onclick: () => onOpenCase(p.item.case_id, p.item.batch_id),
      hidden: p.item.case_id === null || p.item.case_id === undefined,
    }, t('outbox.openPolygon')))));
    alertBox.hidden = !problems.length;
    onChange(items.slice());
  }

  /** Re-read the signed-in user's queue from the store, then show it. */
  async function refresh() {
    const user = getUser();
    items = user ? await loadQueue(store, user) : [];
    render();
    return items;
  }

  /** Keep an action: {case_id, batch_id, code, action, payload, expected_version}; → how many wait. */
  async function add(item) {
    const n = await enqueue(store, getUser(), { kind: 'action', ...item });
    await refresh();
    return n;
  }

  /** Keep a photo file (as a Blob) for the case; → how many wait. */
  async function addPhoto(c, file) {
    const n = await enqueue(store, getUser(), {
      kind: 'photo', case_id: c.id, batch_id: c.batch_id, code: c.code,
      blob: file, name: file.name || 'photo.jpg', type: file.type, size: file.size,
    });
    await refresh();
    return n;
  }

  /** Keep a finding (kind 'finding': {path, body, photos: [{blob, name, type, size}]}); → how many wait. */
  async function addFinding(item) {
    const n = await enqueue(store, getUser(), { kind: 'finding', case_id: null, code: null, ...item });
    await refresh();
    return n;
  }

  const findingApi = {
    postFinding: (path, body) => api.postFinding(path, body),
    uploadPhoto: (caseId, photo) => api.uploadPhoto(caseId, photoFile(photo)),
  };

  function send(item, save) {
    if (item.kind === 'finding') return sendFinding(item, findingApi, save);
    if (item.kind === 'photo') {
      return api.uploadPhoto(item.case_id, new File([item.blob], item.name, { type: item.type || 'image/jpeg' }));
    }
    return api.postAction(item.case_id, {
      action: item.action, payload: item.payload, expected_version: item.expected_version,
    });
  }

  async function flushOnce() {
    const user = getUser();
    if (!user) return;
    await drainQueue(store, user, send, {
      onSent,
      onRefused: (item, err) => {
        restoreDraft(user, item);
        problems.push({ item, text: problemText(item, err) });
      },
      onStep: () => { refresh(); },
    });
    await refresh();
  }

  // A flush asked for while one runs (the connection came back while a send was failing) runs
  // again after it: otherwise the items would wait for the next `online` event.
  let again = false;
  function flush() {
    if (flushing) {
      again = true;
      return flushing;
    }
    flushing = flushOnce().finally(() => {
      flushing = null;
      if (again) {
        again = false;
        flush();
      }
    });
    return flushing;
  }

  window.addEventListener('online', () => flush());
  window.addEventListener('offline', render);
  sendButton.addEventListener('click', () => flush());
  return {
    add, addPhoto, addFinding, flush, render, refresh,
    pending: () => items.slice(),
    clearProblems() {
      problems.length = 0;
      items = [];
      render();
    },
  };
}
