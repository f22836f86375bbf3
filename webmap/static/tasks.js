// 我的任务: the signed-in user's open work (GET /api/tasks, overdue first as the API orders it)
// and, for reviewers and admins, how many 图斑 are overdue across the county (GET /api/overdue).
// Test hooks: data-testid="tasks-list" with one "task" per entry (data-case-id, data-batch-id,
// data-overdue), "task-open" (the button that opens it on the map), "tasks-count",
// "overdue-count" (data-count), "tasks-refresh"; "tasks-sort" (期限 / 距离, kept in
// localStorage `tuban.tasks.sort`) and "task-distance" (data-metres) when the position is known.

import { hasRole } from './auth.js';
import { announce, fill, h } from './dom.js';
import { compassWord, distanceWords } from './geo-math.js';
import { colourFor, formatDate } from './labels.js';
import { programmeLabel, stateLabel } from './meta.js';
import { orderTasks, relation } from './nearby.js';

const SORT_KEY = 'tuban.tasks.sort';

function savedSort() {
  try {
    return localStorage.getItem(SORT_KEY) === 'distance' ? 'distance' : 'due';
  } catch {
    return 'due';
  }
}

function taskItem(t, onOpen, distance = null, bearing = null) {
  const overdue = Boolean(t.overdue);
  const open = h('button', {
    type: 'button', class: 'task-open link-button', 'data-testid': 'task-open',
    'aria-label': `在地图上打开图斑 ${t.code ?? t.case_id}${overdue ? '（已逾期）' : ''}`,
  }, t.code ?? `图斑 ${t.case_id}`);
  open.addEventListener('click', () => onOpen(t.case_id, t.batch_id ?? null));
  return h('li', {
    class: overdue ? 'task overdue' : 'task', 'data-testid': 'task',
    'data-case-id': String(t.case_id), 'data-batch-id': String(t.batch_id ?? ''),
    'data-overdue': String(overdue),
  },
  h('div', { class: 'task-head' },
    open,
    overdue ? h('span', { class: 'badge overdue-badge', 'data-testid': 'task-overdue' }, '逾期') : null),
  h('div', { class: 'task-meta' },
    h('span', { class: 'state-chip' },
      h('span', { class: 'swatch', style: `background:${colourFor(t.state)}` }),
      stateLabel(t.state, t.state_label)),
    h('span', {}, programmeLabel(t.programme)),
    h('span', { class: overdue ? 'due overdue' : 'due' }, `期限 ${formatDate(t.due_on)}`),
    t.township_name ? h('span', {}, t.township_name) : null,
    distance === null ? null : h('span', {
      class: 'task-distance', 'data-testid': 'task-distance', 'data-metres': String(Math.round(distance)),
    }, `距您 ${distanceWords(distance)}，在您的${compassWord(bearing)}方`)));
}

/**
 * createTasksView(root, api, {onOpen(caseId, batchId), getUser(), onCount(n), locator}) →
 * {refresh, clear}; with a locator (locate.js) the list shows distances and sorts by them.
 */
export function createTasksView(root, api, { onOpen, getUser, onCount = () => {}, locator = null }) {
  const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true });
  const summary = h('p', { class: 'tasks-summary', 'data-testid': 'tasks-count', role: 'status' });
  const overdueBox = h('p', { class: 'overdue-summary', 'data-testid': 'overdue-count', hidden: true });
  const list = h('div', { class: 'tasks-content' }, h('p', { class: 'muted' }, '正在加载…'));
  const button = h('button', { type: 'button', 'data-testid': 'tasks-refresh' }, '刷新');
  const sort = h('select', { id: 'tasks-sort', 'data-testid': 'tasks-sort' },
    h('option', { value: 'due' }, '按期限'), h('option', { value: 'distance' }, '按距离（近的在前）'));
  sort.value = locator ? savedSort() : 'due';
  const sortBox = locator ? h('label', { class: 'tasks-sort', for: 'tasks-sort' }, '排序 ', sort) : null;
  root.replaceChildren(
    h('div', { class: 'tasks-toolbar' }, h('h2', {}, '我的任务'), sortBox, button),
    summary, overdueBox, alertBox, list);
  let generation = 0;
  let items = [];
  let drawnAt = null; // the position the list was last ordered for

  function draw() {
    const position = locator ? locator.position : null;
    drawnAt = position;
    fill(list, items.length
      ? h('ol', { class: 'tasks', 'data-testid': 'tasks-list', 'data-order': sort.value },
        orderTasks(items, position, sort.value).map((r) => taskItem(r.task, onOpen, r.distance, r.bearing)))
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
      const late = data.filter((t) => t.overdue).length;
      summary.textContent = data.length
        ? `共 ${data.length} 项待办${late ? `，其中 ${late} 项已逾期` : ''}。`
        : '目前没有待办任务。';
      onCount(data.length, late);
      items = data;
      draw();
      if (overdue && !overdue.error) {
        const n = overdue.count ?? (overdue.data || []).length;
        overdueBox.dataset.count = String(n);
        overdueBox.textContent = n ? `全区逾期未办结图斑：${n} 个` : '全区没有逾期未办结的图斑。';
        overdueBox.classList.toggle('has-overdue', n > 0);
        overdueBox.hidden = false;
      } else if (overdue && overdue.error) {
        overdueBox.dataset.count = '';
        overdueBox.textContent = `无法加载逾期统计：${overdue.error.message}`;
        overdueBox.hidden = false;
      } else {
        overdueBox.hidden = true;
      }
      announce(alertBox, '');
    } catch (err) {
      if (mine !== generation) return;
      announce(alertBox, `无法加载我的任务：${err.message}`);
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
    fill(list, h('p', { class: 'muted' }, '正在加载…'));
  }

  button.addEventListener('click', refresh);
  return { refresh, clear };
}
