// 我的任务: the signed-in user's open work (GET /api/tasks, overdue first as the API orders it)
// and, for reviewers and admins, how many 图斑 are overdue across the county (GET /api/overdue).
// Test hooks: data-testid="tasks-list" with one "task" per entry (data-case-id, data-batch-id,
// data-overdue), "task-open" (the button that opens it on the map), "tasks-count",
// "overdue-count" (data-count), "tasks-refresh"; "tasks-sort" (期限 / 距离, kept in
// localStorage `tuban.tasks.sort`) and "task-distance" (data-metres) when the position is known.
// 动态巡查: a patrol task names its step and that step's deadline ("task-step", data-step,
// data-overdue); the chips "tasks-filter-all" / "tasks-filter-patrol" (aria-pressed) narrow
// the list to patrol cases.

import { hasRole } from './auth.js';
import { announce, fill, h } from './dom.js';
import { compassWord, distanceWords } from './geo-math.js';
import { colourFor, formatDate } from './labels.js';
import { programmeLabel, stateLabel } from './meta.js';
import { t } from './messages.js';
import { orderTasks, relation } from './nearby.js';
import { now } from './clock.js';
import { PATROL as PATROL_FILTER, isPatrol, taskStep } from './patrol-model.js';

const SORT_KEY = 'tuban.tasks.sort';

function savedSort() {
  try {
    return localStorage.getItem(SORT_KEY) === 'distance' ? 'distance' : 'due';
  } catch {
    return 'due';
  }
}

/** A patrol task's step with its deadline: "制止 · 截止 2019-11-21 10:05 · 已超时 3 小时". */
function stepLine(task) {
  const s = taskStep(task, now());
  if (!s) return null;
  return h('span', {
    class: s.overdue ? 'task-step due overdue' : 'task-step due', 'data-testid': 'task-step',
    'data-step': task.step, 'data-overdue': String(s.overdue),
  }, t('patrol.taskStep', { step: s.label, text: s.text }));
}

function taskItem(task, onOpen, distance = null, bearing = null) {
  const overdue = Boolean(task.overdue);
  const step = stepLine(task);
  const open = h('button', {
    type: 'button', class: 'task-open link-button', 'data-testid': 'task-open',
    'aria-label': t('tasks.openPolygonMap', { value: task.code ?? task.case_id, value2: overdue ? t('tasks.overdue') : '' }),
  }, task.code ?? t('tasks.polygon', { case_id: task.case_id }));
  open.addEventListener('click', () => onOpen(task.case_id, task.batch_id ?? null));
  return h('li', {
    class: overdue ? 'task overdue' : 'task', 'data-testid': 'task',
    'data-case-id': String(task.case_id), 'data-batch-id': String(task.batch_id ?? ''),
    'data-overdue': String(overdue),
  },
  h('div', { class: 'task-head' },
    open,
    overdue ? h('span', { class: 'badge overdue-badge', 'data-testid': 'task-overdue' }, t('tasks.overdue2')) : null),
  h('div', { class: 'task-meta' },
    h('span', { class: 'state-chip' },
      h('span', { class: 'swatch', style: `background:${colourFor(task.state)}` }),
      stateLabel(task.state, task.state_label)),
    h('span', {}, programmeLabel(task.programme)),
    step || h('span', { class: overdue ? 'due overdue' : 'due' }, t('tasks.due', { due_on: formatDate(task.due_on) })),
    task.township_name ? h('span', { 'data-value': '' }, task.township_name) : null,
    distance === null ? null : h('span', {
      class: 'task-distance', 'data-testid': 'task-distance', 'data-metres': String(Math.round(distance)),
    }, t('tasks.fromYou', { distance: distanceWords(distance), direction: compassWord(bearing) }))));
}

/**
 * createTasksView(root, api, {onOpen(caseId, batchId), getUser(), onCount(n), locator}) →
 * {refresh, clear}; with a locator (locate.js) the list shows distances and sorts by them.
 */
export function createTasksView(root, api, { onOpen, getUser, onCount = () => {}, locator = null }) {
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true });
  const summary = h('p', { class: 'tasks-summary', 'data-testid': 'tasks-count', role: 'status' });
  const overdueBox = h('p', { class: 'overdue-summary', 'data-testid': 'overdue-count', hidden: true });
  const list = h('div', { class: 'tasks-content' }, h('p', { class: 'muted' }, t('tasks.loading')));
  const button = h('button', { type: 'button', 'data-testid': 'tasks-refresh' }, t('tasks.refresh'));
  const sort = h('select', { id: 'tasks-sort', 'data-testid': 'tasks-sort' },
    h('option', { value: 'due' }, t('tasks.byDue')), h('option', { value: 'distance' }, t('tasks.byDistance')));
  sort.value = locator ? savedSort() : 'due';
  const sortBox = locator ? h('label', { class: 'tasks-sort', for: 'tasks-sort' }, t('tasks.sort'), ' ', sort) : null;
  let only = null; // null: every task; 'patrol': patrol cases only
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': t('patrol.taskFilter'), hidden: true });
  root.replaceChildren(
    h('div', { class: 'tasks-toolbar' }, h('h2', {}, t('tasks.myTasks')), sortBox, button),
    chips, summary, overdueBox, alertBox, list);
  let generation = 0;
  let items = [];
  let drawnAt = null; // the position the list was last ordered for

  function chip(value, text, n) {
    return h('button', {
      type: 'button', class: 'chip', 'aria-pressed': String(only === value),
      'data-testid': `tasks-filter-${value || 'all'}`, 'data-count': String(n),
      onclick: () => {
        only = value;
        draw();
      },
    }, t('patrol.chip', { label: text, n }));
  }

  function draw() {
    const position = locator ? locator.position : null;
    drawnAt = position;
    const patrol = items.filter((x) => isPatrol(x.programme));
    if (!patrol.length) only = null;
    // The chips show only when there is patrol work to single out.
    chips.hidden = !patrol.length;
    fill(chips, chip(null, t('patrol.chipAll'), items.length), chip(PATROL_FILTER, programmeLabel(PATROL_FILTER), patrol.length));
    const shown = only ? patrol : items;
    fill(list, shown.length
      ? h('ol', { class: 'tasks', 'data-testid': 'tasks-list', 'data-order': sort.value, 'data-filter': only || 'all' },
        orderTasks(shown, position, sort.value).map((r) => taskItem(r.task, onOpen, r.distance, r.bearing)))
      : null);
  }

  sort.addEventListener('change', () => {
    try {
      localStorage.setItem(SORT_KEY, sort.value);
    } catch {
      /* the choice lasts as long as the page */
    }
    if (sort.value === 'distance' && locator && !locator.position) locator.start({ pan: false });
    draw();
  });
  if (locator) {
    // Re-ordered when the verifier has moved 30 m or more, not on every fix: a list that
    // shuffles under the thumb is worse than one a few metres stale.
    locator.subscribe((p) => {
      if (!items.length) return;
      if (!p || !drawnAt || relation(drawnAt, [p.lon, p.lat]).distance >= 30) draw();
    });
  }

  async function refresh() {
    const mine = ++generation;
    const user = getUser();
    root.setAttribute('aria-busy', 'true');
    const reviewer = hasRole(user, 'reviewer');
    try {
      const [tasks, overdue] = await Promise.all([
        api.tasks(),
        reviewer ? api.overdue().catch((err) => ({ error: err })) : Promise.resolve(null),
      ]);
      if (mine !== generation) return;
      const data = (tasks && tasks.data) || [];
      const late = data.filter((x) => x.overdue).length;
      summary.textContent = data.length
        ? t('tasks.openCount', { length: data.length, value: late ? t('tasks.whichOverdue', { late }) : '' })
        : t('tasks.noOpenTasks');
      onCount(data.length, late);
      items = data;
      draw();
      if (overdue && !overdue.error) {
        const n = overdue.count ?? (overdue.data || []).length;
        overdueBox.dataset.count = String(n);
        overdueBox.textContent = n ? t('tasks.overduePolygonsAcrossCounty', { n }) : t('tasks.noOverduePolygonsAcross');
        overdueBox.classList.toggle('has-overdue', n > 0);
        overdueBox.hidden = false;
      } else if (overdue && overdue.error) {
        overdueBox.dataset.count = '';
        overdueBox.textContent = t('tasks.couldNotLoadOverdue', { message: overdue.error.message });
        overdueBox.hidden = false;
      } else {
        overdueBox.hidden = true;
      }
      announce(alertBox, '');
    } catch (err) {
      if (mine !== generation) return;
      announce(alertBox, t('tasks.couldNotLoadMy', { message: err.message }));
    } finally {
      if (mine === generation) root.setAttribute('aria-busy', 'false');
    }
  }

  function clear() {
    generation += 1;
    items = [];
    summary.textContent = '';
    overdueBox.hidden = true;
    announce(alertBox, '');
    fill(list, h('p', { class: 'muted' }, t('tasks.loading')));
  }

  button.addEventListener('click', refresh);
  return { refresh, clear };
}
