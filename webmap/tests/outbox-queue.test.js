// outbox-queue.js: offline actions and photos are sent in the order they were taken.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { memoryStore } from '../static/offline-db.js';
import { drainQueue, enqueue, loadQueue, sendFinding } from '../static/outbox-queue.js';

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

// --- a finding (巡查发现): posted, then its photos uploaded to the case it made -------------------

const offline = () => Object.assign(new Error('offline'), { code: 'NETWORK_ERROR', status: 0 });

/** A server stand-in: findings by client_ref (a resend answers the same case), photos per case. */
function fakeServer() {
  const server = { posts: [], photos: [], cases: new Map(), fail: null };
  server.api = {
    postFinding: async (path, body) => {
      if (server.fail === 'post') throw offline();
      server.posts.push([path, body.client_ref]);
      const existing = server.cases.get(body.client_ref);
      if (existing) return { ...existing, existing: true };
      const made = { case_id: 100 + server.cases.size, code: `XC2019-000${server.cases.size + 1}`, batch_id: 9, existing: false };
      server.cases.set(body.client_ref, made);
      return made;
    },
    uploadPhoto: async (caseId, photo) => {
      if (server.fail === photo.name) throw offline();
      if (photo.name === 'not-a-photo.txt') throw Object.assign(new Error('不是照片'), { status: 422, code: 'PHOTO_REJECTED' });
      server.photos.push([caseId, photo.name]);
      return { id: server.photos.length };
    },
  };
  return server;
}

function finding(photos, ref = 'ref-1') {
  return {
    kind: 'finding', path: 'findings', case_id: null, code: null,
    body: { violation: 'illegal_mining', geometry: { type: 'Point', coordinates: [118.1, 39.8] }, client_ref: ref },
    photos: photos.map((name) => ({ name, type: 'image/jpeg', size: 3, blob: name })),
  };
}

const sendWith = (server) => (item, save) => sendFinding(item, server.api, save);

test('a finding is posted, then its photos go to the case it made, in order', async () => {
  const store = memoryStore();
  const server = fakeServer();
  await enqueue(store, user, finding(['a.jpg', 'b.jpg']));
  const sent = [];
  await drainQueue(store, user, sendWith(server), { onSent: (item, result) => sent.push(result) });
  assert.deepEqual(server.posts, [['findings', 'ref-1']]);
  assert.deepEqual(server.photos, [[100, 'a.jpg'], [100, 'b.jpg']]);
  assert.equal(sent[0].case_id, 100);
  assert.equal(sent[0].code, 'XC2019-0001');
  assert.deepEqual(sent[0].photo_errors, []);
  assert.deepEqual(await ids(store), []);
});

test('a lost connection between the photos resumes with the next photo, never posting twice', async () => {
  const store = memoryStore();
  const server = fakeServer();
  await enqueue(store, user, finding(['a.jpg', 'b.jpg', 'c.jpg']));
  server.fail = 'b.jpg';
  await drainQueue(store, user, sendWith(server));
  const [kept] = await loadQueue(store, user);
  assert.equal(kept.status, 'waiting');
  assert.equal(kept.case_id, 100, 'the case it made is kept with the item');
  assert.equal(kept.code, 'XC2019-0001');
  assert.deepEqual(kept.photos.map((p) => p.name), ['b.jpg', 'c.jpg']);
  // Reloaded and back online: the same stored item goes on from b.jpg.
  server.fail = null;
  await drainQueue(store, user, sendWith(server));
  assert.deepEqual(server.posts.length, 1);
  assert.deepEqual(server.photos.map(([, n]) => n), ['a.jpg', 'b.jpg', 'c.jpg']);
  assert.ok(server.photos.every(([id]) => id === 100));
  assert.deepEqual(await ids(store), []);
});

test('offline before the post: the whole finding waits; a resend answers the same case', async () => {
  const store = memoryStore();
  const server = fakeServer();
  await enqueue(store, user, finding(['a.jpg']));
  server.fail = 'post';
  await drainQueue(store, user, sendWith(server));
  const [kept] = await loadQueue(store, user);
  assert.equal(kept.case_id, null);
  assert.equal(kept.photos.length, 1);
  // The answer was lost on the way back once: the server made the case, the phone never heard.
  server.fail = null;
  await server.api.postFinding('findings', kept.body);
  const sent = [];
  await drainQueue(store, user, sendWith(server), { onSent: (item, result) => sent.push(result) });
  assert.equal(server.cases.size, 1, 'the client_ref keeps it one case');
  assert.equal(sent[0].existing, true);
  assert.deepEqual(server.photos, [[100, 'a.jpg']]);
});

test('a photo the server refuses is set aside; the others and the finding still go', async () => {
  const store = memoryStore();
  const server = fakeServer();
  await enqueue(store, user, finding(['a.jpg', 'not-a-photo.txt', 'c.jpg']));
  const sent = [];
  const refused = [];
  await drainQueue(store, user, sendWith(server), {
    onSent: (item, result) => sent.push(result), onRefused: (item) => refused.push(item),
  });
  assert.deepEqual(refused, []);
  assert.deepEqual(server.photos.map(([, n]) => n), ['a.jpg', 'c.jpg']);
  assert.deepEqual(sent[0].photo_errors.map((e) => [e.name, e.code]), [['not-a-photo.txt', 'PHOTO_REJECTED']]);
});

test('a refused finding (422) leaves the queue and is handed back; the next item goes on', async () => {
  const store = memoryStore();
  const server = fakeServer();
  server.api.postFinding = async () => { throw Object.assign(new Error('违法类型应为以下之一'), { status: 422, code: 'INVALID_PAYLOAD' }); };
  await enqueue(store, user, finding([]));
  await enqueue(store, user, { kind: 'action', case_id: 5, action: 'stop', payload: {}, expected_version: 2 });
  const refused = [];
  const sent = [];
  await drainQueue(store, user, async (item, save) => (item.kind === 'finding' ? sendFinding(item, server.api, save) : sent.push(item.case_id)), {
    onRefused: (item, err) => refused.push([item.kind, err.code]),
  });
  assert.deepEqual(refused, [['finding', 'INVALID_PAYLOAD']]);
  assert.deepEqual(sent, [5]);
});
