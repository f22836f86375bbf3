// Report downloads (绩效自评表 and 绩效目标表 as XLSX, HTML, PDF, Word) for what the dashboard
// shows, and the 冻结快照 form of 统计/admin (POST /api/snapshots).
// Test hooks: "download-<kind>-<fmt>", "snapshot-form", "snapshot-label", "snapshot-as-of",
// "snapshot-submit".

import { h } from './dom.js';
import { explain } from './dashboard-api.js';
import { zhValidity } from './forms.js';
import { t } from './messages.js';

export const REPORT_KINDS = [['self_evaluation', 'dashboard-tools.selfEvaluationTable'], ['targets', 'dashboard-tools.goalTable']];
export const REPORT_FORMATS = [['xlsx', 'Excel'], ['html', 'dashboard-tools.webPage'], ['pdf', 'PDF'], ['docx', 'Word']];

const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

/** The eight download buttons; scope() gives the dashboard's {as_of, township, period, snapshot}. */
export function downloadsSection({ year, scope, describe, api, status, error }) {
  const group = ([kind, titleId]) => { const title = t(titleId); return h('div', { class: 'download-group', role: 'group', 'aria-label': title },
    h('span', { class: 'download-title' }, title),
    REPORT_FORMATS.map(([fmt, labelId]) => {
      const label = t(labelId);
      const button = h('button', {
        type: 'button', 'data-testid': `download-${kind}-${fmt}`, 'aria-label': t('dashboard-tools.download', { title, label }),
      }, label);
      button.addEventListener('click', async () => {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        status(t('dashboard-tools.generating', { title, label }));
        try {
          const file = await api.downloadReport(year, fmt, kind, scope());
          status(t('dashboard-tools.downloaded', { name: file.name, size: size(file.size) }));
        } catch (err) {
          if (err.status !== 401) error(explain(t('dashboard-tools.download', { title, label }), err));
        } finally {
          button.disabled = false;
          button.removeAttribute('aria-busy');
        }
      });
      return button;
    })); };
  return h('section', { class: 'dash-card downloads', 'aria-labelledby': 'downloads-title', 'data-testid': 'downloads' },
    h('h3', { id: 'downloads-title' }, t('dashboard-tools.downloadReports')),
    h('p', { class: 'muted small' }, t('dashboard-tools.sameChoiceAsAbove', { value: describe() })),
    REPORT_KINDS.map(group));
}

/** 冻结快照: label and reporting date; onTaken(snapshot) switches the dashboard to it. */
export function snapshotForm({ year, defaultAsOf, api, onTaken, status, error }) {
  const label = h('input', { id: 'snapshot-label', required: true, maxlength: 100, 'data-testid': 'snapshot-label', autocomplete: 'off', placeholder: t('dashboard-tools.eGQ', { year }) });
  const asOf = h('input', {
    id: 'snapshot-as-of', type: 'date', required: true, min: `${year}-01-01`, max: `${year}-12-31`,
    'data-testid': 'snapshot-as-of', value: defaultAsOf, 'aria-describedby': 'snapshot-as-of-hint',
  });
  zhValidity(label, { label: t('dashboard-tools.snapshotName') });
  zhValidity(asOf, { label: t('dashboard-tools.as') });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'snapshot-submit' }, t('dashboard-tools.frozenSnapshot'));
  const form = h('form', { class: 'action-form snapshot-form', 'data-testid': 'snapshot-form' },
    h('fieldset', {}, h('legend', {}, t('dashboard-tools.freezeSnapshotReportingDate')),
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: label.id }, t('dashboard-tools.snapshotName'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), label),
        h('div', { class: 'field' }, h('label', { for: asOf.id }, t('dashboard-tools.as'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), asOf,
          h('small', { class: 'hint', id: 'snapshot-as-of-hint' }, t('dashboard-tools.freezesEveryProjectS')))),
      h('div', { class: 'form-actions' }, submit)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    form.classList.add('touched');
    if (!form.reportValidity()) return;
    submit.disabled = true;
    try {
      const snap = await api.takeSnapshot({ year, label: label.value.trim(), as_of: asOf.value });
      status(t('dashboard-tools.frozeSnapshotAs', { label: snap.label, as_of: snap.as_of }));
      form.reset();
      form.classList.remove('touched');
      await onTaken(snap);
    } catch (err) {
      if (err.status !== 401) error(explain(t('dashboard-tools.frozenSnapshot'), err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
