// 巡查时限 on the 管理 tab (admins): the quick response's deadlines as the bureau sets them
// (GET /api/patrol/deadlines, PUT to change them, with a note) and every earlier version with who
// changed it, when and why. A change applies to violations found from then on: each case keeps
// the deadlines in force when it was found (geo/deadlines.py), so no past work becomes late.
// Test hooks: "patrol-deadlines", "deadlines-form", "deadline-<name>" (stop-within-hours,
// file-within-days, report-by-month-end, report-within-days, reinspect-every-days),
// "deadlines-note", "deadlines-submit", "deadlines-status", "deadlines-alert",
// "deadlines-history" with one "deadlines-version" per version.

import { announce, fill, h } from './dom.js';
import { zhValidity } from './forms.js';
import { formatDateTime } from './labels.js';
import { defaultDeadlines, kindLimits } from './meta.js';
import { t } from './messages.js';

/** The settings (geo/deadlines.py), in the order the form shows them, with their words. Their
 * bounds are the server's: a value out of them comes back as a 422 naming the setting. */
const SETTINGS = [
  { name: 'stop_within_hours', label: 'patrol.dlStopHours', unit: 'patrol.unitHours' },
  { name: 'file_within_days', label: 'patrol.dlFileDays', unit: 'patrol.unitDays' },
  { name: 'report_by_month_end', label: 'patrol.dlReportMonthEnd', bool: true },
  { name: 'report_within_days', label: 'patrol.dlReportDays', unit: 'patrol.unitDays', hint: 'patrol.dlReportDaysHint' },
  { name: 'reinspect_every_days', label: 'patrol.dlReinspectDays', unit: 'patrol.unitDays' },
];

/** One version's settings in words: "制止 24 小时 · 立案 7 天 · …". */
export function deadlinesText(doc) {
  const d = { ...defaultDeadlines(), ...(doc || {}) };
  return [
    t('patrol.dlSumStop', { n: d.stop_within_hours }),
    t('patrol.dlSumFile', { n: d.file_within_days }),
    d.report_by_month_end ? t('patrol.dlSumReportMonth', { n: d.report_within_days }) : t('patrol.dlSumReportDays', { n: d.report_within_days }),
    t('patrol.dlSumReinspect', { n: d.reinspect_every_days }),
  ].join(t('patrol.dlSumSep'));
}

function control(s, value) {
  const id = `deadline-${s.name}`;
  const testid = `deadline-${s.name.replace(/_/g, '-')}`;
  if (s.bool) {
    return h('div', { class: 'check' },
      h('input', { type: 'checkbox', id, name: s.name, 'data-testid': testid, checked: Boolean(value) }),
      h('label', { for: id }, t(s.label)));
  }
  const input = h('input', {
    type: 'number', id, name: s.name, required: true, min: 0, step: 1, inputmode: 'numeric',
    'data-testid': testid, value: value ?? '', 'aria-describedby': s.hint ? `${id}-hint` : null,
  });
  zhValidity(input, { label: t(s.label), integer: true });
  return h('div', { class: 'field' },
    h('label', { for: id }, t(s.label), h('span', { class: 'muted' }, ` (${t(s.unit)})`)),
    input,
    s.hint ? h('small', { class: 'hint', id: `${id}-hint` }, t(s.hint)) : null);
}

/** createDeadlinesView(root, api) → {refresh, clear} */
export function createDeadlinesView(root, api) {
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'deadlines-alert', hidden: true });
  const statusBox = h('div', { class: 'status', role: 'status', 'data-testid': 'deadlines-status', hidden: true });
  const formBox = h('div', {});
  const historyBox = h('div', { class: 'table-scroll' });
  root.replaceChildren(h('section', { 'data-testid': 'patrol-deadlines', 'aria-labelledby': 'deadlines-title' },
    h('h3', { id: 'deadlines-title' }, t('patrol.deadlinesTitle')),
    h('p', { class: 'muted' }, t('patrol.deadlinesIntro')),
    alertBox, statusBox, formBox,
    h('h4', {}, t('patrol.deadlinesHistory')), historyBox));
  let generation = 0;

  function history(list) {
    if (!list.length) return h('p', { class: 'muted' }, t('patrol.deadlinesNoHistory'));
    return h('table', { class: 'attr-table', 'data-testid': 'deadlines-history' },
      h('thead', {}, h('tr', {}, [t('patrol.dlWhen'), t('patrol.dlWho'), t('patrol.dlWhat'), t('patrol.dlNote')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, list.map((v) => h('tr', { 'data-testid': 'deadlines-version' },
        h('td', {}, formatDateTime(v.created_at)),
        h('td', { 'data-value': '' }, v.created_by || '—'),
        h('td', {}, deadlinesText(v.doc)),
        h('td', { 'data-value': '' }, v.note || '—')))));
  }

  function form(current) {
    const note = h('textarea', { id: 'deadlines-note', name: 'note', rows: 2, 'data-testid': 'deadlines-note', ...kindLimits('text') });
    const button = h('button', { type: 'submit', class: 'primary', 'data-testid': 'deadlines-submit' }, t('patrol.deadlinesSave'));
    const f = h('form', { class: 'action-form deadlines-form', 'data-testid': 'deadlines-form' },
      h('fieldset', {}, h('legend', {}, t('patrol.deadlinesCurrent')),
        SETTINGS.map((s) => control(s, current[s.name])),
        h('div', { class: 'field' }, h('label', { for: 'deadlines-note' }, t('patrol.deadlinesNote')), note),
        h('div', { class: 'form-actions' }, button)));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!f.reportValidity()) return;
      const body = {};
      for (const s of SETTINGS) body[s.name] = s.bool ? f.elements[s.name].checked : parseInt(f.elements[s.name].value, 10);
      if (note.value.trim()) body.note = note.value.trim();
      button.disabled = true;
      try {
        await api.savePatrolDeadlines(body);
        await refresh();
        announce(statusBox, t('patrol.deadlinesSaved'));
      } catch (err) {
        if (err.status === 401) return;
        const field = err.details?.field;
        announce(alertBox, field ? t('patrol.deadlinesRefusedField', { message: err.message }) : t('patrol.deadlinesRefused', { message: err.message }));
        if (field && f.elements[field]) f.elements[field].focus();
      } finally {
        button.disabled = false;
      }
    });
    return f;
  }

  async function refresh() {
    const mine = ++generation;
    announce(alertBox, '');
    announce(statusBox, '');
    try {
      const d = await api.patrolDeadlines();
      if (mine !== generation) return;
      fill(formBox, form({ ...defaultDeadlines(), ...(d.current || {}) }));
      fill(historyBox, history(d.history || []));
    } catch (err) {
      if (mine !== generation || err.status === 401) return;
      announce(alertBox, t('patrol.deadlinesFailed', { message: err.message }));
    }
  }

  return {
    refresh,
    clear() {
      generation += 1;
      formBox.replaceChildren();
      historyBox.replaceChildren();
    },
  };
}
