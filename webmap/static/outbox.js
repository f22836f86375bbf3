// 待提交: case actions taken while the connection was lost are kept on this device
// (localStorage `tuban.outbox.<username>`) and sent, in order, when the browser is back online
// (the `online` event, signing in, or the 立即提交 button). Each keeps the version the form was
// filled against, so a case someone else changed meanwhile is refused with a conflict instead of
// being overwritten; that is shown in plain words, and what was filled in goes back into the
// form's draft so nothing typed is lost.
// Test hooks: data-testid="net-box" (data-online, data-pending), "net-state", "outbox-send",
// "outbox-alert" with one "outbox-problem" per refused item (data-case-id, data-code).

import { h } from './dom.js';
import { draftValues } from './form-model.js';
import { drainQueue, enqueue, loadQueue } from './outbox-queue.js';
import { actionLabel } from './meta.js';
import { t } from './messages.js';

/** Back into the form's draft (forms.js), so reopening the case shows what was filled in. */
function restoreDraft(user, item) {
  const values = draftValues(item.payload);
  try {
    localStorage.setItem(`tuban.draft.${user.username}.${item.case_id}.${item.action}`,
      JSON.stringify({ at: item.queued_at, values }));
  } catch {
    /* the message still lists what was filled in */
  }
}

function problemText(item, err) {
  const label = actionLabel(item.action);
  const head = t('outbox.filledOfflinePolygonCould', { value: item.code || item.case_id, label });
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

/**
 * createOutbox({api, getUser, box, state, sendButton, alertBox, onSent(item, updatedCase)})
 * → {add(item), flush(), render(), pending()}
 */
export function createOutbox({ api, getUser, box, state, sendButton, alertBox, onSent, onOpenCase }) {
  let flushing = null;
  const problems = [];

  function pending() {
    const user = getUser();
    return user ? loadQueue(localStorage, user) : [];
  }

  function render() {
    const n = pending().length;
    const online = navigator.onLine;
    box.dataset.online = String(online);
    box.dataset.pending = String(n);
    state.textContent = online ? (n ? t('outbox.waitingBeSent', { n }) : '') : (n ? t('outbox.offlineWaitingBeSent', { n }) : t('outbox.offline'));
    box.hidden = online && !n;
    sendButton.hidden = !n || !online;
    alertBox.replaceChildren(...problems.map((p) => h('p', {
      'data-testid': 'outbox-problem', 'data-case-id': String(p.item.case_id), 'data-code': p.item.code || '',
    }, p.text, ' ', h('button', {
      type: 'button', class: 'link-button', onclick: () => onOpenCase(p.item.case_id, p.item.batch_id),
    }, t('outbox.openPolygon')))));
    alertBox.hidden = !problems.length;
  }

  function add(item) {
    const n = enqueue(localStorage, getUser(), item);
    render();
    return n;
  }

  async function flushOnce() {
    const user = getUser();
    if (!user) return;
    const send = (item) => api.postAction(item.case_id, {
      action: item.action, payload: item.payload, expected_version: item.expected_version,
    });
    await drainQueue(localStorage, user, send, {
      onSent,
      onRefused: (item, err) => {
        restoreDraft(user, item);
        problems.push({ item, text: problemText(item, err) });
      },
      onStep: render,
    });
    render();
  }

  function flush() {
    if (!flushing) flushing = flushOnce().finally(() => { flushing = null; });
    return flushing;
  }

  window.addEventListener('online', () => flush());
  window.addEventListener('offline', render);
  sendButton.addEventListener('click', () => flush());
  return {
    add, flush, render, pending,
    clearProblems() {
      problems.length = 0;
      render();
    },
  };
}
