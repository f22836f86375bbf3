// tile-layer.js: how an overview cell (layer "overview" of a dense tile) is sized and labelled.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cellLabel, cellRadius } from '../static/tile-layer.js';

test('a cell grows with its count and stays inside its 32 px cell', () => {
  const radii = [1, 10, 100, 1000, 100000].map(cellRadius);
  for (let i = 1; i < radii.length; i += 1) assert.ok(radii[i] >= radii[i - 1]);
  assert.ok(radii[0] >= 8 && radii.at(-1) <= 15);
  assert.equal(cellRadius(undefined), cellRadius(1));
});

test('the label is the count, shortened in 万 from ten thousand', () => {
  assert.equal(cellLabel(7), '7');
  assert.equal(cellLabel(9999), '9999');
  assert.equal(cellLabel(31322), '3.1万');
  assert.equal(cellLabel(Number.NaN), '');
});
