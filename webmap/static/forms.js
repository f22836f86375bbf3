// Action forms: one <form> per allowed action, built from a small field table that mirrors
// the payload columns of docs/api.md. Test hooks: data-testid="<action>-form|-submit|-actor"
// and "<action>-<field>" (e.g. verify-judgment).

import { h } from './dom.js';
import { ACTION_LABELS } from './labels.js';

const ACTOR_KEY = 'tuban.actor';

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const LAND_CLASS = {
  type: 'text',
  pattern: '\\d{2}(\\d{2}[A-Z]?)?',
  hint: '三调地类编码，如 0103、0602、0307K',
  inputmode: 'text',
};

/** Per-action form definition: heading, actor label, submit text, fields. */
export const ACTION_FORMS = {
  verify: {
    actorLabel: '核查人',
    submit: '提交核查',
    fields: [
      {
        name: 'judgment', label: '核查结论', type: 'select', required: true,
        options: [['legal', '合法'], ['illegal', '违法'], ['other', '其他']],
      },
      { name: 'note', label: '备注', type: 'textarea' },
    ],
  },
  file: {
    actorLabel: '经办人',
    submit: '立案',
    fields: [
      { name: 'case_no', label: '案号', type: 'text', required: true },
      { name: 'filed_on', label: '立案日期', type: 'date', required: true, initial: today },
    ],
  },
  penalise: {
    actorLabel: '经办人',
    submit: '登记处罚',
    fields: [
      { name: 'fine_yuan', label: '罚款金额(元)', type: 'number', required: true, min: 0, step: '0.01', inputmode: 'decimal' },
      { name: 'receipt_no', label: '票据号', type: 'text' },
      { name: 'paid_on', label: '缴款日期', type: 'date' },
    ],
  },
  rectify: {
    actorLabel: '经办人',
    submit: '登记整改',
    fields: [
      { name: 'rectified_on', label: '整改日期', type: 'date', required: true, initial: today },
      { name: 'note', label: '备注', type: 'textarea' },
    ],
  },
  close: {
    actorLabel: '经办人',
    submit: '结案',
    fields: [{ name: 'note', label: '备注', type: 'textarea' }],
  },
  collect_evidence: {
    actorLabel: '举证人',
    submit: '提交举证',
    fields: [
      { name: 'land_class_before', label: '前地类编码', ...LAND_CLASS },
      { name: 'land_class_after', label: '后地类编码', ...LAND_CLASS },
      { name: 'photo_count', label: '照片数', type: 'number', min: 0, step: '1', inputmode: 'numeric', integer: true },
      { name: 'note', label: '备注', type: 'textarea' },
    ],
  },
  submit: { actorLabel: '经办人', submit: '提交省级审核', fields: [] },
  pass: { actorLabel: '审核人', submit: '省级通过', fields: [] },
  return: {
    actorLabel: '审核人',
    submit: '省级退回',
    fields: [{ name: 'reason', label: '退回原因', type: 'textarea', required: true }],
  },
};

export function rememberedActor() {
  try {
    return localStorage.getItem(ACTOR_KEY) || '';
  } catch {
    return '';
  }
}

function rememberActor(actor) {
  try {
    localStorage.setItem(ACTOR_KEY, actor);
  } catch {
    /* private mode: nothing to remember */
  }
}

/** Browser validation bubbles in Chinese, whatever the browser's own language. */
function zhValidity(input, field = {}) {
  input.addEventListener('invalid', () => {
    const v = input.validity;
    let msg = '';
    if (v.valueMissing) msg = input.tagName === 'SELECT' ? `请选择${field.label || ''}` : `请填写${field.label || '此项'}`;
    else if (v.patternMismatch) msg = `格式不正确${field.hint ? `：${field.hint}` : ''}`;
    else if (v.rangeUnderflow) msg = `不能小于 ${input.min}`;
    else if (v.stepMismatch) msg = field.integer ? '请填写整数' : '最多两位小数';
    else if (v.badInput || v.typeMismatch) msg = '格式不正确';
    input.setCustomValidity(msg);
  });
  const clear = () => input.setCustomValidity('');
  input.addEventListener('input', clear);
  input.addEventListener('change', clear);
}

function control(action, field) {
  const id = `f-${action}-${field.name}`;
  const common = {
    id,
    name: field.name,
    required: field.required || false,
    'data-testid': `${action}-${field.name.replace(/_/g, '-')}`,
    'aria-describedby': field.hint ? `${id}-hint` : null,
  };
  let input;
  if (field.type === 'select') {
    input = h('select', common,
      h('option', { value: '' }, '请选择'),
      field.options.map(([value, label]) => h('option', { value }, label)));
  } else if (field.type === 'textarea') {
    input = h('textarea', { ...common, rows: 2 });
  } else {
    input = h('input', {
      ...common,
      type: field.type,
      min: field.min,
      step: field.step,
      pattern: field.pattern,
      inputmode: field.inputmode,
      autocomplete: 'off',
    });
    if (field.initial) input.value = field.initial();
  }
  zhValidity(input, field);
  return h('div', { class: 'field' },
    h('label', { for: id }, field.label, field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    field.hint ? h('small', { id: `${id}-hint`, class: 'hint' }, field.hint) : null);
}

/** Read the form into an API payload: trimmed, empty optional fields omitted, numbers typed. */
function payloadOf(form, fields) {
  const payload = {};
  for (const field of fields) {
    const raw = form.elements[field.name].value.trim();
    if (raw === '') continue;
    if (field.type === 'number') {
      payload[field.name] = field.integer ? parseInt(raw, 10) : Number(raw);
    } else {
      payload[field.name] = raw;
    }
  }
  return payload;
}

/**
 * Build the form for one action. onSubmit({action, actor, payload}) must return a promise;
 * the submit button stays disabled until it settles.
 */
export function actionForm(action, onSubmit) {
  const def = ACTION_FORMS[action] || { actorLabel: '经办人', submit: ACTION_LABELS[action] || action, fields: [] };
  const title = ACTION_LABELS[action] || action;
  const actorId = `f-${action}-actor`;
  const actorInput = h('input', {
    id: actorId, name: 'actor', type: 'text', required: true, autocomplete: 'name',
    'data-testid': `${action}-actor`,
  });
  actorInput.value = rememberedActor();
  zhValidity(actorInput, { label: def.actorLabel });
  const button = h('button', { type: 'submit', class: 'primary', 'data-testid': `${action}-submit` }, def.submit);

  const form = h('form', { class: 'action-form', 'data-action': action, 'data-testid': `${action}-form`, novalidate: false },
    h('fieldset', {},
      h('legend', {}, title),
      def.fields.map((f) => control(action, f)),
      h('div', { class: 'field' },
        h('label', { for: actorId }, def.actorLabel, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
        actorInput),
      h('div', { class: 'form-actions' }, button)));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    form.classList.add('touched');
    if (!form.reportValidity()) return;
    const actor = actorInput.value.trim();
    rememberActor(actor);
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await onSubmit({ action, actor, payload: payloadOf(form, def.fields) });
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}
