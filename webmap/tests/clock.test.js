// clock.js: the web map's today follows the server's clock (a demo's is in 2019).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clockBadgeText, localToday, now, setServerClock } from '../static/clock.js';

test('a demo clock sets today in Beijing time and the header badge', () => {
  // 2019-11-19 18:30 UTC is already the 20th in Beijing.
  setServerClock({ clock: { now: '2019-11-19T18:30:00Z', today: '2019-11-20', set_start: '2019-11-19T18:00:00Z' } });
  assert.equal(localToday(), '2019-11-20');
  assert.equal(now().getUTCFullYear(), 2019);
  assert.equal(clockBadgeText(), '演示时钟：2019-11-20');
});

test('the real clock shows no badge; without a config the device time is used', () => {
  const at = new Date('2030-01-01T00:00:00Z');
  setServerClock({ clock: { now: at.toISOString(), today: '2030-01-01', set_start: null } });
  assert.equal(clockBadgeText(), null);
  assert.ok(Math.abs(now() - at) < 60_000);
  setServerClock({});
  assert.ok(Math.abs(now() - Date.now()) < 1000);
});

test("offline at start: the last server clock seen is kept, so a demo's day stays the demo's", () => {
  const data = new Map();
  const storage = { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)) };
  assert.equal(setServerClock({ clock: { now: '2019-11-20T02:00:00Z', set_start: '2019-11-20T02:00:00Z' } }, storage), true);
  setServerClock({});
  assert.equal(now().getUTCFullYear(), new Date().getUTCFullYear(), 'no storage: the device time');
  assert.equal(setServerClock({}, storage), false);
  assert.equal(localToday(), '2019-11-20');
  assert.equal(clockBadgeText(), '演示时钟：2019-11-20');
  setServerClock({}, { getItem: () => '{not json', setItem: () => {} });
  assert.ok(Math.abs(now() - Date.now()) < 1000, 'a spoilt copy is not a clock');
});
