// The goal table's rows: per row the target, actual values with status chips, deviation, trend
// chart, reason and evidence, the note form (统计), and the drill-down to the 图斑 behind a value.

import { fill, h } from './dom.js';
import { explain } from './dashboard-api.js';
import { trendChart } from './dashboard-chart.js';
import { COLUMNS, CRITICAL, STATUS, deviationText, numberText, worst } from './dashboard-format.js';
import { evidenceList, noteForm } from './dashboard-notes.js';
import { stateLabel } from './meta.js';
import { t } from './messages.js';

const DRILL_PAGE = 20;
/** Text from the goal book and the server stays as written when the page is in English. */
const DATA = { 'data-value': '' };
const cellLabel = (i) => h('span', { class: 'cell-label', 'aria-hidden': 'true' }, t(COLUMNS[i]));

/**
 * createGoalTable(view) → {rows(project, result, trendBy, notes), reset({keepDrill}), dropDrillData()}.
 * view: {api, root, controls, year(), mayWrite(), notes(), render(), refresh(opts), generation(),
 * status, error, onOpenCase}.
 */
export function createGoalTable(view) {
  const { api, root, controls, status, error, onOpenCase } = view;
  let openNote = null; // row_no whose note form is open
  let drill = null; // {row, metric}
  let drillData = null; // {key, items, count}: the pages fetched so far of the open value
  const noteForms = new Map(); // row_no → form kept across renders (typing survives a refresh)

  function toggleDrill(rowNo, metric) {
    drill = drill && drill.row === rowNo && drill.metric === metric ? null : { row: rowNo, metric };
    view.render();
    if (drill) root.querySelector('[data-testid="drill-box"]')?.focus();
  }

  function caseItem(c) {
    const place = c.township_name ? ` · ${c.township_name}` : '';
    return h('li', {}, h('button', {
      type: 'button', class: 'link-button', 'data-testid': 'drill-case', 'data-case-id': c.case_id,
      title: t('dashboard-table.openThisPolygonMap'),
      onclick: () => onOpenCase && onOpenCase(c.case_id),
    }, h('span', { ...DATA }, `${c.code ?? c.case_id} · ${stateLabel(c.state, c.state_label)}${place}`)));
  }

  function drillList(box, project, row, v) {
    const { items, count } = drillData;
    fill(box,
      h('p', { 'data-testid': 'drill-count', 'data-count': String(count) },
        count ? t('dashboard-table.madeOfPolygons', { label: v.label, count, value: controls.describe() }) : t('dashboard-table.hasNoPolygonBehind', { label: v.label })),
      items.length ? h('ul', { class: 'drill-list' }, items.map(caseItem)) : null,
      count > items.length ? h('button', {
        type: 'button', 'data-testid': 'drill-more',
        onclick: () => loadDrill(box, project, row, v),
      }, t('dashboard-table.showMoreLeft', { DRILL_PAGE: Math.min(DRILL_PAGE, count - items.length), value: count - items.length })) : null,
      h('button', { type: 'button', class: 'drill-close', onclick: () => toggleDrill(row.row_no, drill.metric) }, t('dashboard-table.closeList')));
  }

  /** The next page of the open value's 图斑 (the first when none is loaded), then the list. */
  function loadDrill(box, project, row, v) {
    const key = JSON.stringify([project, view.year(), controls.scope(), row.row_no, drill.metric]);
    if (!drillData || drillData.key !== key) drillData = { key, items: [], count: 0 };
    const mine = view.generation();
    const data = drillData;
    api.valueCases(project, view.year(), row.row_no, drill.metric, controls.scope(),
      { limit: DRILL_PAGE, offset: data.items.length }).then((page) => {
      data.items.push(...(page.data || []));
      data.count = page.count;
      if (mine === view.generation() && box.isConnected && drillData === data) drillList(box, project, row, v);
    }).catch((err) => {
      if (err.status !== 401) fill(box, h('p', { class: 'alert' }, explain(t('dashboard-table.loadPolygonList'), err)));
    });
  }

  function drillBox(project, row) {
    const v = (row.values || []).find((x) => x.metric === drill.metric);
    const box = h('div', { class: 'drill-box', 'data-testid': 'drill-box', tabindex: '-1', 'aria-label': t('dashboard-table.polygonsBehind', { value: v ? v.label : '' }) },
      h('p', { class: 'muted' }, t('dashboard-table.loadingPolygonList')));
    const key = JSON.stringify([project, view.year(), controls.scope(), row.row_no, drill.metric]);
    if (drillData && drillData.key === key && drillData.items.length) drillList(box, project, row, v);
    else loadDrill(box, project, row, v);
    return box;
  }

  function valueBlock(project, row, v) {
    const [statusId, statusClass] = STATUS[v.status] || STATUS.none;
    const statusText = t(statusId);
    const open = drill && drill.row === row.row_no && drill.metric === v.metric;
    const valueSpan = h('span', {
      class: 'value-display',
      'data-testid': `ind-${project}-${v.metric}`,
      'data-value': v.value ?? '', 'data-numerator': v.numerator ?? '', 'data-denominator': v.denominator ?? '',
      'data-status': v.status || 'none', ...DATA,
    }, v.display ?? numberText(v.value, v.unit));
    const drillButton = h('button', {
      type: 'button', class: 'link-button drill-button', 'data-testid': `drill-${row.row_no}-${v.metric}`,
      'aria-expanded': String(Boolean(open)), 'aria-label': t('dashboard-table.seePolygonsBehind', { label: v.label }),
      onclick: () => toggleDrill(row.row_no, v.metric),
    }, open ? t('dashboard-table.hidePolygonList') : t('dashboard-table.polygonList'));
    return h('div', { class: `value status-${statusClass}`, 'data-metric': v.metric },
      h('span', { class: 'value-label', ...DATA }, v.label),
      h('span', { class: 'value-line' },
        h('span', { class: `chip chip-${statusClass}`, title: statusText }, statusText),
        valueSpan),
      v.warning ? h('strong', { class: CRITICAL.test(v.warning) ? 'value-warning critical' : 'value-warning' }, '⚠ ', v.warning) : null,
      drillButton);
  }

  function noteRow(project, r) {
    let form = noteForms.get(r.row_no);
    if (!form) {
      form = noteForm(r, () => view.notes().get(r.row_no), {
        year: view.year(), project, api, status, error,
        onSaved: async (rowNo, { close = false, fresh = false } = {}) => {
          if (close || fresh) noteForms.delete(rowNo);
          if (close) openNote = null;
          await view.refresh({ keepMessages: true });
        },
      });
      form.addEventListener('close', () => { openNote = null; noteForms.delete(r.row_no); view.render(); });
      noteForms.set(r.row_no, form);
    }
    return h('tr', { class: 'note-row' }, h('td', { colspan: COLUMNS.length }, form));
  }

  function rowView(project, r, trendBy, notes) {
    const values = r.values || [];
    const note = notes.get(r.row_no);
    const numericTargets = values.filter((v) => v.target_value !== null && v.target_value !== undefined);
    const editing = view.mayWrite() && openNote === r.row_no;
    const editButton = view.mayWrite() ? h('button', {
      type: 'button', class: 'note-edit', 'data-testid': `note-edit-${r.row_no}`, 'aria-expanded': String(editing),
      onclick: () => { openNote = editing ? null : r.row_no; view.render(); },
    }, editing ? t('dashboard-table.hide') : (r.qualitative ? t('dashboard-table.writeActualValueNotes') : t('dashboard-table.writeReason'))) : null;
    const tr = h('tr', { 'data-testid': `row-${r.row_no}`, 'data-row': r.row_no, class: `status-${worst(values)}` },
      h('th', { scope: 'row', class: 'ind-name' }, cellLabel(0),
        h('small', { class: 'muted block', ...DATA }, `${r.level1 || ''}${r.level2 ? ` · ${r.level2}` : ''}`),
        h('span', { class: 'level3', ...DATA }, r.level3 || r.description || ''),
        r.description && r.description !== r.level3 ? h('small', { class: 'muted block', ...DATA }, r.description) : null),
      h('td', { class: 'target' }, cellLabel(1), h('span', DATA, r.target || '—'),
        numericTargets.map((v) => h('small', { class: 'block target-num', ...DATA }, t('dashboard-table.sep', { label: v.label, target_value: numberText(v.target_value, v.unit) })))),
      h('td', { class: 'actual' }, cellLabel(2), values.length
        ? values.map((v) => valueBlock(project, r, v))
        : h('span', { 'data-testid': `actual-${project}-${r.row_no}`, class: r.actual ? '' : 'muted', ...(r.actual ? DATA : {}) }, r.actual || t('dashboard-table.notWrittenYetQualitative'))),
      h('td', { class: 'deviation' }, cellLabel(3), values.length
        ? values.map((v) => h('div', { class: `dev dev-${v.status || 'none'}` }, deviationText(v) ?? h('span', { class: 'muted' }, '—')))
        : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'trend-cell' }, cellLabel(4), values.map((v) => (trendBy.get(v.metric)
        ? trendChart(trendBy.get(v.metric), { target: v.target_value }) : null))),
      h('td', { class: 'reason' }, cellLabel(5),
        h('span', { 'data-testid': `reason-${project}-${r.row_no}`, class: r.reason ? '' : 'muted', ...DATA }, r.reason || '—'),
        evidenceList(note && note.evidence, { api, error }),
        editButton));
    const extra = [];
    if (drill && drill.row === r.row_no) extra.push(h('tr', { class: 'drill-row' }, h('td', { colspan: COLUMNS.length }, drillBox(project, r))));
    if (editing) extra.push(noteRow(project, r));
    return [tr, ...extra];
  }

  return {
    rows: (project, result, trendBy, notes) => (result.rows || []).map((r) => rowView(project, r, trendBy, notes)),
    /** After a change of scope: no drill-down open (and, for another project, no note form). */
    reset({ all = false } = {}) {
      drill = null;
      if (all) {
        openNote = null;
        noteForms.clear();
      }
    },
    dropDrillData() { drillData = null; },
  };
}
