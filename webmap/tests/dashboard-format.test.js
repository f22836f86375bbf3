// dashboard-format.js and bbox.js: the dashboard's number words and the view's box maths.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { contains, geometryBox, grow, intersects } from '../static/bbox.js';
import { deviationText, numberText, sortProjects, unitWord, worst } from '../static/dashboard-format.js';
import { loadCatalog, useLanguage } from '../static/messages.js';

await loadCatalog('en');

test('values and deviations in words', () => {
  assert.equal(numberText(null, '%'), '—');
  assert.equal(numberText(87.5, '%'), '87.50%');
  assert.equal(numberText(1200, '元'), '1,200.00 元');
  assert.equal(deviationText({ deviation: 2.5, unit: '%' }), '+2.50 个百分点');
  assert.equal(deviationText({ deviation: -70, unit: '%' }), '-70.00 个百分点');
  assert.equal(deviationText({ deviation: -3, unit: '个' }), '-3 个');
  assert.equal(deviationText({ deviation: null }), null);
});

test('count units are codes said in the language in use, plural in English', () => {
  try {
    useLanguage('en');
    assert.equal(numberText(1, '处'), '1 site');
    assert.equal(numberText(21, '处'), '21 sites');
    assert.equal(deviationText({ deviation: -1, unit: '个' }), '-1 polygon');
    assert.equal(deviationText({ deviation: 5, unit: '笔' }), '+5 receipts');
    assert.equal(numberText(1, '起'), '1 finding', 'patrol findings (动态巡查)');
    assert.equal(numberText(12, '起'), '12 findings');
    assert.equal(unitWord('亩', 3), '亩', 'an unknown unit is shown as it is');
  } finally {
    useLanguage('zh-CN');
  }
  assert.equal(numberText(21, '处'), '21 处');
  assert.equal(unitWord('笔', 2), '笔');
  assert.equal(numberText(12, '起'), '12 起');
});

test('a row shows its worst status; known projects come first', () => {
  assert.equal(worst([{ status: 'met' }, { status: 'warn' }, {}]), 'warn');
  assert.equal(worst([]), 'none');
  const ids = sortProjects([{ id: 'x' }, { id: 'planning' }, { id: 'mining_enforcement' }]).map((p) => p.id);
  assert.deepEqual(ids, ['mining_enforcement', 'planning', 'x']);
});

test('the fetched box is the view grown outward and covers it', () => {
  const view = [118.1, 39.8, 118.2, 39.9];
  const box = grow(view, 0.25);
  assert.ok(contains(box, view));
  assert.ok(!contains(view, box));
  assert.deepEqual(grow(view, 0.25), box, 'the same view gives the same URL');
});

test('boxes meet at an edge; the box of a geometry covers every ring and part', () => {
  assert.ok(intersects([0, 0, 1, 1], [1, 1, 2, 2]));
  assert.ok(!intersects([0, 0, 1, 1], [1.5, 0, 2, 1]));
  const multi = { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 2], [0, 0]]], [[[5, -1], [6, -1], [6, 0], [5, -1]]]] };
  assert.deepEqual(geometryBox(multi), [0, -1, 6, 2]);
  assert.deepEqual(geometryBox(null), [Infinity, Infinity, -Infinity, -Infinity]);
});
