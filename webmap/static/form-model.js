// What an action's form holds, DOM-free: the fields come from the action's payload spec in
// GET /api/meta (names, kinds, required, labels); only presentation is written here (input
// widget per kind, hints, submit wording, initial values), keyed by kind, field or action.

import {
  actionLabel, fieldsFor, guards, hasControlledReason, judgments, kindLimits, kindPattern, reasonsFor,
  stateLabel, statesFor, statesWith, targetOf,
} from './meta.js';
import { localToday, now } from './clock.js';
import { t } from './messages.js';

/** Today in Beijing time on the app's clock (a demo's is in 2019), YYYY-MM-DD. */
export function today() {
  return localToday();
}

const BEIJING_MS = 8 * 3_600_000;

/** An instant as a datetime-local input holds it, in Beijing time: "2019-06-03T09:30". */
export function instantInput(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() + BEIJING_MS).toISOString().slice(0, 16);
}

/** Now on the app's clock as a datetime-local value (Beijing time, to the minute). */
export function nowInput() {
  return instantInput(now());
}

/** A datetime-local value (Beijing time, whatever the phone's zone) as the API takes it:
 * "2019-06-03T09:30" → "2019-06-03T09:30:00+08:00"; anything else as it is. */
export function instantValue(raw) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(String(raw).trim());
  return m ? `${m[1]}${m[2] || ':00'}+08:00` : String(raw).trim();
}

/** An ISO instant with an offset (a payload's served_at): the value of its datetime-local. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export const LAND_CLASS_LIST = 'land-classes';
/** A decimal amount (money, area) to the hundredth. */
export const NUMBER = { type: 'number', min: 0, step: '0.01', inputmode: 'decimal' };

/** The input widget of each payload kind. */
const WIDGETS = {
  text: { type: 'text' },
  date: { type: 'date' },
  area: NUMBER,
  money: NUMBER,
  count: { type: 'number', min: 0, step: '1', inputmode: 'numeric', integer: true },
  // A moment (制止 送达时间): typed in Beijing time, sent with its +08:00 offset.
  instant: { type: 'datetime-local', instant: true, initial: nowInput },
  // A number of days (列入监管 复查间隔): the server's bounds come with the kind.
  days: { type: 'number', step: '1', inputmode: 'numeric', integer: true },
  land_class: {
    type: 'text', list: LAND_CLASS_LIST, inputmode: 'text', landClass: true,
    hint: 'form-model.landClassCodeE',
  },
};

/** Free text that is usually more than a line. */
const LONG_TEXT = new Set(['note', 'reason']);

/** Per-field presentation: hints, and the day a date starts at. */
const FIELD_HINTS = {
  illegal_area_m2: { hint: 'form-model.fillWhenDiffersFrom' },
  offender: { hint: 'form-model.companyPerson' },
  filed_on: { initial: today },
  paid_on: { initial: today },
  rectified_on: { initial: today },
  reported_on: { initial: today },
  interval_days: { hint: 'form-model.intervalDaysHint' },
};

/** Per-action presentation: the submit button's words and the hints that differ by action. */
const ACTIONS = {
  verify: { submit: 'form-model.submitVerification' },
  // The button names where the case goes.
  return_verification: { submit: () => stateLabel(targetOf('return_verification')) },
  annotate: {
    submit: 'form-model.saveAnnotation',
    intro: (g) => t('form-model.polygonReturnedTimesMore', { resubmit_needs_note_after: g.resubmit_needs_note_after }),
  },
  // 缴款日期 starts at today for a fine paid on the spot; without a receipt nothing was paid.
  penalise: {
    submit: 'form-model.recordPenalty', hints: { receipt_no: 'form-model.fillWhenPaidPayment' }, dropUnless: { paid_on: 'receipt_no' },
  },
  rectify: { submit: 'form-model.recordRectification' },
  reopen: { hints: { reason: 'form-model.eGRebuiltFound' } },
  collect_evidence: { submit: 'form-model.submitEvidence' },
  submit: {
    submit: 'form-model.submitProvince',
    intro: (g) => t('form-model.atLeastEvidencePhotos', { min_evidence_photos: g.min_evidence_photos }),
  },
};

function fieldDef(action, f, controlled) {
  const def = {
    name: f.name, label: f.label, required: f.required, kind: f.kind,
    ...(WIDGETS[f.kind] || WIDGETS.text),
    ...kindLimits(f.kind),
    ...(FIELD_HINTS[f.name] || {}),
  };
  if (def.hint) def.hint = t(def.hint);
  // A datetime-local's bounds are moments: the kind's first day at midnight.
  if (def.instant && def.min) def.min = `${def.min}T00:00`;
  // The server refuses a date after its own day; the form says so before sending.
  if (f.kind === 'date' && def.max == null) def.max = today();
  const hint = ACTIONS[action]?.hints?.[f.name];
  if (hint) def.hint = t(hint);
  if (f.kind === 'land_class') def.pattern = kindPattern(f.kind);
  // Closed lists are one-tap tiles (a thumb on a phone), not dropdowns.
  if (f.kind === 'judgment') {
    def.type = 'choice';
    def.options = judgments().map((j) => [j.code, j.label]);
  } else if (f.name === 'reason' && controlled) {
    // The controlled reason list depends on the judgment chosen.
    Object.assign(def, {
      type: 'choice', options: [], dependsOn: 'judgment', optionsFor: reasonsFor,
      empty: t('form-model.chooseFirst', { label: fieldsFor(action).find((x) => x.kind === 'judgment')?.label || '' }),
    });
  } else if (f.kind === 'text' && LONG_TEXT.has(f.name)) {
    def.type = 'textarea';
  }
  return def;
}

/** {submit, intro, fields} of an action's form. */
export function formDef(action) {
  const p = ACTIONS[action] || {};
  const controlled = hasControlledReason(action);
  const submit = typeof p.submit === 'function' ? p.submit() : p.submit && t(p.submit);
  return {
    submit: submit || actionLabel(action),
    intro: p.intro ? p.intro(guards()) : null,
    fields: fieldsFor(action).map((f) => fieldDef(action, f, controlled)),
    dropUnless: p.dropUnless || {},
  };
}

/**
  * Is this the programme's field step (its form carries the photo step before submit)? The
  * action taken on a 图斑 as issued, i.e. from the workflow's first state: the visit itself.
  */
export function isFieldStep(action, programme) {
  const first = statesFor(programme)[0];
  return first !== undefined && statesWith(action, programme).includes(first);
}

/**
 * The API payload from the form's raw values: trimmed, empty ones left out, numbers typed.
 * dropUnless {field: other}: leave field out when other is empty (a pre-filled day that only
 * means something beside it).
 */
export function payloadFrom(values, fields, dropUnless = {}) {
  const payload = {};
  for (const field of fields) {
    const raw = String(values[field.name] ?? '').trim();
    if (raw === '') continue;
    if (field.type === 'number') payload[field.name] = field.integer ? parseInt(raw, 10) : Number(raw);
    else if (field.instant) payload[field.name] = instantValue(raw);
    else if (field.landClass) payload[field.name] = raw.toUpperCase();
    else payload[field.name] = raw;
  }
  for (const [name, other] of Object.entries(dropUnless)) if (!(other in payload)) delete payload[name];
  return payload;
}

/** A payload as the draft of its form: every value as the text an input holds. */
export function draftValues(payload, skip = ['illegal_geometry']) {
  const values = {};
  for (const [k, v] of Object.entries(payload || {})) {
    if (skip.includes(k)) continue;
    // A moment goes back into its datetime-local as Beijing time.
    values[k] = v === null || v === undefined ? '' : (ISO_INSTANT.test(String(v)) ? instantInput(v) : String(v));
  }
  return values;
}
