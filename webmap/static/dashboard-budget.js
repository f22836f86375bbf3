// 预算执行: a project's cumulative spending against its plan at 3月底/6月底/10月底/12月底
// (GET /api/budget), the list of spending rows, and for 统计/admin the form that records one
// (POST /api/expenditures). Rows are never edited: a mistake is corrected by a negative row.
// Test hooks: "budget-<project>" (data-spent), "budget-<project>-<checkpoint>" (data-planned,
// data-actual, data-deviation), "spend-form", "spend-date|amount|purpose|voucher|submit",
// "spend-list".

import { dataValue, fill, h } from './dom.js';
import { explain } from './dashboard-api.js';
import { zhValidity } from './forms.js';
import { fmt2, formatYuan } from './labels.js';
import { t, tParts } from './messages.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${fmt2(v)}%`);

function deviationCell(c) {
  const d = c.deviation_pct;
  if (d === null || d === undefined) return h('td', { class: 'num muted' }, c.planned_pct === null ? t('dashboard-budget.noPlan') : '—');
  const behind = d < 0;
  return h('td', { class: behind ? 'num dev-behind' : 'num dev-ok' },
    `${d > 0 ? '+' : ''}${fmt2(d)}`, h('span', { class: 'visually-hidden' }, behind ? t('dashboard-budget.behindPlan') : t('dashboard-budget.plan')));
}

/** The checkpoint table of one project's budget execution. */
export function budgetTable(entry) {
  const cps = entry.checkpoints || [];
  const cols = cps.map((c) => h('th', { scope: 'col' }, c.label, h('small', { class: 'muted block' }, c.date)));
  return h('div', { class: 'table-scroll' }, h('table', { class: 'budget-exec', 'data-testid': `budget-table-${entry.project}` },
    h('caption', { class: 'visually-hidden' }, t('dashboard-budget.cumulativeSpendingAgainstPlan')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('dashboard-budget.checkpoint')), cols)),
    h('tbody', {},
      h('tr', {}, h('th', { scope: 'row' }, t('dashboard-budget.plannedCumulative')),
        cps.map((c) => h('td', { class: 'num' }, c.planned_pct === null ? '—' : pct(c.planned_pct),
          c.planned_carried ? h('small', { class: 'muted block' }, t('dashboard-budget.carried')) : null))),
      h('tr', {}, h('th', { scope: 'row' }, t('dashboard-budget.actualCumulative')),
        cps.map((c) => h('td', {
          class: 'num', 'data-testid': `budget-${entry.project}-${c.checkpoint}`,
          'data-planned': c.planned_pct ?? '', 'data-actual': c.actual_pct ?? '', 'data-deviation': c.deviation_pct ?? '',
        }, c.actual_pct === null ? h('span', { class: 'muted' }, t('dashboard-budget.notYet')) : [
          pct(c.actual_pct),
          h('span', { class: 'bar', 'aria-hidden': 'true' },
            h('span', { class: 'bar-fill', style: `width:${Math.max(0, Math.min(100, c.actual_pct))}%` }),
            c.planned_pct === null ? null : h('span', { class: 'bar-plan', style: `left:${Math.min(100, c.planned_pct)}%` })),
        ]))),
      h('tr', {}, h('th', { scope: 'row' }, t('dashboard-budget.actualYuan')),
        cps.map((c) => h('td', { class: 'num' }, c.actual_yuan === null || c.actual_pct === null ? '—' : fmt2(c.actual_yuan)))),
      h('tr', {}, h('th', { scope: 'row' }, t('dashboard-budget.deviationPoints')), cps.map(deviationCell)))));
}

function spendingList(rows, total) {
  if (!rows.length) return h('p', { class: 'muted' }, t('dashboard-budget.noSpendingRecorded'));
  return h('div', { class: 'table-scroll' }, h('table', { class: 'attr-table spend-table', 'data-testid': 'spend-list' },
    h('caption', { class: 'visually-hidden' }, t('dashboard-budget.spendingRows')),
    h('thead', {}, h('tr', {}, [t('dashboard-budget.spent'), t('dashboard-budget.amountYuan'), t('dashboard-budget.purpose'), t('dashboard-budget.voucherNo'), t('dashboard-budget.recordedBy')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-testid': 'spend-row', 'data-id': r.id },
      h('td', {}, r.spent_on),
      h('td', { class: 'num' }, fmt2(r.amount_yuan), r.corrects_id ? h('small', { class: 'muted block' }, t('dashboard-budget.correctsRow', { corrects_id: r.corrects_id })) : null),
      h('td', {}, r.purpose),
      h('td', {}, r.voucher_no || '—'),
      h('td', {}, r.recorded_by || '—')))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, t('dashboard-budget.total')), h('td', { class: 'num', colspan: 4 }, formatYuan(total))))));
}

/** The form recording one spending row of a project (统计/admin). */
export function spendForm({ year, project, api, onSaved, status, error }) {
  const field = (id, label, input, hint) => h('div', { class: 'field' },
    h('label', { for: id }, label, input.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input, hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null);
  const date = h('input', { id: `spend-date-${project.id}`, type: 'date', required: true, min: `${year}-01-01`, max: `${year}-12-31`, 'data-testid': 'spend-date' });
  const amount = h('input', {
    id: `spend-amount-${project.id}`, type: 'number', step: '0.01', required: true, inputmode: 'decimal',
    'data-testid': 'spend-amount', 'aria-describedby': `spend-amount-${project.id}-hint`,
  });
  const purpose = h('input', { id: `spend-purpose-${project.id}`, required: true, maxlength: 2000, 'data-testid': 'spend-purpose', autocomplete: 'off' });
  const voucher = h('input', { id: `spend-voucher-${project.id}`, maxlength: 100, 'data-testid': 'spend-voucher', autocomplete: 'off' });
  const corrects = h('input', {
    id: `spend-corrects-${project.id}`, type: 'number', step: '1', min: '1', inputmode: 'numeric',
    'data-testid': 'spend-corrects', 'aria-describedby': `spend-corrects-${project.id}-hint`,
  });
  zhValidity(date, { label: t('dashboard-budget.spent') });
  zhValidity(amount, { label: t('dashboard-budget.amount') });
  zhValidity(purpose, { label: t('dashboard-budget.purpose') });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'spend-submit' }, t('dashboard-budget.recordSpending'));
  const form = h('form', { class: 'action-form spend-form', 'data-testid': 'spend-form' },
    h('fieldset', {}, h('legend', {}, tParts('dashboard-budget.recordSpending2', { name: dataValue(project.name) })),
      h('div', { class: 'form-grid' },
        field(date.id, t('dashboard-budget.spent'), date),
        field(amount.id, t('dashboard-budget.amountYuan'), amount, t('dashboard-budget.negativeAmountCorrectsEarlier')),
        field(purpose.id, t('dashboard-budget.purpose'), purpose),
        field(voucher.id, t('dashboard-budget.voucherNo'), voucher),
        field(corrects.id, t('dashboard-budget.correctsRowNoOptional'), corrects, t('dashboard-budget.rowNumberSpendingRows'))),
      h('div', { class: 'form-actions' }, submit)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    form.classList.add('touched');
    if (!form.reportValidity()) return;
    const body = {
      year, project_id: project.id, spent_on: date.value, amount_yuan: Number(amount.value),
      purpose: purpose.value.trim(), voucher_no: voucher.value.trim() || null,
      corrects_id: corrects.value ? Number(corrects.value) : null,
    };
    submit.disabled = true;
    try {
      const row = await api.addExpenditure(body);
      form.reset();
      form.classList.remove('touched');
      status(t('dashboard-budget.recordedSpendingRow', { amount_yuan: formatYuan(row.amount_yuan), spent_on: row.spent_on, purpose: row.purpose, id: row.id }));
      await onSaved(row);
    } catch (err) {
      if (err.status !== 401) error(explain(t('dashboard-budget.recordSpending'), err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/**
 * The 预算执行 section of a project: entry is one item of GET /api/budget's data; form is the
 * spending form (kept by the dashboard across renders) or null; error speaks in the
 * dashboard's message box.
 */
export function budgetSection(entry, { project, year, asOf, api, form }) {
  const listBox = h('div', {}, h('p', { class: 'muted' }, t('dashboard-budget.loading')));
  const details = h('details', { class: 'spend-details' }, h('summary', {}, t('dashboard-budget.spendingRows')), listBox);
  details.addEventListener('toggle', async () => {
    if (!details.open) return;
    try {
      const list = await api.expenditures(year, project.id);
      fill(listBox, spendingList(list.data || [], list.total_yuan));
    } catch (err) {
      if (err.status !== 401) fill(listBox, h('p', { class: 'alert' }, explain(t('dashboard-budget.loadSpendingRows'), err)));
    }
  });
  const e = entry || { project: project.id, checkpoints: [] };
  return h('section', {
    class: 'dash-card budget-card', 'aria-labelledby': `budget-title-${project.id}`,
    'data-testid': `budget-${project.id}`, 'data-spent': e.spent_yuan ?? '',
  },
  h('h3', { id: `budget-title-${project.id}` }, t('dashboard-budget.budgetExecution')),
  h('p', { class: 'budget-summary' },
    t('dashboard-budget.budgetSpentAs', { budget_yuan: formatYuan(e.budget_yuan), asOf }),
    h('strong', { 'data-testid': `budget-${project.id}-spent` }, formatYuan(e.spent_yuan)),
    e.spent_pct === null || e.spent_pct === undefined ? '' : t('dashboard-budget.sep', { spent_pct: fmt2(e.spent_pct) })),
  budgetTable(e),
  h('p', { class: 'muted small' }, t('dashboard-budget.plannedCumulativeShareSpending')),
  details,
  form);
}
