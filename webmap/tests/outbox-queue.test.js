// outbox-queue.js: offline actions and photos are sent in the order they were taken.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { memoryStore } from '../static/offline-db.js';
import { drainQueue, enqueue, loadQueue } from '../static/outbox-queue.js';

const user = { username: 'hecha' };

async function fill(store, n) {
  for (let i = 1; i <= n; i += 1) {
    await enqueue(store, user, { kind: 'action', case_id: i, action: 'verify', payload: {}, expected_version: 1 }, new Date(Date.UTC(2019, 9, i)));
  }
}

const ids = async (store, who = user) => (await loadQueue(store, who)).map((x) => x.case_id);

test('items are sent oldest first and leave the queue once sent', async () => {
  const store = memoryStore();
  await fill(store, 3);
  const sent = [];
  await drainQueue(store, user, async (item) => { sent.push(item.case_id); return { id: item.case_id }; });
  assert.deepEqual(sent, [1, 2, 3]);
  assert.deepEqual(await ids(store), []);
});

test('a lost connection stops the run and keeps the rest in order, waiting again', async () => {
  const store = memoryStore();
  await fill(store, 3);
  const sent = [];
  await drainQueue(store, user, async (item) => {
    if (item.case_id === 2) throw Object.assign(new Error('offline'), { code: 'NETWORK_ERROR' });
    sent.push(item.case_id);
    return {};
  });
  assert.deepEqual(sent, [1]);
  const rest = await loadQueue(store, user);
  assert.deepEqual(rest.map((x) => x.case_id), [2, 3]);
  assert.deepEqual(rest.map((x) => x.status), ['waiting', 'waiting']);
  assert.equal(rest[0].error, 'offline');
});

test('a refusal drops that item, reports it and goes on with the next', async () => {
  const store = memoryStore();
  await fill(store, 3);
  const refused = [];
  const sent = [];
  await drainQueue(store, user, async (item) => {
    if (item.case_id === 1) throw Object.assign(new Error('stale'), { status: 409, code: 'CASE_VERSION_CONFLICT' });
    sent.push(item.case_id);
    return {};
  }, { onRefused: (item, err) => refused.push([item.case_id, err.code]) });
  assert.deepEqual(refused, [[1, 'CASE_VERSION_CONFLICT']]);
  assert.deepEqual(sent, [2, 3]);
  assert.deepEqual(await ids(store), []);
});

test('each user has a queue of their own', async () => {
  const store = memoryStore();
  await fill(store, 2);
  assert.equal((await loadQueue(store, { username: 'shenhe' })).length, 0);
  assert.equal((await loadQueue(store, user)).length, 2);
  await drainQueue(store, { username: 'shenhe' }, async () => assert.fail('not theirs to send'));
  assert.equal((await loadQueue(store, user)).length, 2);
});

test('an item is marked sending while it is on its way', async () => {
  const store = memoryStore();
  await fill(store, 1);
  let seen = null;
  await drainQueue(store, user, async () => { seen = (await loadQueue(store, user))[0].status; return {}; });
  assert.equal(seen, 'sending');
});

test('a photo sent before an action on the same case moves the action to the next version', async () => {
  const store = memoryStore();
  await enqueue(store, user, { kind: 'photo', case_id: 7, name: 'a.jpg' });
  await enqueue(store, user, { kind: 'photo', case_id: 8, name: 'b.jpg' });
  await enqueue(store, user, { kind: 'action', case_id: 7, action: 'verify', expected_version: 4 });
  const versions = [];
  await drainQueue(store, user, async (item) => {
    if (item.kind === 'action') versions.push(item.expected_version);
    return {};
  });
  assert.deepEqual(versions, [5], 'one accepted photo on case 7, none of case 8 counts');
});

test('a refused photo does not move the version', async () => {
  const store = memoryStore();
  await enqueue(store, user, { kind: 'photo', case_id: 7, name: 'a.jpg' });
  await enqueue(store, user, { kind: 'action', case_id: 7, action: 'verify', expected_version: 4 });
  const versions = [];
  await drainQueue(store, user, async (item) => {
    if (item.kind === 'photo') throw Object.assign(new Error('no'), { status: 422, code: 'PHOTO_REJECTED' });
    versions.push(item.expected_version);
    return {};
  });
  assert.deepEqual(versions, [4]);
});
