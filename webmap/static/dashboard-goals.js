// 编辑绩效目标表 (admins): the 指标值 text and the numeric targets of one project's rows, saved
// as the next version of the year's goal book (PUT /api/goals/{year} with base_version). If
// someone saved in between, the server answers 409 and nothing is saved; the form says so and
// offers to load the latest version.
// Test hooks: "goal-editor", "goal-target-<row>", "goal-num-<row>-<metric>", "goal-note",
// "goal-save", "goal-reload", "goal-alert", "goal-status" (data-version).

import { announce, fill, h } from './dom.js';
import { explain } from './dashboard-api.js';
import { t } from './messages.js';

/**
 * createGoalEditor(api, {onSaved}) → {element, show(year, projectId, labels)}: labels maps
 * metric → zh label (from the dashboard's values) for the numeric target fields.
 */
export function createGoalEditor(api, { onSaved }) {
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true, 'data-testid': 'goal-alert' });
  const statusBox = h('div', { class: 'status', role: 'status', hidden: true, 'data-testid': 'goal-status' });
  const body = h('div', { class: 'goal-editor-body' });
  const element = h('details', { class: 'dash-card goal-editor', 'data-testid': 'goal-editor' },
    h('summary', {}, t('dashboard-goals.editGoalTableAdministrator')),
    h('p', { class: 'muted small' }, t('dashboard-goals.savingMakesNewVersion')),
    alertBox, statusBox, body);
  let current = { year: null, project: null, labels: {} };
  let loaded = null; // {version, doc}

  const status = (s) => { announce(alertBox, ''); announce(statusBox, s); };
  const error = (s) => { announce(statusBox, ''); announce(alertBox, s); };

  function rowFields(row) {
    const target = h('input', {
      id: `goal-target-${row.row_no}`, value: row.target ?? '', 'data-testid': `goal-target-${row.row_no}`,
      maxlength: 500, autocomplete: 'off',
    });
    const metrics = row.metrics || [];
    const nums = metrics.map((m) => {
      const v = row.targets && row.targets[m] !== undefined && row.targets[m] !== null ? String(row.targets[m]) : '';
      const input = h('input', {
        id: `goal-num-${row.row_no}-${m}`, type: 'number', step: 'any', inputmode: 'decimal', value: v,
        'data-testid': `goal-num-${row.row_no}-${m}`, 'data-metric': m, 'aria-describedby': `goal-num-hint-${row.row_no}`,
      });
      return h('div', { class: 'field' }, h('label', { for: input.id }, t('dashboard-goals.target', { value: current.labels[m] || m })), input);
    });
    return h('fieldset', { 'data-row': row.row_no },
      h('legend', {}, t('dashboard-goals.row', { row_no: row.row_no, value: row.level3 || row.description || '' })),
      h('div', { class: 'field' }, h('label', { for: target.id }, t('dashboard-goals.targetText')), target),
      nums.length
        ? [h('div', { class: 'form-grid' }, nums),
          h('small', { class: 'hint', id: `goal-num-hint-${row.row_no}` }, t('dashboard-goals.indicatorSOwnUnit'))]
        : h('p', { class: 'muted small' }, t('dashboard-goals.qualitativeNoNumericTarget')));
  }

  function render() {
    const project = (loaded.doc.projects || []).find((p) => p.id === current.project);
    if (!project) {
      fill(body, h('p', { class: 'muted' }, t('dashboard-goals.yearSGoalTable')));
      return;
    }
    const note = h('input', { id: 'goal-note', 'data-testid': 'goal-note', maxlength: 200, autocomplete: 'off', placeholder: t('dashboard-goals.eGTargetsChanged') });
    const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'goal-save' }, t('dashboard-goals.saveAsNewVersion'));
    const form = h('form', { class: 'action-form goal-form', 'data-testid': 'goal-form' },
      h('p', { 'data-testid': 'goal-version', 'data-version': loaded.version }, t('dashboard-goals.goalTableVersion', { year: current.year, version: loaded.version, value: project.table_title || project.name })),
      (project.indicators || []).map(rowFields),
      h('div', { class: 'field' }, h('label', { for: 'goal-note' }, t('dashboard-goals.whatChanged')), note),
      h('div', { class: 'form-actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const doc = structuredClone(loaded.doc);
      const p = doc.projects.find((x) => x.id === current.project);
      for (const row of p.indicators || []) {
        const set = form.querySelector(`fieldset[data-row="${row.row_no}"]`);
        if (!set) continue;
        row.target = set.querySelector(`#goal-target-${row.row_no}`).value.trim() || null;
        for (const input of set.querySelectorAll('input[data-metric]')) {
          const targets = { ...(row.targets || {}) };
          if (input.value.trim() === '') delete targets[input.dataset.metric];
          else targets[input.dataset.metric] = Number(input.value);
          row.targets = targets;
        }
      }
      save.disabled = true;
      try {
        const saved = await api.saveGoals(current.year, { ...doc, base_version: loaded.version, note: note.value.trim() || null });
        loaded = { version: saved.version, doc };
        statusBox.dataset.version = String(saved.version);
        render();
        status(saved.created ? t('dashboard-goals.savedAsGoalTable', { year: current.year, version: saved.version }) : t('dashboard-goals.nothingChangedSoNo'));
        await onSaved();
      } catch (err) {
        if (err.status === 401) return;
        if (err.status === 409) {
          const v = err.details && err.details.current_version;
          error(t('dashboard-goals.notSavedAfterYou', { value: v ? t('dashboard-goals.version', { v }) : t('dashboard-goals.newVersion') }));
          form.querySelector('.form-actions').append(h('button', {
            type: 'button', 'data-testid': 'goal-reload', onclick: () => load(),
          }, t('dashboard-goals.loadLatestVersion')));
        } else {
          error(explain(t('dashboard-goals.saveGoalTable'), err));
        }
      } finally {
        save.disabled = false;
      }
    });
    fill(body, form);
  }

  async function load({ keepMessages = false } = {}) {
    if (!keepMessages) { announce(alertBox, ''); announce(statusBox, ''); }
    fill(body, h('p', { class: 'muted' }, t('dashboard-goals.loadingGoalTable')));
    try {
      const g = await api.goals(current.year);
      loaded = { version: g.version, doc: g.doc };
      render();
    } catch (err) {
      if (err.status !== 401) error(explain(t('dashboard-goals.loadGoalTable'), err));
      fill(body, null);
    }
  }

  element.addEventListener('toggle', () => {
    if (element.open && !loaded) load();
  });

  return {
    element,
    show(year, project, labels) {
      const changed = current.year !== year || current.project !== project;
      current = { year, project, labels: labels || {} };
      if (changed && element.open) load();
      else if (changed) loaded = null;
    },
  };
}
