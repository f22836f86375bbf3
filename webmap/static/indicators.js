// 绩效指标 view: one goal table per project, laid out like the bureau's 绩效目标表, with the
// live values in a last column 实时值. Each live value carries
// data-testid="ind-<project>-<metric>" plus data-value / data-numerator / data-denominator.

import { h } from './dom.js';
import { fmt2, formatDateTime } from './labels.js';

/** Preferred order; projects the API lists beyond these follow in API order. */
const PROJECT_ORDER = ['mining_enforcement', 'land_change_survey', 'planning'];

const QUARTER_ENDS = ['3月底', '6月底', '10月底', '12月底'];

const BUDGET_KEYS = [
  [['total', 'amount', 'budget', 'total_yuan', 'amount_yuan'], '预算数（元）', 'money'],
  [['fiscal', 'fiscal_funds', 'fiscal_yuan', 'finance'], '其中：财政资金（元）', 'money'],
  [['other', 'other_funds', 'other_yuan'], '其他资金（元）', 'money'],
  [['purpose', 'usage', 'use', 'description'], '资金用途', 'text'],
];

function isNumeric(v) {
  return (typeof v === 'number' && Number.isFinite(v)) ||
    (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
}

function budgetRows(budget) {
  if (budget === null || budget === undefined || budget === '') return [['预算数（元）', '—']];
  if (isNumeric(budget)) return [['预算数（元）', fmt2(Number(budget))]];
  if (typeof budget !== 'object') return [['预算', String(budget)]];
  const rows = [];
  const used = new Set();
  for (const [keys, label, kind] of BUDGET_KEYS) {
    const key = keys.find((k) => k in budget);
    if (!key) continue;
    used.add(key);
    const v = budget[key];
    rows.push([label, v === null || v === '' ? '—' : kind === 'money' && isNumeric(v) ? fmt2(Number(v)) : String(v)]);
  }
  for (const [k, v] of Object.entries(budget)) {
    if (!used.has(k)) rows.push([k, v === null ? '—' : isNumeric(v) ? fmt2(Number(v)) : String(v)]);
  }
  return rows;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

function periodLabel(key) {
  const s = String(key);
  if (MONTHS[s.toLowerCase()]) return `${MONTHS[s.toLowerCase()]}月底`;
  let m = s.match(/^(\d{1,2})$/) || s.match(/^(?:\d{4}-)?(\d{1,2})(?:-\d{1,2})?$/) || s.match(/^m(\d{1,2})$/i);
  if (m) return `${Number(m[1])}月底`;
  m = s.match(/^q([1-4])$/i);
  if (m) return QUARTER_ENDS[Number(m[1]) - 1];
  return s;
}

function pct(v) {
  if (v === null || v === undefined || v === '') return '';
  return isNumeric(v) ? `${fmt2(Number(v))}%` : String(v);
}

/** Normalise spending_plan (array of numbers, array of objects, or object) to [label, text]. */
function spendingColumns(plan) {
  if (plan === null || plan === undefined) return [];
  if (Array.isArray(plan)) {
    return plan.map((item, i) => {
      if (item !== null && typeof item === 'object') {
        const label = item.label ?? item.by ?? item.month ?? item.period ?? item.date ?? item.until ?? i + 1;
        const value = item.percent ?? item.pct ?? item.cumulative_percent ?? item.value ?? item.share;
        return [periodLabel(label), pct(value)];
      }
      return [plan.length === 4 ? QUARTER_ENDS[i] : `第${i + 1}期`, pct(item)];
    });
  }
  if (typeof plan === 'object') return Object.entries(plan).map(([k, v]) => [periodLabel(k), pct(v)]);
  return [['计划', String(plan)]];
}

function budgetBlock(projectId, project) {
  const columns = spendingColumns(project.spending_plan);
  const rows = budgetRows(project.budget);
  if (project.name) rows.unshift(['项目名称', project.name]);
  if (project.purpose) rows.push(['资金用途', project.purpose]);
  return h('div', { class: 'budget', 'data-testid': `budget-${projectId}` },
    h('table', { class: 'budget-table' },
      h('caption', {}, '预算规模及资金用途'),
      h('tbody', {}, rows.map(([label, value]) =>
        h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, value))))),
    h('table', { class: 'budget-table spending', 'data-testid': `spending-${projectId}` },
      h('caption', {}, '资金支出计划（%）'),
      columns.length
        ? [h('thead', {}, h('tr', {}, columns.map(([label]) => h('th', { scope: 'col' }, label)))),
          h('tbody', {}, h('tr', {}, columns.map(([, value]) => h('td', {}, value || '—'))))]
        : h('tbody', {}, h('tr', {}, h('td', {}, '—')))));
}

function goalsList(goals) {
  if (!goals || !goals.length) return null;
  return h('div', { class: 'goals' },
    h('h3', {}, '绩效目标'),
    h('ol', {}, goals.map((g) => h('li', {}, String(g).replace(/^\s*\d+[、.．]\s*/, '')))));
}

function liveCell(projectId, values) {
  if (!values || !values.length) {
    return h('td', { class: 'live empty', title: '定性指标，无实时值' }, '—');
  }
  return h('td', { class: 'live' }, values.map((v) =>
    h('div', { class: 'live-value' },
      h('span', { class: 'live-label' }, v.label ?? v.metric),
      h('span', {
        'data-testid': `ind-${projectId}-${v.metric}`,
        'data-value': v.value ?? '',
        'data-numerator': v.numerator ?? '',
        'data-denominator': v.denominator ?? '',
      }, v.display ?? (v.value === null || v.value === undefined ? '—' : String(v.value))))));
}

/** The goal table; consecutive rows sharing 一级指标 are merged as in the printed table. */
function goalTable(projectId, rows) {
  const spans = rows.map(() => 0);
  for (let i = 0; i < rows.length;) {
    let j = i + 1;
    while (j < rows.length && rows[j].level1 === rows[i].level1) j += 1;
    spans[i] = j - i;
    i = j;
  }
  return h('table', { class: 'goal-table', 'data-testid': `goal-${projectId}` },
    h('thead', {}, h('tr', {},
      ['一级指标', '二级指标', '三级指标', '绩效指标描述', '指标值', '指标值确定依据', '实时值']
        .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r, i) => h('tr', {},
      spans[i] ? h('th', { scope: 'rowgroup', rowspan: spans[i] }, r.level1 ?? '') : null,
      h('td', {}, r.level2 ?? ''),
      h('td', {}, r.level3 ?? ''),
      h('td', {}, r.description ?? ''),
      h('td', {}, r.target ?? ''),
      h('td', {}, r.basis ?? ''),
      liveCell(projectId, r.values)))));
}

function projectSection(id, result) {
  const p = result.project || { id };
  const title = p.table_title || `${p.name ?? id}绩效目标表`;
  return h('section', { class: 'project', 'data-project': id, 'aria-labelledby': `proj-${id}` },
    h('h2', { id: `proj-${id}` }, title, p.year ? `（${p.year}年）` : ''),
    result.unit_name ? h('p', { class: 'unit' }, result.unit_name, h('span', {}, '单位：元')) : null,
    budgetBlock(id, p),
    goalsList(p.goals),
    h('div', { class: 'table-scroll' }, goalTable(id, result.rows || [])),
    h('p', { class: 'muted computed-at' },
      `实时值计算于 ${formatDateTime(result.computed_at)}`,
      result.mode === 'live' ? '（实时）' : '',
      Number.isFinite(result.case_count) ? `，纳入图斑 ${result.case_count} 个` : ''));
}

function sortProjects(projects) {
  const rank = (p) => {
    const i = PROJECT_ORDER.indexOf(p.id);
    return i === -1 ? PROJECT_ORDER.length : i;
  };
  return [...projects].sort((a, b) => rank(a) - rank(b));
}

/**
 * Create the indicators view. refresh() re-fetches projects and indicators and re-renders in
 * place; concurrent calls collapse so the last answer wins.
 */
export function createIndicatorsView(root, api) {
  const content = h('div', { class: 'indicators-content' }, h('p', { class: 'muted' }, '正在加载绩效指标…'));
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true });
  const updated = h('span', { class: 'muted', role: 'status' });
  const button = h('button', { type: 'button', 'data-testid': 'indicators-refresh' }, '刷新');
  root.replaceChildren(
    h('div', { class: 'indicators-toolbar' }, h('h2', { class: 'visually-hidden' }, '绩效指标'), button, updated),
    alertBox, content);
  let generation = 0;

  async function refresh() {
    const mine = ++generation;
    root.setAttribute('aria-busy', 'true');
    try {
      const list = await api.projects();
      const projects = sortProjects(list.data || []);
      const results = await Promise.all(projects.map((p) => api.indicators(p.id, p.year)));
      if (mine !== generation) return;
      content.replaceChildren(...(projects.length
        ? projects.map((p, i) => projectSection(p.id, results[i]))
        : [h('p', { class: 'muted' }, '暂无绩效目标表')]));
      alertBox.hidden = true;
      updated.textContent = `已更新 ${new Date().toLocaleTimeString('zh-CN', { hour12: false })}`;
      root.dataset.generation = String(Number(root.dataset.generation || 0) + 1);
    } catch (err) {
      if (mine !== generation) return;
      alertBox.textContent = `无法加载绩效指标：${err.message}`;
      alertBox.hidden = false;
    } finally {
      if (mine === generation) root.setAttribute('aria-busy', 'false');
    }
  }

  button.addEventListener('click', refresh);
  return { refresh };
}
