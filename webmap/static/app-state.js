// What the page is showing, shared by the app's modules: the batches, the loaded one, whether
// someone is signed in, the server's config, and the promise tests wait on (window.tubanMap.ready).
// The URL hash keeps the choice: #batch=<id>&case=<id>&view=indicators|tasks|admin.

import { localToday } from './clock.js';
import { isFinal, programmeLabel } from './meta.js';
import { t } from './messages.js';

/** The one shared state object (no other module-level state in the app's modules). */
export const state = {
  batches: [],
  currentBatch: null,
  signedIn: false,
  config: {},
  ready: null,
  resolveReady: () => {},
};

/** A new "drawn" promise: resolved with the batch id once its 图斑 are on the map. */
export function resetReady() {
  state.ready = new Promise((r) => { state.resolveReady = r; });
}
resetReady();

export function hashParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

export function writeHash(changes) {
  const p = hashParams();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined) p.delete(k);
    else p.set(k, v);
  }
  history.replaceState(null, '', `#${p.toString()}`);
}

export function findBatch(id) {
  return state.batches.find((x) => String(x.id) === String(id)) || null;
}

/** "2019Q1 土地卫片" for a batch id, or null when the batch is unknown. */
export function batchName(id) {
  const b = findBatch(id);
  if (!b) return null;
  return `${b.period ?? ''} ${programmeLabel(b.programme) || b.programme_label}`.trim();
}

/** "2019Q1 土地卫片 (120，重复下发 3)" for the batch selector. */
export function batchLabel(b) {
  const programme = programmeLabel(b.programme) || b.programme_label;
  const n = b.feature_count ?? 0;
  const repeated = typeof b.new_cases === 'number' && b.new_cases < n ? t('app-state.issuedAgain', { value: n - b.new_cases }) : '';
  return `${b.period ?? ''} ${programme} (${n}${repeated})`.trim();
}


/** Past its batch's due date and not finished (the rule of GET /api/overdue). */
export function isOverdue(props) {
  if (isFinal(props.state)) return false;
  const b = findBatch(props.batch_id) || state.currentBatch;
  return Boolean(b && b.due_on && b.due_on < localToday());
}
