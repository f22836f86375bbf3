// datetime.js: every time the page shows is Beijing time, "2019-08-03 14:05".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { beijingToday, formatDate, formatDateTime } from '../static/datetime.js';

test('a UTC instant reads as Beijing wall-clock time', () => {
  assert.equal(formatDateTime('2019-08-03T06:05:09Z'), '2019-08-03 14:05');
  assert.equal(formatDateTime('2019-08-03T06:05:09+00:00'), '2019-08-03 14:05');
  assert.equal(formatDateTime('2019-08-03T14:05:00+08:00'), '2019-08-03 14:05');
});

test('an evening instant in UTC is the next Beijing day', () => {
  assert.equal(formatDateTime('2019-09-30T16:30:00Z'), '2019-10-01 00:30');
  assert.equal(formatDate('2019-09-30T16:30:00Z'), '2019-10-01');
  assert.equal(beijingToday(new Date('2019-12-31T20:00:00Z')), '2020-01-01');
});

test('a calendar day stays that day; missing and unreadable values are not invented', () => {
  assert.equal(formatDate('2019-11-05'), '2019-11-05');
  assert.equal(formatDateTime('2019-11-05'), '2019-11-05');
  assert.equal(formatDateTime(null), '—');
  assert.equal(formatDate(''), '—');
  assert.equal(formatDateTime('not a time'), 'not a time');
});
