// 动态巡查 in the web map, DOM-free (webmap/tests/patrol-model.test.js): the quick response's
// steps of a patrol case with their deadlines and whether each was done on time or is overdue,
// and durations in words. (A finding as it is sent: patrol-finding.js.)
// The deadlines themselves are the server's (geo/deadlines.py): each case carries the ones in
// force when it was found (milestones stop_due_at, file_due_on, report_due_on, watch_due_on);
// this module only compares them with what was done and when.

import { formatDate, formatDateTime } from './datetime.js';
import { actionLabel } from './meta.js';
import { t } from './messages.js';

/** The programme of cases found on patrol or reported (GET /api/meta programmes). */
export const PATROL = 'patrol';

export function isPatrol(programme) {
  return programme === PATROL;
}

/**
 * The office roles (admins too) that register a report (举报登记, POST /api/patrol/reports) and
 * read its reporter's details (GET /api/patrol/reports/{id}): not case actions, so /api/meta
 * does not list them; the server decides, this only keeps the form away from others.
 */
export const OFFICE_ROLES = ['enforcer', 'reviewer'];

/** The action a finding is recorded with (geo.patrol.open_case): its roles may use 巡查发现. */
export const FIND = 'find';

const DAY_MS = 86_400_000;
const BEIJING_MS = 8 * 3_600_000;

/**
 * The steps of the quick response, as GET /api/tasks names them (`step`): the milestone that
 * holds each one's deadline, the one that says it was done, and the action that does it (its
 * label names the step). A day deadline runs to the end of that Beijing day.
 */
export const STEPS = [
  { step: 'stop', action: 'stop', due: 'stop_due_at', done: 'stopped_at', instant: true },
  { step: 'file', action: 'file', due: 'file_due_on', done: 'filed_on' },
  { step: 'report', action: 'report_up', due: 'report_due_on', done: 'reported_on' },
  { step: 'reinspect', action: 'reinspect', due: 'watch_due_on', done: null, watched: true, own: 'patrol.stepReinspect' },
];

/** A step's words: its action's label (meta), or 复查 for a watched site's next visit (its
 * action's label says one outcome of it). */
export function stepLabel(step) {
  const s = STEPS.find((x) => x.step === step);
  if (!s) return step || '';
  return s.own ? t(s.own) : actionLabel(s.action);
}

/** The instant a deadline ends (or a step was done): an instant as given, a day at the end of
 * that Beijing day. */
export function deadlineEnd(due) {
  if (due === null || due === undefined || due === '') return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(due))) {
    return new Date(Date.parse(`${due}T00:00:00Z`) - BEIJING_MS + DAY_MS);
  }
  const at = new Date(due);
  return Number.isNaN(at.getTime()) ? null : at;
}


/**
 * Where a step stands at `now`: done on time, done late, overdue or open, with `by` the
 * milliseconds late (or left while open); `skipped` when it was not done and is no longer to
 * be done (pending false: e.g. filed without a stop order, or dismissed). A day done on its due
 * day is on time.
 */
export function stepStatus(due, done, now, pending = true) {
  const end = deadlineEnd(due);
  // A day done is taken at its end, as a day deadline is: done on the due day is on time.
  const at = deadlineEnd(done);
  if (at) {
    if (!end) return { status: 'done', by: 0 };
    return at.getTime() <= end.getTime() ? { status: 'done', by: 0 } : { status: 'late', by: at.getTime() - end.getTime() };
  }
  if (!end) return { status: 'none', by: 0 };
  if (!pending) return { status: 'skipped', by: 0 };
  const left = end.getTime() - now.getTime();
  return left < 0 ? { status: 'overdue', by: -left } : { status: 'open', by: left };
}

/**
 * The steps of a patrol case (its milestones) at `now`: [{step, label, due, done, status, by}],
 * those with a deadline only; 复查 only while the site is watched. `pending(action)` says
 * whether a step not done is still to be done: the server's word, its action being among the
 * case's allowed_actions (every step, when not given).
 */
export function caseSteps(m, now, pending = () => true) {
  const out = [];
  for (const s of STEPS) {
    if (s.watched && !(m.watch_interval_days > 0)) continue;
    const due = m[s.due];
    if (due === null || due === undefined) continue;
    const done = s.done ? m[s.done] : null;
    out.push({
      step: s.step, label: stepLabel(s.step), due, done, instant: Boolean(s.instant),
      ...stepStatus(due, done, now, pending(s.action)),
    });
  }
  return out;
}

/** "3 小时", "2 天", "45 分钟": the largest unit that fits, rounded down (at least a minute). */
export function durationWords(ms) {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  if (minutes < 60) return t('patrol.minutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('patrol.hours', { n: hours });
  return t('patrol.days', { n: Math.floor(hours / 24) });
}

/** A deadline as the bureau reads it: an instant to the minute, a day as the day. */
export function dueText(due, instant) {
  return instant ? formatDateTime(due) : formatDate(due);
}

/** "截止 2019-06-04 09:30 · 已超时 3 小时" (the step's label is said beside it). */
export function stepText(s) {
  const due = t('patrol.due', { due: dueText(s.due, s.instant) });
  switch (s.status) {
    case 'overdue': return t('patrol.stepOverdue', { due, late: durationWords(s.by) });
    case 'open': return t('patrol.stepOpen', { due, left: durationWords(s.by) });
    case 'late': return t('patrol.stepLate', { due, done: dueText(s.done, s.instant), late: durationWords(s.by) });
    case 'done': return t('patrol.stepDone', { due, done: dueText(s.done, s.instant) });
    case 'skipped': return t('patrol.stepSkipped', { due });
    default: return due;
  }
}

/** A task's step (GET /api/tasks: step, step_due) at `now`: {label, text, overdue}. */
export function taskStep(task, now) {
  if (!task || !task.step) return null;
  const spec = STEPS.find((s) => s.step === task.step);
  const st = stepStatus(task.step_due, null, now);
  const s = { ...st, due: task.step_due, instant: Boolean(spec && spec.instant) };
  return { label: stepLabel(task.step), text: stepText(s), overdue: st.status === 'overdue' };
}
