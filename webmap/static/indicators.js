// 绩效指标 dashboard: one project's goal table with its values — live, as of a past day, or a
// frozen snapshot (with what differs from the live values) — for the district or a township
// and a quarter's batches; per row the target, actual value, deviation, status colour,
// warnings, a small trend chart per metric, the 图斑 behind a count (opened on the map), the
// row's reason and evidence; the project's budget execution; report downloads. 统计 and admin
// also freeze snapshots, record spending and write a row's note; admin edits the goal table.
// Test hooks: every value carries data-testid="ind-<project>-<metric>" with data-value,
// data-numerator, data-denominator and data-status; "dash-banner" (data-mode live|as_of|frozen),
// "dash-warnings", "dash-project|mode|as-of|snapshot|township|period", "indicators-refresh",
// "goal-<project>", "row-<row>", "drill-<row>-<metric>", "drill-box", "drill-case",
// "note-edit-<row>", "reason-<project>-<row>", "actual-<project>-<row>", "dash-status",
// "dash-alert". The root's data-generation counts the renders.

import { hasRole } from './auth.js';
import { announce, fill, h } from './dom.js';
import { dashboardApi, explain } from './dashboard-api.js';
import { budgetSection, spendForm } from './dashboard-budget.js';
import { trendChart } from './dashboard-chart.js';
import { createGoalEditor } from './dashboard-goals.js';
import { evidenceList, noteForm } from './dashboard-notes.js';
import { downloadsSection, snapshotForm } from './dashboard-tools.js';
import { fmt2, formatDateTime } from './labels.js';
import { stateLabel } from './meta.js';

/** Preferred order; projects the API lists beyond these follow in API order. */
const PROJECT_ORDER = ['mining_enforcement', 'land_change_survey', 'planning'];
const STATUS = {
  met: ['达标', 'met'], behind: ['未达标', 'behind'], warn: ['预警', 'warn'], none: ['无数值目标', 'none'],
};
const QUARTERS = ['第一季度', '第二季度', '第三季度', '第四季度'];
const DRILL_PAGE = 20;
/** Text from the goal book and the server stays as written when the page is in English. */
const DATA = { 'data-no-translate': true };
const COLUMNS = ['指标', '指标值（目标）', '实际完成值', '偏差', '季度趋势', '偏差原因与证明材料'];

function sortProjects(projects) {
  const rank = (p) => {
    const i = PROJECT_ORDER.indexOf(p.id);
    return i === -1 ? PROJECT_ORDER.length : i;
  };
  return [...projects].sort((a, b) => rank(a) - rank(b));
}

/** Today in the bureau's calendar (Asia/Shanghai), YYYY-MM-DD. */
function localToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}

function numberText(v, unit) {
  if (v === null || v === undefined) return '—';
  if (unit === '%') return `${fmt2(v)}%`;
  if (unit === '元') return `${fmt2(v)} 元`;
  return `${Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}${unit ? ` ${unit}` : ''}`;
}

function deviationText(v) {
  if (v.deviation === null || v.deviation === undefined) return null;
  const d = Number(v.deviation);
  const unit = v.unit === '%' ? ' 个百分点' : v.unit ? ` ${v.unit}` : '';
  return `${d > 0 ? '+' : ''}${Number.isInteger(d) ? d.toLocaleString('zh-CN') : fmt2(d)}${unit}`;
}

const cellLabel = (i) => h('span', { class: 'cell-label', 'aria-hidden': 'true' }, COLUMNS[i]);

function worst(values) {
  const order = ['warn', 'behind', 'met', 'none'];
  return values.map((v) => v.status || 'none').sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] || 'none';
}

/**
 * createIndicatorsView(root, api, {getUser, onOpenCase}) → {refresh}. refresh() re-reads and
 * re-renders; concurrent calls collapse so the last answer wins.
 */
export function createIndicatorsView(root, _api, { getUser = () => null, onOpenCase = null } = {}) {
  const api = dashboardApi;
  const state = { project: '', mode: 'live', asOf: '', snapshot: '', township: '', period: '' };
  let year = null;
  let projects = [];
  let snapshots = [];
  let townships = null; // [[code, name]] once loaded
  let generation = 0;
  let last = null; // what the last render showed
  let openNote = null; // row_no whose note form is open
  let drill = null; // {row, metric, shown}
  let drillData = null; // {key, result}
  const noteForms = new Map(); // row_no → form kept across renders (typing survives a refresh)
  const spendForms = new Map(); // project → form
  let snapForm = null;

  const sel = (testid, label, id, options = []) => {
    const select = h('select', { id, 'data-testid': testid }, options);
    return [select, h('div', { class: 'control' }, h('label', { for: id }, label), select)];
  };
  const [projectSel, projectCtl] = sel('dash-project', '项目', 'dash-project');
  projectSel.setAttribute('data-no-translate', '');
  const [modeSel, modeCtl] = sel('dash-mode', '数值', 'dash-mode', [
    h('option', { value: 'live' }, '实时'),
    h('option', { value: 'as_of' }, '截至某日'),
    h('option', { value: 'snapshot' }, '冻结快照'),
  ]);
  const asOfInput = h('input', { id: 'dash-as-of', type: 'date', 'data-testid': 'dash-as-of' });
  const asOfCtl = h('div', { class: 'control', hidden: true }, h('label', { for: 'dash-as-of' }, '截至日期'), asOfInput);
  const [snapSel, snapCtl] = sel('dash-snapshot', '快照', 'dash-snapshot');
  snapCtl.hidden = true;
  const [townSel, townCtl] = sel('dash-township', '乡镇', 'dash-township', [h('option', { value: '' }, '全区')]);
  const [periodSel, periodCtl] = sel('dash-period', '季度', 'dash-period', [h('option', { value: '' }, '全年')]);
  const refreshButton = h('button', { type: 'button', 'data-testid': 'indicators-refresh' }, '刷新');
  const scopeNote = h('small', { class: 'muted scope-note', id: 'dash-scope-note', hidden: true }, '快照为全区、全年的数值，乡镇和季度筛选不适用。');
  const controls = h('form', { class: 'dash-controls', 'data-testid': 'dash-controls', 'aria-label': '绩效指标筛选', onsubmit: (e) => e.preventDefault() },
    projectCtl, modeCtl, asOfCtl, snapCtl, townCtl, periodCtl, refreshButton, scopeNote);
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true, 'data-testid': 'dash-alert' });
  const statusBox = h('div', { class: 'status', role: 'status', hidden: true, 'data-testid': 'dash-status' });
  const content = h('div', { class: 'dash-content' }, h('p', { class: 'muted' }, '正在加载绩效指标…'));
  const goalEditor = createGoalEditor(api, { onSaved: () => refresh() });
  goalEditor.element.hidden = true;
  root.replaceChildren(h('h2', { class: 'visually-hidden' }, '绩效指标'), controls, alertBox, statusBox, content, goalEditor.element);

  const status = (t) => { announce(alertBox, ''); announce(statusBox, t); };
  const error = (t) => { announce(statusBox, ''); announce(alertBox, t); };
  const user = () => getUser() || null;
  const mayWrite = () => hasRole(user(), 'viewer');
  const isAdmin = () => hasRole(user());

  function scope() {
    const frozen = state.mode === 'snapshot' && state.snapshot;
    return {
      as_of: state.mode === 'as_of' && state.asOf ? state.asOf : null,
      snapshot: frozen ? state.snapshot : null,
      township: frozen ? null : state.township || null,
      period: frozen ? null : state.period || null,
    };
  }

  function currentSnapshot() {
    return snapshots.find((s) => String(s.id) === String(state.snapshot)) || null;
  }

  /** The day the figures stand at: as-of date, the snapshot's date, or today. */
  function dayShown() {
    if (state.mode === 'as_of' && state.asOf) return state.asOf;
    const snap = state.mode === 'snapshot' ? currentSnapshot() : null;
    return snap ? String(snap.as_of) : localToday();
  }

  function townshipName(code) {
    return (townships || []).find(([c]) => c === code)?.[1] || code;
  }

  function describe() {
    const s = scope();
    const snap = s.snapshot ? currentSnapshot() : null;
    const when = snap ? `快照“${snap.label}”（截至 ${snap.as_of}）` : s.as_of ? `截至 ${s.as_of}` : '实时';
    const where = s.township ? townshipName(s.township) : '全区';
    const what = s.period ? `${s.period} 批次` : '全年';
    return `${when}，${where}，${what}`;
  }

  function syncControls() {
    modeSel.value = state.mode;
    asOfCtl.hidden = state.mode !== 'as_of';
    snapCtl.hidden = state.mode !== 'snapshot';
    const frozen = state.mode === 'snapshot';
    townSel.disabled = frozen;
    periodSel.disabled = frozen;
    scopeNote.hidden = !frozen;
    if (year) {
      asOfInput.min = `${year}-01-01`;
      asOfInput.max = `${year}-12-31`;
    }
  }

  async function loadTownships() {
    if (townships !== null) return;
    townships = [];
    try {
      const layer = ((await api.references()).data || []).filter((r) => r.kind === 'township').pop();
      if (!layer) return;
      const seen = new Map();
      for (const f of (await api.referenceFeatures(layer.id)).features || []) {
        const p = f.properties || {};
        if (p.ident && !seen.has(String(p.ident))) seen.set(String(p.ident), p.label || String(p.ident));
      }
      townships = [...seen.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    } catch {
      townships = [];
    }
    fill(townSel, h('option', { value: '' }, '全区'), townships.map(([code, name]) => h('option', { value: code }, name)));
    townSel.value = state.township;
    townCtl.hidden = !townships.length;
  }

  function fillSelects() {
    fill(projectSel, projects.map((p) => h('option', { value: p.id }, p.name || p.id)));
    projectSel.value = state.project;
    fill(snapSel, snapshots.length
      ? snapshots.map((s) => h('option', { value: s.id }, `${s.label}（截至 ${s.as_of}）`))
      : h('option', { value: '' }, '暂无快照'));
    snapSel.value = state.snapshot;
    fill(periodSel, h('option', { value: '' }, '全年'),
      QUARTERS.map((q, i) => h('option', { value: `${year}Q${i + 1}` }, `${q}（${year}Q${i + 1} 批次）`)));
    periodSel.value = state.period;
    syncControls();
  }

  // --- pieces of the page --------------------------------------------------------------------

  function banner(result, diffs) {
    const s = scope();
    const snap = s.snapshot ? currentSnapshot() : null;
    const where = h('span', { class: 'banner-scope' }, `范围：${s.township ? townshipName(s.township) : '全区'} · ${s.period ? `${s.period} 批次` : '全年'}。`);
    if (result.mode === 'frozen' && snap) {
      return h('div', { class: 'dash-banner frozen', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'frozen' },
        h('p', {}, h('strong', { class: 'banner-mode' }, '冻结快照'),
          `“${snap.label}”：截至 ${snap.as_of} 冻结的数值，由 ${snap.taken_by} 于 ${formatDateTime(snap.taken_at)} 冻结，不随之后的办理改变。`),
        diffList(diffs));
    }
    if (s.as_of) {
      return h('div', { class: 'dash-banner as-of', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'as_of' },
        h('p', {}, h('strong', { class: 'banner-mode' }, `截至 ${result.as_of}`),
          `：按办理记录回溯的当日结束时的数值（纳入图斑 ${result.case_count} 个）。`, where));
    }
    return h('div', { class: 'dash-banner live', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'live' },
      h('p', {}, h('strong', { class: 'banner-mode' }, '实时'),
        `：数值随办理即时更新，计算于 ${formatDateTime(result.computed_at)}（纳入图斑 ${result.case_count} 个）。`, where));
  }

  function diffList(diffs) {
    if (!diffs) return h('p', { class: 'muted' }, '与实时值的差异暂时无法加载。');
    if (!diffs.length) return h('p', { 'data-testid': 'dash-diffs', 'data-count': '0' }, '与当前实时值相比没有差异。');
    return h('details', { class: 'diffs', 'data-testid': 'dash-diffs', 'data-count': String(diffs.length), open: diffs.length <= 6 },
      h('summary', {}, `与当前实时值相比有 ${diffs.length} 处不同`),
      h('div', { class: 'table-scroll' }, h('table', { class: 'attr-table diff-table' },
        h('thead', {}, h('tr', {}, ['项目', '指标', '快照值', '实时值'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, diffs.map((d) => h('tr', { 'data-testid': 'dash-diff' },
          h('td', {}, d.project), h('td', {}, `第 ${d.row_no} 行 ${d.label}`), h('td', {}, d.frozen), h('td', {}, d.live)))))));
  }

  function warningsBox(warnings) {
    if (!warnings || !warnings.length) return null;
    return h('div', { class: 'dash-warnings', role: 'alert', 'data-testid': 'dash-warnings' },
      h('strong', {}, '预警'),
      h('ul', {}, warnings.map((w) => h('li', { class: /耕地/.test(w) ? 'critical' : '' },
        h('span', { 'aria-hidden': 'true' }, '⚠ '), w))));
  }

  function valueBlock(project, row, v) {
    const [statusText, statusClass] = STATUS[v.status] || STATUS.none;
    const open = drill && drill.row === row.row_no && drill.metric === v.metric;
    const valueSpan = h('span', {
      class: 'value-display',
      'data-testid': `ind-${project}-${v.metric}`,
      'data-value': v.value ?? '', 'data-numerator': v.numerator ?? '', 'data-denominator': v.denominator ?? '',
      'data-status': v.status || 'none', ...DATA,
    }, v.display ?? numberText(v.value, v.unit));
    const drillButton = h('button', {
      type: 'button', class: 'link-button drill-button', 'data-testid': `drill-${row.row_no}-${v.metric}`,
      'aria-expanded': String(Boolean(open)), 'aria-label': `查看“${v.label}”背后的图斑`,
      onclick: () => toggleDrill(row.row_no, v.metric),
    }, open ? '收起图斑清单' : '图斑清单');
    return h('div', { class: `value status-${statusClass}`, 'data-metric': v.metric },
      h('span', { class: 'value-label', ...DATA }, v.label),
      h('span', { class: 'value-line' },
        h('span', { class: `chip chip-${statusClass}`, title: statusText }, statusText),
        valueSpan),
      v.warning ? h('strong', { class: /耕地/.test(v.warning) ? 'value-warning critical' : 'value-warning' }, '⚠ ', v.warning) : null,
      drillButton);
  }

  function rowView(project, r, trendBy, notes) {
    const values = r.values || [];
    const note = notes.get(r.row_no);
    const numericTargets = values.filter((v) => v.target_value !== null && v.target_value !== undefined);
    const editing = mayWrite() && openNote === r.row_no;
    const st = worst(values);
    const editButton = mayWrite() ? h('button', {
      type: 'button', class: 'note-edit', 'data-testid': `note-edit-${r.row_no}`, 'aria-expanded': String(editing),
      onclick: () => { openNote = editing ? null : r.row_no; render(); },
    }, editing ? '收起' : (r.qualitative ? '填写实际值与说明' : '填写偏差原因')) : null;
    const tr = h('tr', { 'data-testid': `row-${r.row_no}`, 'data-row': r.row_no, class: `status-${st}` },
      h('th', { scope: 'row', class: 'ind-name' }, cellLabel(0),
        h('small', { class: 'muted block', ...DATA }, `${r.level1 || ''}${r.level2 ? ` · ${r.level2}` : ''}`),
        h('span', { class: 'level3', ...DATA }, r.level3 || r.description || ''),
        r.description && r.description !== r.level3 ? h('small', { class: 'muted block', ...DATA }, r.description) : null),
      h('td', { class: 'target' }, cellLabel(1), h('span', DATA, r.target || '—'),
        numericTargets.map((v) => h('small', { class: 'block target-num', ...DATA }, `${v.label}：${numberText(v.target_value, v.unit)}`))),
      h('td', { class: 'actual' }, cellLabel(2), values.length
        ? values.map((v) => valueBlock(project, r, v))
        : h('span', { 'data-testid': `actual-${project}-${r.row_no}`, class: r.actual ? '' : 'muted', ...(r.actual ? DATA : {}) }, r.actual || '未填写（定性指标）')),
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
    if (editing) {
      let form = noteForms.get(r.row_no);
      if (!form) {
        form = noteForm(r, () => last.notes.get(r.row_no), {
          year, project, api, status, error,
          onSaved: async (rowNo, { close = false, fresh = false } = {}) => {
            if (close || fresh) noteForms.delete(rowNo);
            if (close) openNote = null;
            await refresh({ keepMessages: true });
          },
        });
        form.addEventListener('close', () => { openNote = null; noteForms.delete(r.row_no); render(); });
        noteForms.set(r.row_no, form);
      }
      extra.push(h('tr', { class: 'note-row' }, h('td', { colspan: COLUMNS.length }, form)));
    }
    return [tr, ...extra];
  }

  // --- drill-down: the 图斑 behind a value ---------------------------------------------------

  function toggleDrill(rowNo, metric) {
    drill = drill && drill.row === rowNo && drill.metric === metric ? null : { row: rowNo, metric, shown: DRILL_PAGE };
    render();
    if (drill) root.querySelector('[data-testid="drill-box"]')?.focus();
  }

  function caseItem(id) {
    const text = h('span', {}, `图斑 ${id}`);
    const li = h('li', {}, h('button', {
      type: 'button', class: 'link-button', 'data-testid': 'drill-case', 'data-case-id': id,
      title: '在地图上打开该图斑',
      onclick: () => onOpenCase && onOpenCase(id),
    }, text));
    api.getCase(id).then((c) => {
      const place = c.hints && c.hints.township_name ? ` · ${c.hints.township_name}` : '';
      text.textContent = `${c.code ?? id} · ${stateLabel(c.state, c.state_label)}${place}`;
    }).catch(() => { /* the id still opens it */ });
    return li;
  }

  function drillBox(project, row) {
    const v = (row.values || []).find((x) => x.metric === drill.metric);
    const box = h('div', { class: 'drill-box', 'data-testid': 'drill-box', tabindex: '-1', 'aria-label': `“${v ? v.label : ''}”背后的图斑` },
      h('p', { class: 'muted' }, '正在加载图斑清单…'));
    const key = JSON.stringify([project, scope()]);
    const show = (result) => {
      const r = (result.rows || []).find((x) => x.row_no === row.row_no);
      const ids = ((r && r.values) || []).find((x) => x.metric === drill.metric)?.case_ids || [];
      const shown = ids.slice(0, drill.shown);
      fill(box,
        h('p', { 'data-testid': 'drill-count', 'data-count': String(ids.length) },
          ids.length ? `“${v.label}”背后共 ${ids.length} 个图斑（${describe()}）。点击在地图上打开：` : `“${v.label}”背后没有图斑。`),
        shown.length ? h('ul', { class: 'drill-list' }, shown.map(caseItem)) : null,
        ids.length > shown.length ? h('button', {
          type: 'button', 'data-testid': 'drill-more',
          onclick: () => { drill.shown += DRILL_PAGE; fill(box.parentNode, drillBox(project, row)); },
        }, `再显示 ${Math.min(DRILL_PAGE, ids.length - shown.length)} 个（还有 ${ids.length - shown.length} 个）`) : null,
        h('button', { type: 'button', class: 'drill-close', onclick: () => toggleDrill(row.row_no, drill.metric) }, '关闭清单'));
    };
    if (drillData && drillData.key === key) {
      show(drillData.result);
    } else {
      const mine = generation;
      api.indicators(project, year, scope(), { drill: true }).then((result) => {
        drillData = { key, result };
        if (mine === generation && box.isConnected) show(result);
      }).catch((err) => {
        if (err.status !== 401) fill(box, h('p', { class: 'alert' }, explain('加载图斑清单', err)));
      });
    }
    return box;
  }

  // --- render and refresh ----------------------------------------------------------------------

  function render() {
    if (!last) return;
    const { result, trend, budget, notes, diffs, project } = last;
    const trendBy = new Map((trend.series || []).map((s) => [s.metric, s]));
    const p = result.project || project;
    const title = p.table_title || `${p.name ?? p.id}绩效目标表`;
    if (!spendForms.has(p.id) && mayWrite()) {
      spendForms.set(p.id, spendForm({ year, project: p, api, status, error, onSaved: () => refresh({ keepMessages: true }) }));
    }
    if (!snapForm && mayWrite()) {
      snapForm = snapshotForm({
        year, api, status, error, defaultAsOf: [localToday(), `${year}-12-31`].sort()[0],
        onTaken: async (snap) => {
          state.mode = 'snapshot';
          state.snapshot = String(snap.id);
          await refresh({ keepMessages: true });
        },
      });
    }
    const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    fill(content,
      banner(result, diffs),
      warningsBox(result.warnings),
      h('section', { class: 'dash-card project', 'data-project': p.id, 'aria-labelledby': `proj-${p.id}` },
        h('h2', { id: `proj-${p.id}`, ...DATA }, title, p.year ? `（${p.year}年）` : ''),
        result.unit_name ? h('p', { class: 'unit muted', ...DATA }, result.unit_name) : null,
        h('p', { class: 'legend-chips muted small' }, '状态：',
          Object.values(STATUS).map(([t, c]) => h('span', { class: `chip chip-${c}` }, t))),
        h('div', { class: 'table-scroll' }, h('table', { class: 'dash-table', 'data-testid': `goal-${p.id}` },
          h('caption', { class: 'visually-hidden' }, title),
          h('thead', {}, h('tr', {}, COLUMNS.map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, (result.rows || []).map((r) => rowView(p.id, r, trendBy, notes)))))),
      budgetSection((budget.data || [])[0], {
        project: p, year, asOf: budget.as_of || dayShown(), api, status, error, form: mayWrite() ? spendForms.get(p.id) || null : null,
      }),
      downloadsSection({ year, scope, describe, api, status, error }),
      snapForm && mayWrite() ? h('section', { class: 'dash-card', 'aria-label': '冻结快照' }, snapForm) : null);
    if (focused) root.querySelector(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
    const labels = {};
    for (const r of result.rows || []) for (const v of r.values || []) labels[v.metric] = v.label;
    goalEditor.element.hidden = !isAdmin();
    goalEditor.show(year, p.id, labels);
    root.dataset.generation = String(Number(root.dataset.generation || 0) + 1);
    root.dataset.mode = result.mode === 'frozen' ? 'frozen' : scope().as_of ? 'as_of' : 'live';
  }

  async function refresh({ keepMessages = false } = {}) {
    const mine = ++generation;
    root.setAttribute('aria-busy', 'true');
    if (!keepMessages) { announce(alertBox, ''); announce(statusBox, ''); }
    try {
      const [list, snaps] = await Promise.all([api.projects(), api.snapshots(), loadTownships()]);
      if (mine !== generation) return;
      projects = sortProjects(list.data || []);
      if (!projects.length) {
        fill(content, h('p', { class: 'muted' }, '暂无绩效目标表'));
        return;
      }
      if (!projects.some((p) => p.id === state.project)) state.project = projects[0].id;
      const project = projects.find((p) => p.id === state.project);
      if (year !== project.year) snapForm = null;
      year = project.year;
      snapshots = (snaps.data || []).filter((s) => s.year === year);
      if (state.mode === 'snapshot' && !currentSnapshot()) state.snapshot = snapshots.length ? String(snapshots[snapshots.length - 1].id) : '';
      fillSelects();
      const s = scope();
      const budgetDay = s.snapshot || s.as_of ? dayShown() : null;
      const [result, trend, budget, notes, report] = await Promise.all([
        api.indicators(project.id, year, s),
        api.trend(project.id, year, s.township),
        api.budget(year, project.id, budgetDay),
        api.notes(year, project.id),
        s.snapshot ? api.report(year, { snapshot: s.snapshot }).catch(() => null) : Promise.resolve(null),
      ]);
      if (mine !== generation) return;
      const diffs = report ? (report.differences || []).filter((d) => d.project === (project.name || project.id)) : null;
      last = {
        project, result, trend, budget, diffs,
        notes: new Map((notes.data || []).map((n) => [n.row_no, n])),
      };
      drillData = null;
      render();
      requestAnimationFrame(() => performance.mark('tuban:dashboard-drawn', { detail: { project: project.id, mode: result.mode } }));
    } catch (err) {
      if (mine !== generation || err.status === 401) return;
      error(explain('加载绩效指标', err));
    } finally {
      if (mine === generation) root.setAttribute('aria-busy', 'false');
    }
  }

  // --- controls ------------------------------------------------------------------------------

  const resetView = () => { drill = null; openNote = null; noteForms.clear(); };
  projectSel.addEventListener('change', () => { state.project = projectSel.value; resetView(); refresh(); });
  modeSel.addEventListener('change', () => {
    state.mode = modeSel.value;
    if (state.mode === 'as_of' && !state.asOf) state.asOf = asOfInput.value = [localToday(), `${year}-12-31`].sort()[0];
    drill = null;
    syncControls();
    if (state.mode === 'snapshot' && !snapshots.length) {
      status('还没有快照。统计人员或管理员可在页面下方“冻结快照”中创建。');
    }
    refresh({ keepMessages: true });
  });
  asOfInput.addEventListener('change', () => {
    if (!asOfInput.value) return;
    state.asOf = asOfInput.value;
    drill = null;
    refresh();
  });
  snapSel.addEventListener('change', () => { state.snapshot = snapSel.value; drill = null; refresh(); });
  townSel.addEventListener('change', () => { state.township = townSel.value; drill = null; refresh(); });
  periodSel.addEventListener('change', () => { state.period = periodSel.value; drill = null; refresh(); });
  refreshButton.addEventListener('click', () => refresh());

  return { refresh };
}
