// Action forms: one <form> per allowed action the signed-in user may take, built from the
// action's payload fields in GET /api/meta (form-model.js). The server records the signed-in
// user as the actor, so there is no actor field.
// Test hooks: data-testid="<action>-form|-submit" and "<action>-<field>" (e.g. verify-judgment,
// penalise-decision-no); the 合并立案 choices are "file-merge" with one checkbox per 图斑
// (data-testid="file-merge-<case id>"); the payment form is "payment-form" / "payment-<field>".

import { fill, h } from './dom.js';
import { LAND_CLASS_LIST, NUMBER, formDef, payloadFrom, today } from './form-model.js';
import { actionLabel, fieldLabel, kindLimits, landClasses } from './meta.js';

export { today };

/** 登记缴款 (POST /api/enforcements/{id}/payments): not a case action, so its fields are here. */
export function paymentForm() {
  return {
    submit: '登记缴款',
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
    if (v.valueMissing) msg = input.tagName === 'SELECT' ? `请选择${field.label || ''}` : `请填写${field.label || '此项'}`;
    else if (v.patternMismatch) msg = `格式不正确${field.hint ? `：${field.hint}` : ''}`;
    else if (v.tooShort) msg = `至少 ${input.minLength} 个字符`;
    else if (v.rangeUnderflow) msg = `不能小于 ${input.min}`;
    else if (v.rangeOverflow) msg = `不能大于 ${input.max}`;
    else if (v.tooLong) msg = `最多 ${input.maxLength} 个字符`;
    else if (v.stepMismatch) msg = field.integer ? '请填写整数' : '最多两位小数';
    else if (v.badInput || v.typeMismatch) msg = '格式不正确';
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

function control(key, field) {
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
      h('option', { value: '' }, '请选择'),
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
      name.textContent = known.has(code) ? `${code} ${known.get(code)}。` : '';
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

function formValues(form, fields) {
  const values = {};
  for (const f of fields) values[f.name] = form.elements[f.name].value;
  return values;
}

/** Put a draft back, in field order (a select whose options depend on another one refills). */
function restoreDraft(form, fields, values) {
  for (const f of fields) {
    const el = form.elements[f.name];
    if (!el || values[f.name] === undefined) continue;
    el.value = values[f.name];
    if (el.tagName === 'SELECT') el.dispatchEvent(new Event('change'));
    else el.dispatchEvent(new Event('input'));
  }
}

/**
 * A form from a definition {submit, intro, fields}. onSubmit(payload, form) must return a
 * promise; the submit button stays disabled until it settles. Resolving to true (done) or
 * 'queued' (kept for sending when back online) resets it and drops its draft.
 * draftKey: keep what is typed in localStorage under this key (restored when the form is
 * built again, e.g. after a reload or a lost connection).
 */
export function buildForm(key, title, def, onSubmit, { extra = null, collect = () => ({}), draftKey = null } = {}) {
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
    const source = form.elements[f.dependsOn];
    const target = form.elements[f.name];
    const refill = () => {
      fill(target, h('option', { value: '' }, '请选择'),
        f.optionsFor(source.value).map(([value, label]) => h('option', { value }, label)));
    };
    source.addEventListener('change', refill);
    form.addEventListener('reset', () => setTimeout(refill));
  }

  if (draftKey && def.fields.length) {
    const saved = readDraft(draftKey);
    if (saved && saved.values) {
      restoreDraft(form, def.fields, saved.values);
      const discard = h('button', { type: 'button', class: 'link-button', 'data-testid': `${key}-draft-discard` }, '丢弃草稿');
      discard.addEventListener('click', () => {
        writeDraft(draftKey, null);
        form.reset();
        for (const f of def.fields) if (f.initial) form.elements[f.name].value = f.initial();
        draftNote.hidden = true;
      });
      draftNote.replaceChildren(`已恢复草稿（保存于 ${new Date(saved.at).toLocaleString('zh-CN', { hour12: false })}），尚未提交。`, ' ', discard);
      draftNote.hidden = false;
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
    try {
      const done = await onSubmit({ payload: payloadOf(form, def), ...collect(form) });
      if (done === true || done === 'queued') {
        if (draftKey) writeDraft(draftKey, null);
        draftNote.hidden = true;
        form.reset();
        form.classList.remove('touched');
        for (const f of def.fields) if (f.initial) form.elements[f.name].value = f.initial();
      }
    } finally {
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
    h('legend', {}, '合并立案（可选）'),
    h('p', { class: 'hint muted', id: 'file-merge-hint' },
      '勾选本批次中同一当事人的其他已审核违法图斑，以同一案号一并立案。'),
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
 * payload.illegal_geometry. options.draftKey: keep a draft (see buildForm).
 */
export function actionForm(action, onSubmit, { mergeCandidates = null, extent = null, draftKey = null } = {}) {
  const def = formDef(action);
  const title = actionLabel(action);
  const merge = action === 'file' ? mergeChooser(mergeCandidates) : null;
  return buildForm(action, title, def, (input) => {
    const geometry = extent ? extent.geometry() : null;
    const payload = geometry ? { ...input.payload, illegal_geometry: geometry } : input.payload;
    return onSubmit({ action, ...input, payload });
  }, {
    extra: [merge, extent ? extent.element : null],
    draftKey,
    collect: (form) => (merge
      ? { merge: [...form.querySelectorAll('input[name="merge"]:checked')].map((el) => el.value) }
      : {}),
  });
}
