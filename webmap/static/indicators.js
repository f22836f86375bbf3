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
import { banner, warningsBox } from './dashboard-banner.js';
import { budgetSection, spendForm } from './dashboard-budget.js';
import { createDashboardControls } from './dashboard-controls.js';
import { COLUMNS, STATUS, localToday, sortProjects } from './dashboard-format.js';
import { createGoalEditor } from './dashboard-goals.js';
import { createGoalTable } from './dashboard-table.js';
import { downloadsSection, snapshotForm } from './dashboard-tools.js';
import { t } from './messages.js';

/** Text from the goal book and the server stays as written when the page is in English. */
const DATA = { 'data-value': '' };

/**
 * createIndicatorsView(root, api, {getUser, onOpenCase}) → {refresh}. refresh() re-reads and
 * re-renders; concurrent calls collapse so the last answer wins.
 */
export function createIndicatorsView(root, _api, { getUser = () => null, onOpenCase = null } = {}) {
  const api = dashboardApi;
  let year = null;
  let generation = 0;
  let last = null; // what the last render showed
  const spendForms = new Map(); // project → form
  let snapForm = null;

  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true, 'data-testid': 'dash-alert' });
  const statusBox = h('div', { class: 'status', role: 'status', hidden: true, 'data-testid': 'dash-status' });
  const content = h('div', { class: 'dash-content' }, h('p', { class: 'muted' }, t('indicators.loadingIndicators')));
  const status = (s) => { announce(alertBox, ''); announce(statusBox, s); };
  const error = (s) => { announce(statusBox, ''); announce(alertBox, s); };
  const user = () => getUser() || null;
  const mayWrite = () => hasRole(user(), 'viewer');
  const isAdmin = () => hasRole(user());

  const controls = createDashboardControls(api, {
    status,
    onChange: ({ reset = false, keepMessages = false, keepDrill = false }) => {
      if (reset || !keepDrill) table.reset({ all: reset });
      refresh({ keepMessages });
    },
  });
  const { choice } = controls;
  const table = createGoalTable({
    api, root, controls, status, error, onOpenCase, mayWrite,
    year: () => year,
    notes: () => last.notes,
    render: () => render(),
    refresh: (opts) => refresh(opts),
    generation: () => generation,
  });
  const goalEditor = createGoalEditor(api, { onSaved: () => refresh() });
  goalEditor.element.hidden = true;
  root.replaceChildren(h('h2', { class: 'visually-hidden' }, t('indicators.indicators')), controls.element, alertBox, statusBox, content, goalEditor.element);

  /** The statistics role's forms, kept across renders. */
  function writerForms(p) {
    if (!mayWrite()) return;
    if (!spendForms.has(p.id)) {
      spendForms.set(p.id, spendForm({ year, project: p, api, status, error, onSaved: () => refresh({ keepMessages: true }) }));
    }
    if (!snapForm) {
      snapForm = snapshotForm({
        year, api, status, error, defaultAsOf: [localToday(), `${year}-12-31`].sort()[0],
        onTaken: async (snap) => {
          choice.mode = 'snapshot';
          choice.snapshot = String(snap.id);
          await refresh({ keepMessages: true });
        },
      });
    }
  }

  function render() {
    if (!last) return;
    const { result, trend, budget, notes, diffs, project } = last;
    const trendBy = new Map((trend.series || []).map((s) => [s.metric, s]));
    const p = result.project || project;
    const title = p.table_title || t('indicators.goalTable', { value: p.name ?? p.id });
    writerForms(p);
    const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    fill(content,
      banner(result, diffs, controls),
      // Downloads first: what most visitors of this tab came for, without scrolling past the table.
      downloadsSection({ year, scope: controls.scope, describe: controls.describe, api, status, error }),
      warningsBox(result.warnings),
      h('section', { class: 'dash-card project', 'data-project': p.id, 'aria-labelledby': `proj-${p.id}` },
        h('h2', { id: `proj-${p.id}`, ...DATA }, title, p.year ? t('indicators.sep', { year: p.year }) : ''),
        result.unit_name ? h('p', { class: 'unit muted', ...DATA }, result.unit_name) : null,
        h('p', { class: 'legend-chips muted small' }, t('indicators.state'),
          Object.values(STATUS).map(([s, c]) => h('span', { class: `chip chip-${c}` }, t(s)))),
        h('div', { class: 'table-scroll' }, h('table', { class: 'dash-table', 'data-testid': `goal-${p.id}` },
          h('caption', { class: 'visually-hidden', ...DATA }, title),
          h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, t(c))))),
          h('tbody', {}, table.rows(p.id, result, trendBy, notes))))),
      budgetSection((budget.data || [])[0], {
        project: p, year, asOf: budget.as_of || controls.dayShown(), api, status, error, form: mayWrite() ? spendForms.get(p.id) || null : null,
      }),
      snapForm && mayWrite() ? h('section', { class: 'dash-card', 'aria-label': t('indicators.frozenSnapshot') }, snapForm) : null);
    if (focused) root.querySelector(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
    const labels = {};
    for (const r of result.rows || []) for (const v of r.values || []) labels[v.metric] = v.label;
    goalEditor.element.hidden = !isAdmin();
    goalEditor.show(year, p.id, labels);
    root.dataset.generation = String(Number(root.dataset.generation || 0) + 1);
    root.dataset.mode = result.mode === 'frozen' ? 'frozen' : controls.scope().as_of ? 'as_of' : 'live';
  }

  /** The project list and the chosen project's year, into the controls; null when there is none. */
  async function chooseProject() {
    const [list, snaps] = await Promise.all([api.projects(), api.snapshots(), controls.loadTownships()]);
    const projects = sortProjects(list.data || []);
    if (!projects.length) return null;
    if (!projects.some((p) => p.id === choice.project)) choice.project = projects[0].id;
    const project = projects.find((p) => p.id === choice.project);
    return { project, projects, snapshots: (snaps.data || []).filter((s) => s.year === project.year) };
  }

  async function refresh({ keepMessages = false } = {}) {
    const mine = ++generation;
    root.setAttribute('aria-busy', 'true');
    if (!keepMessages) { announce(alertBox, ''); announce(statusBox, ''); }
    try {
      const chosen = await chooseProject();
      if (mine !== generation) return;
      if (!chosen) {
        fill(content, h('p', { class: 'muted' }, t('indicators.noGoalTablesYet')));
        return;
      }
      const { project } = chosen;
      if (year !== project.year) snapForm = null;
      year = project.year;
      controls.setData({ projects: chosen.projects, snapshots: chosen.snapshots, year });
      const s = controls.scope();
      const budgetDay = s.snapshot || s.as_of ? controls.dayShown() : null;
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
      table.dropDrillData();
      render();
      requestAnimationFrame(() => performance.mark('tuban:dashboard-drawn', { detail: { project: project.id, mode: result.mode } }));
    } catch (err) {
      if (mine !== generation || err.status === 401) return;
      error(explain(t('indicators.loadIndicators'), err));
    } finally {
      if (mine === generation) root.setAttribute('aria-busy', 'false');
    }
  }

  return { refresh };
}
