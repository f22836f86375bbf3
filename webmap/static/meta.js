// The workflow's vocabulary (GET /api/meta, built by geo/vocabulary.py): states, actions, which
// role may take which action, controlled reasons, guard thresholds, payload fields, with their
// zh-CN and English labels. The page holds no copy of them: it asks the server once at start-up
// and keeps the answer in localStorage by version, so the field app still works offline with
// the last vocabulary it saw (revalidated with If-None-Match: an unchanged one costs a 304).
// DOM-free: the lookups are importable in Node (webmap/tests/).

import { formatDateTime } from './datetime.js';
import { fmt2 } from './labels.js';
import { language, pick, t } from './messages.js';

/** An entry's label in the language in use (meta carries label and label_en). */
const L = (x) => (x ? pick(x.label, x.label_en) : undefined);

const KEY = 'tuban.meta';

const EMPTY = {
  version: '', programmes: [], workflows: {}, states: [], judgments: [], actions: [], roles: [],
  fields: {}, field_kinds: {}, guards: {}, photo_flags: [], land_classes: [],
  jobs: { kinds: [], states: [], stages: [] },
  patrol: { violations: [], sources: [], default_deadlines: {} },
};

let meta = EMPTY;
let index = build(EMPTY);

function byCode(list) {
  return new Map((list || []).map((x) => [x.code, x]));
}

function build(m) {
  const reasons = new Map();
  for (const j of m.judgments || []) for (const r of j.reasons || []) reasons.set(r.code, r);
  return {
    programmes: byCode(m.programmes),
    states: byCode(m.states),
    judgments: byCode(m.judgments),
    actions: byCode(m.actions),
    roles: byCode(m.roles),
    flags: byCode(m.photo_flags),
    reasons,
  };
}

/** Use this vocabulary from now on (the shape of GET /api/meta). */
export function setMeta(next) {
  meta = { ...EMPTY, ...(next || {}) };
  index = build(meta);
  return meta;
}

/** The vocabulary in use (the GET /api/meta document; empty until loaded). */
export function currentMeta() {
  return meta;
}

function readCache(storage) {
  try {
    const saved = JSON.parse(storage.getItem(KEY) || 'null');
    return saved && saved.version && saved.meta ? saved : null;
  } catch {
    return null;
  }
}

function writeCache(storage, m) {
  try {
    storage.setItem(KEY, JSON.stringify({ version: m.version, meta: m }));
  } catch {
    /* storage full or disabled: the vocabulary lasts as long as the page */
  }
}

/**
 * Load the vocabulary: the cached copy is revalidated by its version (304 keeps it); offline,
 * the cached copy is used as it is. Resolves to {meta, source: 'network'|'cache'|'none', error}.
 */
export async function loadMeta({
  fetchFn = globalThis.fetch, storage = globalThis.localStorage, url = 'api/meta', timeoutMs = 8000,
} = {}) {
  const cached = storage ? readCache(storage) : null;
  const headers = { Accept: 'application/json' };
  if (cached) headers['If-None-Match'] = `"${cached.version}"`;
  // A connection that hangs (a weak signal in the field) must not keep the page from starting.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetchFn(url, { headers, cache: 'no-cache', signal: abort.signal });
    if (response.status === 304 && cached) return { meta: setMeta(cached.meta), source: 'cache' };
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const fresh = await response.json();
    if (!fresh || !fresh.version || !Array.isArray(fresh.states)) throw new Error('not a vocabulary');
    if (storage) writeCache(storage, fresh);
    return { meta: setMeta(fresh), source: 'network' };
  } catch (error) {
    if (cached) return { meta: setMeta(cached.meta), source: 'cache', error };
    return { meta: setMeta(EMPTY), source: 'none', error };
  } finally {
    clearTimeout(timer);
  }
}

// --- lookups: a code without a label is shown as the code, never dropped -----------------------

/** A background job's kind and state in words: meta's, in the language in use (the API's
 * kind_label / state_label are zh). */
export function jobKindLabel(job) {
  return L((meta.jobs?.kinds || []).find((k) => k.code === job.kind)) || job.kind_label || job.kind || '';
}

export function jobStateLabel(job) {
  return L((meta.jobs?.states || []).find((k) => k.code === job.state)) || job.state_label || job.state || '';
}

/** A background job's stage in words (an import's 读取/校验/预判/写入, …). */
export function jobStageLabel(stage) {
  return L((meta.jobs?.stages || []).find((s) => s.code === stage)) || stage || '';
}

export function programmes() {
  return meta.programmes.map((p) => ({ code: p.code, label: L(p) }));
}

export function programmeLabel(code) {
  return L(index.programmes.get(code)) || code || '';
}

/** The API's own *_label (zh) wins when a response carries one, unless English is in use. */
export function stateLabel(state, fallback) {
  const known = index.states.get(state);
  if (known && known.label_en && language() === 'en') return known.label_en;
  return fallback || L(known) || state || '—';
}

function workflowOf(programme) {
  const p = index.programmes.get(programme);
  return p ? meta.workflows[p.workflow] : null;
}

/** States in workflow order for a programme; every programme's when none is given. */
export function statesFor(programme) {
  if (programme) return [...(workflowOf(programme)?.states || [])];
  const all = [];
  for (const w of Object.values(meta.workflows)) for (const s of w.states) if (!all.includes(s)) all.push(s);
  return all;
}

/** States of a programme from which `action` may be taken. */
export function statesWith(action, programme) {
  const w = workflowOf(programme);
  return w ? [...new Set(w.transitions.filter((t) => t.action === action).map((t) => t.from))] : [];
}

/** The state an action leads to (the first transition naming it), or null. */
export function targetOf(action) {
  for (const w of Object.values(meta.workflows)) {
    const t = w.transitions.find((x) => x.action === action);
    if (t) return t.to;
  }
  return null;
}

/** A finished case is never overdue. */
export function isFinal(state) {
  return Boolean(index.states.get(state)?.final);
}

export function judgments() {
  return meta.judgments.map((j) => ({ code: j.code, label: L(j) }));
}

export function judgmentLabel(judgment) {
  return judgment ? L(index.judgments.get(judgment)) || judgment : t('meta.notVerified');
}

/** Controlled reasons of a judgment: [[code, label]]. */
export function reasonsFor(judgment) {
  return (index.judgments.get(judgment)?.reasons || []).map((r) => [r.code, L(r)]);
}

export function reasonLabel(code) {
  return L(index.reasons.get(code)) || code;
}

export function actionLabel(action) {
  return L(index.actions.get(action)) || action;
}

/** Role codes that may take an action (admins may take every action, see auth.js). */
export function rolesFor(action) {
  return [...(index.actions.get(action)?.roles || [])];
}

/** Does the action's reason come from the judgment's controlled list? */
export function hasControlledReason(action) {
  return Boolean(index.actions.get(action)?.controlled_reason);
}

export function roles() {
  return meta.roles.map((r) => r.code);
}

export function roleLabel(role) {
  return L(index.roles.get(role)) || role;
}

/** The payload fields a person fills in for an action, in the server's order. */
export function fieldsFor(action) {
  return (index.actions.get(action)?.fields || []).filter((f) => f.in_form).map((f) => ({ ...f, label: L(f) }));
}

export function fieldLabel(name) {
  return L(meta.fields[name]) || name;
}

/** The server's pattern for a field kind (e.g. the 三调 land-class code), or null. */
export function kindPattern(kind) {
  return meta.field_kinds[kind]?.pattern || null;
}

/** The server's bounds for a field kind as input attributes: {maxlength, min, max}, each only
 * when the server sets it (a date's maximum is today: the server refuses later days). */
export function kindLimits(kind) {
  const k = meta.field_kinds[kind] || {};
  const limits = {};
  if (k.max_length != null) limits.maxlength = k.max_length;
  if (k.minimum != null) limits.min = k.minimum;
  if (k.maximum != null) limits.max = k.maximum;
  return limits;
}

export function photoFlagLabel(flag) {
  return L(index.flags.get(flag)) || flag;
}

// --- 动态巡查: violation types and report channels (geo/patrol.py) ----------------------------

/** Violation types of a finding: [{code, label, mining}] in the language in use. */
export function violations() {
  return (meta.patrol?.violations || []).map((v) => ({ code: v.code, label: L(v), mining: Boolean(v.mining) }));
}

export function violationLabel(code) {
  return L((meta.patrol?.violations || []).find((v) => v.code === code)) || code || '';
}

/** Where a case came from: [{code, label}], the patrol itself first, then the report channels. */
export function sources() {
  return (meta.patrol?.sources || []).map((s) => ({ code: s.code, label: L(s) }));
}

export function sourceLabel(code) {
  return L((meta.patrol?.sources || []).find((s) => s.code === code)) || code || '';
}

/** The deadlines a fresh store starts with (the bureau's own: GET /api/patrol/deadlines). */
export function defaultDeadlines() {
  return { ...(meta.patrol?.default_deadlines || {}) };
}

/** Common 三调 land classes: [[code, name]]. */
export function landClasses() {
  return meta.land_classes.map((c) => [c.code, L(c)]);
}

/** {min_evidence_photos, resubmit_needs_note_after} */
export function guards() {
  return { ...meta.guards };
}

const MONEY_KEYS = new Set(['fine_yuan', 'confiscation_yuan', 'amount_yuan']);

/** A payload value for the event history: every code by its label, money with two decimals. */
export function payloadValue(key, value) {
  if (value === null || value === undefined || value === '') return '—';
  if (key === 'judgment') return judgmentLabel(value);
  if (key === 'reason') return reasonLabel(value);
  if (key === 'violation') return violationLabel(value);
  if (key === 'source') return sourceLabel(value);
  if (key.startsWith('land_class')) return landClassText(value);
  if (MONEY_KEYS.has(key)) return fmt2(value);
  if (key === 'sha256') return String(value).slice(0, 12);
  if (key === 'flags' && Array.isArray(value)) return value.map(photoFlagLabel).join(t('meta.sep')) || t('meta.none');
  if (typeof value === 'object') return JSON.stringify(value);
  // A moment (发现时间, 送达时间) in Beijing time, never the raw ISO text.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return formatDateTime(value);
  return String(value);
}

/** A 三调 code with its name when the vocabulary knows it ("0103 旱地"), else the code. */
export function landClassText(code) {
  const known = (meta.land_classes || []).find((c) => c.code === String(code));
  return known ? `${known.code} ${L(known)}` : String(code);
}
