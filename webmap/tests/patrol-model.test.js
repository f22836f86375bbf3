// patrol-model.js: a patrol case's steps against their deadlines, durations in words, and a
// finding's body as the API takes it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';

import { findingBody, newClientRef, outline, pointAt } from '../static/patrol-finding.js';
import {
  caseSteps, deadlineEnd, durationWords, stepLabel, stepStatus, stepText, taskStep,
} from '../static/patrol-model.js';
import { setMeta } from '../static/meta.js';
import { loadCatalog, useLanguage } from '../static/messages.js';

const META = JSON.parse(readFileSync(new URL('./fixtures/meta.json', import.meta.url), 'utf8'));
const label = (code) => META.actions.find((a) => a.code === code).label;

before(() => setMeta(META));

const HOUR = 3_600_000;

test('a day deadline runs to the end of that Beijing day', () => {
  assert.equal(deadlineEnd('2019-06-10').toISOString(), '2019-06-10T16:00:00.000Z');
  assert.equal(deadlineEnd('2019-06-04T09:30:00+08:00').toISOString(), '2019-06-04T01:30:00.000Z');
  assert.equal(deadlineEnd(null), null);
  assert.equal(deadlineEnd('not a time'), null);
});

test('a step is open, overdue, done on time or done late, by how much', () => {
  const due = '2019-06-04T09:30:00+08:00';
  assert.deepEqual(stepStatus(due, null, new Date('2019-06-04T01:00:00Z')), { status: 'open', by: 0.5 * HOUR });
  assert.deepEqual(stepStatus(due, null, new Date('2019-06-04T04:30:00Z')), { status: 'overdue', by: 3 * HOUR });
  assert.deepEqual(stepStatus(due, '2019-06-04T09:30:00+08:00', new Date('2019-07-01')), { status: 'done', by: 0 });
  assert.deepEqual(stepStatus(due, '2019-06-04T11:30:00+08:00', new Date('2019-07-01')), { status: 'late', by: 2 * HOUR });
  // Days: done on the due day is on time, the day after is a day late.
  assert.equal(stepStatus('2019-06-10', '2019-06-10', new Date('2019-07-01')).status, 'done');
  assert.deepEqual(stepStatus('2019-06-10', '2019-06-11', new Date('2019-07-01')), { status: 'late', by: 24 * HOUR });
  // Still open on the due day's evening, overdue the next morning (Beijing time).
  assert.equal(stepStatus('2019-06-10', null, new Date('2019-06-10T15:59:00Z')).status, 'open');
  assert.deepEqual(stepStatus('2019-06-10', null, new Date('2019-06-11T01:00:00Z')), { status: 'overdue', by: 9 * HOUR });
  assert.equal(stepStatus(null, null, new Date()).status, 'none');
});

test("a case's steps: stop, file and report with their deadlines; re-inspection once watched", () => {
  const m = {
    stop_due_at: '2019-06-04T01:30:00Z', stopped_at: '2019-06-03T08:00:00Z',
    file_due_on: '2019-06-10', filed_on: null,
    report_due_on: '2019-06-30', reported_on: null,
    watch_interval_days: null, watch_due_on: null,
  };
  const now = new Date('2019-06-12T02:00:00Z'); // 10:00 in Beijing, two days after filing was due
  const steps = caseSteps(m, now);
  assert.deepEqual(steps.map((s) => [s.step, s.status]), [['stop', 'done'], ['file', 'overdue'], ['report', 'open']]);
  assert.deepEqual(steps.map((s) => s.label), [label('stop'), label('file'), label('report_up')]);
  assert.equal(stepText(steps[0]), '截止 2019-06-04 09:30 · 2019-06-03 16:00 按时完成');
  assert.equal(stepText(steps[1]), '截止 2019-06-10 · 已超时 34 小时');
  assert.equal(stepText(steps[2]), '截止 2019-06-30 · 剩余 18 天');
  const watched = caseSteps({ ...m, watch_interval_days: 90, watch_due_on: '2019-09-01' }, now);
  assert.deepEqual(watched.map((s) => s.step), ['stop', 'file', 'report', 'reinspect']);
  assert.equal(stepLabel('reinspect'), '复查');
  assert.deepEqual(caseSteps({}, now), [], 'a 图斑 of another programme has no steps');
  // Filed without a stop order (nobody on site): the server no longer allows 制止, so that step
  // is not overdue, only not done; 报告 is still allowed, so still due.
  const filed = caseSteps({ ...m, stopped_at: null, filed_on: '2019-06-05' }, now, (action) => action === 'report_up');
  assert.deepEqual(filed.map((s) => [s.step, s.status]), [['stop', 'skipped'], ['file', 'done'], ['report', 'open']]);
  assert.equal(stepText(filed[0]), '截止 2019-06-04 09:30 · 未办理（已不需要）');
});

test('durations: minutes, hours up to two days, then days; never zero', () => {
  assert.equal(durationWords(0), '1 分钟');
  assert.equal(durationWords(45 * 60_000), '45 分钟');
  assert.equal(durationWords(3 * HOUR + 59 * 60_000), '3 小时');
  assert.equal(durationWords(47 * HOUR), '47 小时');
  assert.equal(durationWords(50 * HOUR), '2 天');
});

test("a task's step (GET /api/tasks step, step_due) in words, overdue or not", () => {
  const now = new Date('2019-06-04T04:30:00Z');
  const late = taskStep({ step: 'stop', step_due: '2019-06-04T01:30:00Z' }, now);
  assert.deepEqual(late, { label: label('stop'), text: '截止 2019-06-04 09:30 · 已超时 3 小时', overdue: true });
  const open = taskStep({ step: 'report', step_due: '2019-06-30' }, now);
  assert.equal(open.overdue, false);
  assert.equal(open.label, label('report_up'));
  assert.equal(taskStep({ step: null }, now), null);
});

test('the English words say the same', async () => {
  await loadCatalog('en');
  useLanguage('en');
  try {
    const s = { status: 'overdue', by: 3 * HOUR, due: '2019-06-04T01:30:00Z', instant: true };
    assert.equal(stepText(s), 'due 2019-06-04 09:30 · 3 hours overdue');
    assert.equal(durationWords(60_000), '1 minute');
    assert.equal(stepLabel('reinspect'), 'Re-inspection');
  } finally {
    useLanguage('zh-CN');
  }
});

test("a finding's body: point or outline rounded, texts trimmed, empties left out", () => {
  const geometry = pointAt({ lon: 118.123456789, lat: 39.8765432101 });
  assert.deepEqual(geometry, { type: 'Point', coordinates: [118.1234568, 39.8765432] });
  assert.deepEqual(findingBody({
    violation: 'illegal_mining', geometry, foundAt: '2019-11-20T09:30:00+08:00', note: '  夜间作业  ',
    clientRef: 'abc', reporter_name: '张三',
  }), {
    violation: 'illegal_mining', geometry, found_at: '2019-11-20T09:30:00+08:00', note: '夜间作业', client_ref: 'abc',
  }, 'a patrol finding carries no reporter');
  const report = findingBody({
    source: 'hotline_12336', violation: 'illegal_building', geometry, foundAt: '2019-11-20T22:10:00+08:00',
    reporter_name: ' 李四 ', reporter_contact: '', content: '夜里有人挖土',
  });
  assert.deepEqual(report, {
    violation: 'illegal_building', geometry, source: 'hotline_12336', received_at: '2019-11-20T22:10:00+08:00',
    reporter_name: '李四', content: '夜里有人挖土',
  });
  const ring = [[118.1, 39.8], [118.1000000012, 39.8], [118.1, 39.8000000049], [118.1, 39.8]];
  assert.deepEqual(outline({ type: 'Polygon', coordinates: [ring] }).coordinates[0][2], [118.1, 39.8]);
  assert.equal(outline({ type: 'LineString', coordinates: ring }), null);
});

test('client refs are unique and fit the API (≤ 64 of A-Z a-z 0-9 _ -)', () => {
  const refs = new Set(Array.from({ length: 50 }, () => newClientRef()));
  assert.equal(refs.size, 50);
  for (const r of refs) assert.match(r, /^[A-Za-z0-9_-]{1,64}$/);
  const fallback = newClientRef({ getRandomValues: (a) => a.fill(171) });
  assert.equal(fallback, 'ab'.repeat(16));
});
