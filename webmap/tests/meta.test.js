// meta.js: the vocabulary's lookups and its cache by version (GET /api/meta).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { beforeEach, test } from 'node:test';

import {
  actionLabel, fieldsFor, guards, isFinal, landClassText, loadMeta, payloadValue, reasonLabel, reasonsFor,
  rolesFor, setMeta, stateLabel, statesFor, statesWith, targetOf,
} from '../static/meta.js';
import { useLanguage } from '../static/messages.js';

const META = JSON.parse(readFileSync(new URL('./fixtures/meta.json', import.meta.url), 'utf8'));

/** A localStorage stand-in. */
function memoryStorage() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  };
}

function response(status, body) {
  return { status, ok: status >= 200 && status < 300, json: async () => body };
}

beforeEach(() => setMeta(META));

test('labels come from the vocabulary, unknown codes stay visible', () => {
  assert.equal(stateLabel('issued'), '已下发');
  assert.equal(stateLabel('issued', '服务器的标签'), '服务器的标签');
  assert.equal(stateLabel('no_such_state'), 'no_such_state');
  assert.equal(reasonLabel('unlicensed_mining'), '无证开采');
  assert.equal(actionLabel('verify'), '核查');
});

test('workflow lookups: states in order, finals, where an action may be taken', () => {
  assert.deepEqual(statesFor('change_survey'), META.workflows.change_survey.states);
  assert.equal(statesFor('mining')[0], 'issued');
  assert.ok(statesFor('').includes('evidence_collected') && statesFor('').includes('rework'));
  assert.ok(isFinal('closed') && isFinal('passed') && !isFinal('issued'));
  assert.deepEqual(statesWith('file', 'mining'), ['approved']);
  assert.equal(targetOf('return_verification'), 'rework');
  assert.deepEqual(rolesFor('file'), ['enforcer']);
  assert.equal(guards().min_evidence_photos, META.guards.min_evidence_photos);
});

test('reasons per judgment and form fields per action', () => {
  assert.ok(reasonsFor('illegal').some(([code, label]) => code === 'unlicensed_mining' && label === '无证开采'));
  assert.deepEqual(reasonsFor('nothing'), []);
  const names = fieldsFor('verify').map((f) => f.name);
  assert.ok(names.includes('judgment') && !names.includes('illegal_geometry'), 'only the fields a person fills in');
});

test('the event history shows labels, never raw codes', () => {
  assert.equal(payloadValue('reason', 'unlicensed_mining'), '无证开采');
  assert.equal(payloadValue('reason', '现场复核后退回'), '现场复核后退回', 'free text stays as written');
  assert.equal(payloadValue('judgment', 'illegal'), '违法');
  assert.equal(payloadValue('flags', ['no_time']), '照片没有拍摄时间');
  assert.equal(payloadValue('fine_yuan', 1234.5), '1,234.50');
  assert.equal(payloadValue('note', ''), '—');
});

test("labels follow the language in use; the API's zh state_label gives way to English", () => {
  setMeta(META);
  try {
    useLanguage('en');
    assert.equal(reasonLabel('unlicensed_mining'), 'mining without a licence');
    assert.equal(stateLabel('approved', '审核通过'), 'Approved');
    assert.equal(actionLabel('verify'), 'Verify');
    assert.equal(landClassText('0103'), '0103 dry land');
    assert.equal(payloadValue('land_class_after', '0602'), '0602 mining land');
    assert.equal(fieldsFor('verify')[0].label, 'Judgment');
  } finally {
    useLanguage('zh-CN');
  }
  assert.equal(stateLabel('approved', '审核通过'), '审核通过');
  assert.equal(landClassText('0103'), '0103 旱地');
  assert.equal(landClassText('9999'), '9999', 'an unknown code stays a code');
});

test('loadMeta keeps the vocabulary by version and revalidates it', async () => {
  const storage = memoryStorage();
  const calls = [];
  const fetchFn = async (url, { headers }) => {
    calls.push(headers['If-None-Match'] || null);
    return calls.length === 1 ? response(200, META) : response(304, null);
  };
  setMeta(null);
  assert.equal((await loadMeta({ fetchFn, storage })).source, 'network');
  setMeta(null);
  const again = await loadMeta({ fetchFn, storage });
  assert.equal(again.source, 'cache');
  assert.deepEqual(calls, [null, `"${META.version}"`]);
  assert.equal(stateLabel('issued'), '已下发');
});

test('offline, the last vocabulary seen is used; without one, codes show as they are', async () => {
  const storage = memoryStorage();
  await loadMeta({ fetchFn: async () => response(200, META), storage });
  const offline = async () => { throw new TypeError('Failed to fetch'); };
  setMeta(null);
  const r = await loadMeta({ fetchFn: offline, storage });
  assert.equal(r.source, 'cache');
  assert.equal(reasonLabel('unlicensed_mining'), '无证开采');
  const none = await loadMeta({ fetchFn: offline, storage: memoryStorage() });
  assert.equal(none.source, 'none');
  assert.equal(reasonLabel('unlicensed_mining'), 'unlicensed_mining');
});

test('a connection that hangs gives up after the timeout and uses the cached copy', async () => {
  const storage = memoryStorage();
  await loadMeta({ fetchFn: async () => response(200, META), storage });
  const hanging = (url, { signal }) => new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  setMeta(null);
  const r = await loadMeta({ fetchFn: hanging, storage, timeoutMs: 20 });
  assert.equal(r.source, 'cache');
  assert.equal(stateLabel('closed'), '已结案');
});

test('an answer that is not a vocabulary is not kept', async () => {
  const storage = memoryStorage();
  const r = await loadMeta({ fetchFn: async () => response(200, { hello: 'world' }), storage });
  assert.equal(r.source, 'none');
  assert.equal(storage.getItem('tuban.meta'), null);
});

test('patrol lists: violations and sources by their labels; moments in Beijing time in the history', async () => {
  const { sourceLabel, violationLabel, violations } = await import('../static/meta.js');
  assert.equal(violationLabel('illegal_mining'), META.patrol.violations.find((v) => v.code === 'illegal_mining').label);
  assert.equal(violationLabel('no_such'), 'no_such', 'an unknown code stays visible');
  assert.deepEqual(violations().filter((v) => v.mining).map((v) => v.code),
    META.patrol.violations.filter((v) => v.mining).map((v) => v.code));
  assert.equal(sourceLabel('hotline_12336'), META.patrol.sources.find((s) => s.code === 'hotline_12336').label);
  assert.equal(payloadValue('violation', 'farmland_damage'), violationLabel('farmland_damage'));
  assert.equal(payloadValue('served_at', '2019-06-03T13:05:00Z'), '2019-06-03 21:05');
  assert.equal(payloadValue('order_no', '丰国土资责停〔2019〕12号'), '丰国土资责停〔2019〕12号');
});
