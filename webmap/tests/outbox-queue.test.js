// outbox-queue.js: offline actions are sent in the order they were taken.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { drainQueue, enqueue, loadQueue } from '../static/outbox-queue.js';

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)) };
}

const user = { username: 'hecha' };

function fill(storage, n) {
  for (let i = 1; i <= n; i += 1) {
    enqueue(storage, user, { case_id: i, action: 'verify', payload: {} }, new Date(Date.UTC(2019, 9, i)));
  }
}

test('items are sent oldest first and leave the queue once sent', async () => {
  const storage = memoryStorage();
  fill(storage, 3);
  const sent = [];
  await drainQueue(storage, user, async (item) => { sent.push(item.case_id); return { id: item.case_id }; });
  assert.deepEqual(sent, [1, 2, 3]);
  assert.deepEqual(loadQueue(storage, user), []);
});

test('a lost connection stops the run and keeps the rest in order', async () => {
  const storage = memoryStorage();
  fill(storage, 3);
  const sent = [];
  await drainQueue(storage, user, async (item) => {
    if (item.case_id === 2) throw Object.assign(new Error('offline'), { code: 'NETWORK_ERROR' });
    sent.push(item.case_id);
    return {};
  });
  assert.deepEqual(sent, [1]);
  assert.deepEqual(loadQueue(storage, user).map((x) => x.case_id), [2, 3]);
});

test('a refusal drops that item, reports it and goes on with the next', async () => {
  const storage = memoryStorage();
  fill(storage, 3);
  const refused = [];
  const sent = [];
  await drainQueue(storage, user, async (item) => {
    if (item.case_id === 1) throw Object.assign(new Error('stale'), { status: 409, code: 'CASE_VERSION_CONFLICT' });
    sent.push(item.case_id);
    return {};
  }, { onRefused: (item, err) => refused.push([item.case_id, err.code]) });
  assert.deepEqual(refused, [[1, 'CASE_VERSION_CONFLICT']]);
  assert.deepEqual(sent, [2, 3]);
  assert.deepEqual(loadQueue(storage, user), []);
});

test('each user has a queue of their own', () => {
  const storage = memoryStorage();
  fill(storage, 2);
  assert.equal(loadQueue(storage, { username: 'shenhe' }).length, 0);
  assert.equal(loadQueue(storage, user).length, 2);
});
