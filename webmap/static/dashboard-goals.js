// 编辑绩效目标表 (admins): the 指标值 text and the numeric targets of one project's rows, saved
// as the next version of the year's goal book (PUT /api/goals/{year} with base_version). If
// someone saved in between, the server answers 409 and nothing is saved; the form says so and
// offers to load the latest version.
// Test hooks: "goal-editor", "goal-target-<row>", "goal-num-<row>-<metric>", "goal-note",
// "goal-save", "goal-reload", "goal-alert", "goal-status" (data-version).

import { announce, fill, h } from './dom.js';
import { explain } from './dashboard-api.js';

/**
 * createGoalEditor(api, {onSaved}) → {element, show(year, projectId, labels)}: labels maps
 * metric → zh label (from the dashboard's values) for the numeric target fields.
 */
export function createGoalEditor(api, { onSaved }) {
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true, 'data-testid': 'goal-alert' });
  const statusBox = h('div', { class: 'status', role: 'status', hidden: true, 'data-testid': 'goal-status' });
  const body = h('div', { class: 'goal-editor-body' });
  const element = h('details', { class: 'dash-card goal-editor', 'data-testid': 'goal-editor' },
    h('summary', {}, '编辑绩效目标表（管理员）'),
    h('p', { class: 'muted small' }, '修改后保存为该年度目标表的新版本；已保存的版本都保留，可导出查看。'),
    alertBox, statusBox, body);
  let current = { year: null, project: null, labels: {} };
  let loaded = null; // {version, doc}

  const status = (t) => { announce(alertBox, ''); announce(statusBox, t); };
  const error = (t) => { announce(statusBox, ''); announce(alertBox, t); };

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
      return h('div', { class: 'field' }, h('label', { for: input.id }, `${current.labels[m] || m} 目标值`), input);
    });
    return h('fieldset', { 'data-row': row.row_no },
      h('legend', {}, `第 ${row.row_no} 行：${row.level3 || row.description || ''}`),
      h('div', { class: 'field' }, h('label', { for: target.id }, '指标值（文字）'), target),
      nums.length
        ? [h('div', { class: 'form-grid' }, nums),
          h('small', { class: 'hint', id: `goal-num-hint-${row.row_no}` }, '按该指标自身的单位填写（百分比填 100 表示 100%）；留空表示无数值目标。')]
        : h('p', { class: 'muted small' }, '定性指标，无数值目标。'));
  }

  function render() {
    const project = (loaded.doc.projects || []).find((p) => p.id === current.project);
    if (!project) {
      fill(body, h('p', { class: 'muted' }, '该年度目标表中没有这个项目。'));
      return;
    }
    const note = h('input', { id: 'goal-note', 'data-testid': 'goal-note', maxlength: 200, autocomplete: 'off', placeholder: '如：按市局通知调整目标值' });
    const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'goal-save' }, '保存为新版本');
    const form = h('form', { class: 'action-form goal-form', 'data-testid': 'goal-form' },
      h('p', { 'data-testid': 'goal-version', 'data-version': loaded.version }, `${current.year} 年目标表 第 ${loaded.version} 版 · ${project.table_title || project.name}`),
      (project.indicators || []).map(rowFields),
      h('div', { class: 'field' }, h('label', { for: 'goal-note' }, '修改说明'), note),
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
          const t = { ...(row.targets || {}) };
          if (input.value.trim() === '') delete t[input.dataset.metric];
          else t[input.dataset.metric] = Number(input.value);
          row.targets = t;
        }
      }
      save.disabled = true;
      try {
        const saved = await api.saveGoals(current.year, { ...doc, base_version: loaded.version, note: note.value.trim() || null });
        loaded = { version: saved.version, doc };
        statusBox.dataset.version = String(saved.version);
        render();
        status(saved.created ? `已保存为 ${current.year} 年目标表第 ${saved.version} 版。` : '内容没有变化，未新增版本。');
        await onSaved();
      } catch (err) {
        if (err.status === 401) return;
        if (err.status === 409) {
          const v = err.details && err.details.current_version;
          error(`未保存：在您打开目标表后，已有人保存了${v ? `第 ${v} 版` : '新版本'}。您的修改没有保存，以免覆盖别人的修改。请点“载入最新版本”，核对后重新修改。`);
          form.querySelector('.form-actions').append(h('button', {
            type: 'button', 'data-testid': 'goal-reload', onclick: () => load(),
          }, '载入最新版本'));
        } else {
          error(explain('保存目标表', err));
        }
      } finally {
        save.disabled = false;
      }
    });
    fill(body, form);
  }

  async function load({ keepMessages = false } = {}) {
    if (!keepMessages) { announce(alertBox, ''); announce(statusBox, ''); }
    fill(body, h('p', { class: 'muted' }, '正在加载目标表…'));
    try {
      const g = await api.goals(current.year);
      loaded = { version: g.version, doc: g.doc };
      render();
    } catch (err) {
      if (err.status !== 401) error(explain('加载目标表', err));
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
