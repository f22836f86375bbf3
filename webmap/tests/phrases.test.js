// phrases.js: the English layer's lookup.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { addPhrases, toEnglish } from '../static/phrases.js';

test('the longest phrase wins and Chinese punctuation reads as ASCII', () => {
  assert.equal(toEnglish('办理记录'), 'History');
  assert.equal(toEnglish('图斑详情'), '图斑 details');
  assert.equal(toEnglish('当前状态下没有可办理的操作。'), 'Nothing to do in this state.');
});

test('text without Chinese and unknown phrases stay as they are', () => {
  assert.equal(toEnglish('KS2019Q3-001'), 'KS2019Q3-001');
  assert.equal(toEnglish(''), '');
});

test('labels added from meta translate, the page\'s own words keep their English', () => {
  assert.equal(toEnglish('无证开采'), '无证开采');
  const added = addPhrases([['无证开采', 'mining without a licence'], ['办理记录', 'Something else']]);
  assert.equal(added, 1);
  assert.equal(toEnglish('原因：无证开采'), '原因: mining without a licence');
  assert.equal(toEnglish('办理记录'), 'History');
});
