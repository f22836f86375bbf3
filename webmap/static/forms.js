// Action forms: one <form> per allowed action the signed-in user may take, built from the
// action's payload fields in GET /api/meta (form-model.js). The server records the signed-in
// user as the actor, so there is no actor field.
// Closed lists (核查结论, 判定理由) are one-tap radio tiles, not dropdowns.
// Test hooks: data-testid="<action>-form|-submit" and "<action>-<field>" (e.g. verify-judgment,
// penalise-decision-no); a tile group carries "<action>-<field>" and each of its radios
// "<action>-<field>-<code>" (verify-judgment-illegal); the 合并立案 choices are "file-merge" with one checkbox per 图斑
// (data-testid="file-merge-<case id>"); the payment form is "payment-form" / "payment-<field>".

import { fill, h } from './dom.js';
import { LAND_CLASS_LIST, NUMBER, formDef, payloadFrom, today } from './form-model.js';
import { actionLabel, fieldLabel, kindLimits, landClasses } from './meta.js';
import { formatDateTime } from './datetime.js';
import { t } from './messages.js';

export { today };

/** 登记缴款 (POST /api/enforcements/{id}/payments): not a case action, so its fields are here. */
export function paymentForm() {
  return {
    submit: t('forms.recordPayment'),
    fields: [
      { name: 'amount_yuan', label: fieldLabel('amount_yuan'), required: true, ...NUMBER, ...kindLimits('money') },
      { name: 'receipt_no', label: fieldLabel('receipt_no'), type: 'text', required: true, ...kindLimits('name') },
      {
        name: 'paid_on', label: fieldLabel('paid_on'), type: 'date', required: true, initial: today,
        ...kindLimits('date'), max: today(),
      },
    ],
  };
}

/** Browser validation bubbles in Chinese, whatever the browser's own language. */
export function zhValidity(input, field = {}) {
  input.addEventListener('invalid', () => {
    const v = input.validity;
    let msg = '';
    const pick = input.tagName === 'SELECT' || input.type === 'radio';
    if (v.valueMissing) msg = pick ? t('forms.choose', { value: field.label || '' }) : t('forms.fill', { value: field.label || t('forms.thisField') });
    else if (v.patternMismatch) msg = t('forms.wrongFormat', { value: field.hint ? t('forms.sep', { hint: field.hint }) : '' });
    else if (v.tooShort) msg = t('forms.atLeastCharacters', { minLength: input.minLength });
    else if (v.rangeUnderflow) msg = t('forms.notLessThan', { min: input.min });
    else if (v.rangeOverflow) msg = t('forms.notMoreThan', { max: input.max });
    else if (v.tooLong) msg = t('forms.atMostCharacters', { maxLength: input.maxLength });
    else if (v.stepMismatch) msg = field.integer ? t('forms.wholeNumberPlease') : t('forms.atMostTwoDecimals');
    else if (v.badInput || v.typeMismatch) msg = t('forms.wrongFormat2');
    input.setCustomValidity(msg);
  });
  const clear = () => input.setCustomValidity('');
  input.addEventListener('input', clear);
  input.addEventListener('change', clear);
}

/** The one <datalist> of common 三调 codes, created on first use. */
function landClassList() {
  if (!document.getElementById(LAND_CLASS_LIST)) {
    document.body.append(h('datalist', { id: LAND_CLASS_LIST },
      landClasses().map(([code, name]) => h('option', { value: code, label: `${code} ${name}` }, `${code} ${name}`))));
  }
  return LAND_CLASS_LIST;
}

/** A value's radio tile: the radio covers the whole tile, so the tile is the touch target. */
function choiceTile(field, testid, [value, label]) {
  const input = h('input', {
    type: 'radio', name: field.name, value, required: field.required || false,
    'data-testid': `${testid}-${value}`,
  });
  zhValidity(input, field);
  return h('label', { class: 'choice-tile' }, input, h('span', { class: 'choice-face' }, label));
}

/** 核查结论 / 判定理由 as tiles; a dependent list (reasons) is refilled by buildForm. */
function choiceGroup(key, field) {
  const id = `f-${key}-${field.name}`;
  const testid = `${key}-${field.name.replace(/_/g, '-')}`;
  const tiles = h('div', { class: 'choice-tiles', 'data-choice-for': field.name });
  setChoices(tiles, field, testid, field.options || []);
  return h('fieldset', {
    class: 'field choice', id, 'data-testid': testid,
    'aria-describedby': field.hint ? `${id}-hint` : null,
  },
  h('legend', {}, field.label, field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
  tiles,
  field.hint ? h('small', { id: `${id}-hint`, class: 'hint' }, field.hint) : null);
}

function setChoices(tiles, field, testid, options) {
  fill(tiles, options.length
    ? options.map((option) => choiceTile(field, testid, option))
    : h('p', { class: 'muted choice-empty' }, field.empty || '—'));
}

function control(key, field) {
  if (field.type === 'choice') return choiceGroup(key, field);
  const id = `f-${key}-${field.name}`;
  const common = {
    id,
    name: field.name,
    required: field.required || false,
    'data-testid': `${key}-${field.name.replace(/_/g, '-')}`,
    'aria-describedby': field.hint || field.landClass ? `${id}-hint` : null,
  };
  let input;
  if (field.type === 'select') {
    input = h('select', common,
      h('option', { value: '' }, t('forms.choose2')),
      field.options.map(([value, label]) => h('option', { value }, label)));
  } else if (field.type === 'textarea') {
    input = h('textarea', { ...common, rows: 2, maxlength: field.maxlength });
  } else {
    input = h('input', {
      ...common,
      type: field.type,
      min: field.min,
      max: field.max,
      maxlength: field.maxlength,
      step: field.step,
      pattern: field.pattern,
      inputmode: field.inputmode,
      list: field.list ? landClassList() : null,
      autocomplete: 'off',
    });
    if (field.initial) input.value = field.initial();
  }
  zhValidity(input, field);
  let hint = field.hint ? h('small', { id: `${id}-hint`, class: 'hint' }, field.hint) : null;
  if (field.landClass) {
    // Name the chosen code next to the input: 0103 → 旱地.
    const name = h('span', { class: 'land-class-name', 'data-testid': `${common['data-testid']}-name` });
    hint = h('small', { id: `${id}-hint`, class: 'hint', 'aria-live': 'polite' }, name, field.hint);
    input.addEventListener('input', () => {
      const code = input.value.trim().toUpperCase();
      const known = new Map(landClasses());
      name.textContent = known.has(code) ? t('forms.sep2', { code, code2: known.get(code) }) : '';
    });
  }
  return h('div', { class: 'field' },
    h('label', { for: id }, field.label, field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    hint);
}

/** Read the form into an API payload (form-model.js payloadFrom). */
function payloadOf(form, def) {
  return payloadFrom(formValues(form, def.fields), def.fields, def.dropUnless);
}

// --- drafts: what is typed into a form is kept on this device until it is sent -------------

function readDraft(draftKey) {
  try {
    return JSON.parse(localStorage.getItem(draftKey) || 'null');
  } catch {
    return null;
  }
}

function writeDraft(draftKey, values) {
  try {
    if (values === null) localStorage.removeItem(draftKey);
    else localStorage.setItem(draftKey, JSON.stringify(values));
  } catch {
    /* storage full or disabled: the form still works, only without a draft */
  }
}

/** The radios of a tile group (none while a dependent list waits for its source). */
function radios(form, name) {
  return [...form.querySelectorAll('input[type="radio"]')].filter((el) => el.name === name);
}

/** A field's value: the checked tile of a group, else the control's own value. */
function valueOf(form, field) {
  if (field.type === 'choice') return radios(form, field.name).find((el) => el.checked)?.value ?? '';
  return form.elements[field.name].value;
}

/** Set a field's value and tell the form (change bubbles: a dependent list refills). */
function setValue(form, field, value) {
  if (field.type === 'choice') {
    const el = radios(form, field.name).find((r) => r.value === value);
    for (const r of radios(form, field.name)) r.checked = r === el;
    if (el) el.dispatchEvent(new Event('change', { bubbles: true }));
    return;
  }
  const el = form.elements[field.name];
  if (!el) return;
  el.value = value;
  el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
}

function formValues(form, fields) {
  const values = {};
  for (const f of fields) values[f.name] = valueOf(form, f);
  return values;
}

/** Put a draft back, in field order (a list whose options depend on another one refills first). */
function restoreDraft(form, fields, values) {
  for (const f of fields) {
    if (values[f.name] !== undefined) setValue(form, f, values[f.name]);
  }
}

/**
 * A form from a definition {submit, intro, fields}. onSubmit(payload, form) must return a
 * promise; the submit button stays disabled until it settles. Resolving to true (done) or
 * 'queued' (kept for sending when back online) resets it and drops its draft.
 * draftKey: keep what is typed in localStorage under this key (restored when the form is
 * built again, e.g. after a reload or a lost connection); quietDraft restores it without the
 * 已恢复草稿 note (the panel redrawn on this page, e.g. after a photo upload).
 */
export function buildForm(key, title, def, onSubmit, {
  extra = null, collect = () => ({}), draftKey = null, quietDraft = false,
} = {}) {
  const button = h('button', { type: 'submit', class: 'primary', 'data-testid': `${key}-submit` }, def.submit);
  const draftNote = h('p', { class: 'draft-note', 'data-testid': `${key}-draft`, role: 'status', hidden: true });
  const form = h('form', { class: 'action-form', 'data-action': key, 'data-testid': `${key}-form` },
    h('fieldset', {},
      h('legend', {}, title),
      def.intro ? h('p', { class: 'form-intro muted' }, def.intro) : null,
      draftNote,
      def.fields.map((f) => control(key, f)),
      extra,
      h('div', { class: 'form-actions' }, button)));

  for (const f of def.fields) {
    if (!f.dependsOn) continue;
    const source = def.fields.find((x) => x.name === f.dependsOn);
    const refill = () => {
      const options = f.optionsFor(valueOf(form, source));
      if (f.type === 'choice') {
        setChoices(form.querySelector(`[data-choice-for="${f.name}"]`), f, `${key}-${f.name.replace(/_/g, '-')}`, options);
      } else {
        fill(form.elements[f.name], h('option', { value: '' }, t('forms.choose2')),
          options.map(([value, label]) => h('option', { value }, label)));
      }
    };
    form.addEventListener('change', (e) => {
      if (e.target.name === f.dependsOn) refill();
    });
    form.addEventListener('reset', () => setTimeout(refill));
  }

  if (draftKey && def.fields.length) {
    const saved = readDraft(draftKey);
    if (saved && saved.values) {
      restoreDraft(form, def.fields, saved.values);
      const discard = h('button', { type: 'button', class: 'link-button', 'data-testid': `${key}-draft-discard` }, t('forms.discardDraft'));
      discard.addEventListener('click', () => {
        writeDraft(draftKey, null);
        form.reset();
        for (const f of def.fields) if (f.initial) setValue(form, f, f.initial());
        draftNote.hidden = true;
      });
      draftNote.replaceChildren(t('forms.draftRestoredKeptAt', { value: formatDateTime(saved.at) }), ' ', discard);
      draftNote.hidden = quietDraft;
    }
    const keep = () => writeDraft(draftKey, { at: new Date().toISOString(), values: formValues(form, def.fields) });
    form.addEventListener('input', keep);
    form.addEventListener('change', keep);
  }

  form.addEventListener('keydown', (e) => {
    // Enter in a text field submits (the browser does it for inputs; textareas keep newlines).
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && e.target.tagName === 'TEXTAREA') {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    form.classList.add('touched');
    if (!form.reportValidity()) return;
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    // The panel may draw this form again while the action is sent (an action that leaves the
    // case in its state, e.g. 复查): that form must not bring back what was just sent. The draft
    // returns if the action does not go through.
    const kept = draftKey ? readDraft(draftKey) : null;
    if (draftKey) writeDraft(draftKey, null);
    let done = false;
    try {
      done = await onSubmit({ payload: payloadOf(form, def), ...collect(form) });
      if (done === true || done === 'queued') {
        draftNote.hidden = true;
        form.reset();
        form.classList.remove('touched');
        for (const f of def.fields) if (f.initial) setValue(form, f, f.initial());
      }
    } finally {
      if (!(done === true || done === 'queued') && kept) writeDraft(draftKey, kept);
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

/** 合并立案: other approved illegal 图斑 of the batch to file under the same case number. */
function mergeChooser(candidates) {
  if (!candidates || !candidates.length) return null;
  return h('fieldset', { class: 'merge', 'data-testid': 'file-merge' },
    h('legend', {}, t('forms.fileTogetherOptional')),
    h('p', { class: 'hint muted', id: 'file-merge-hint' },
      t('forms.tickOtherApprovedIllegal')),
    h('div', { class: 'merge-list', role: 'group', 'aria-describedby': 'file-merge-hint' },
      candidates.map((c) => {
        const cid = `f-file-merge-${c.id}`;
        return h('div', { class: 'check' },
          h('input', { type: 'checkbox', id: cid, name: 'merge', value: String(c.id), 'data-testid': `file-merge-${c.id}` }),
          h('label', { for: cid }, c.code ?? c.id, c.township_name ? h('span', { class: 'muted' }, ` · ${c.township_name}`) : null));
      })));
}

/**
 * Build the form for one action. onSubmit({action, payload, merge}) must return a promise.
 * options.mergeCandidates (file only): [{id, code, township_name}] for 合并立案.
 * options.extent (verify only): {element, geometry()} — the drawn 实测违法范围, sent as
 * payload.illegal_geometry. options.photo: the photo step, placed just before submit.
 * options.draftKey, options.quietDraft: keep a draft (see buildForm).
 */
export function actionForm(action, onSubmit, {
  mergeCandidates = null, extent = null, photo = null, draftKey = null, quietDraft = false,
} = {}) {
  const def = formDef(action);
  const title = actionLabel(action);
  const merge = action === 'file' ? mergeChooser(mergeCandidates) : null;
  return buildForm(action, title, def, (input) => {
    const geometry = extent ? extent.geometry() : null;
    const payload = geometry ? { ...input.payload, illegal_geometry: geometry } : input.payload;
    return onSubmit({ action, ...input, payload });
  }, {
    extra: [merge, extent ? extent.element : null, photo],
    draftKey,
    quietDraft,
    collect: (form) => (merge
      ? { merge: [...form.querySelectorAll('input[name="merge"]:checked')].map((el) => el.value) }
      : {}),
  });
}
