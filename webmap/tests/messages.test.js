// messages.js: t(), its ICU-like parameters and plurals, and the two catalogs side by side.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CATALOGS, format, language, loadCatalog, onLanguageChange, parameters, t, useLanguage,
} from '../static/messages.js';

await loadCatalog('en');

const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;

test('t() fills parameters in the language in use and tells listeners of a switch', () => {
  const seen = [];
  const stop = onLanguageChange((lang) => seen.push(lang));
  try {
    assert.equal(t('tasks.overduePolygonsAcrossCounty', { n: 3 }), CATALOGS['zh-CN']['tasks.overduePolygonsAcrossCounty'].replace('{n}', '3'));
    useLanguage('en');
    assert.equal(language(), 'en');
    assert.equal(t('panel-photos.photoCount', { length: 2 }), 'Photos (2)');
  } finally {
    useLanguage('zh-CN');
    stop();
  }
  assert.deepEqual(seen, ['en', 'zh-CN']);
  assert.equal(t('panel-photos.photoCount', { length: 2 }), '照片（2 张）');
});

test('plurals choose by the number, =N first, # is the number', () => {
  const msg = '{n, plural, =0 {no photos} one {# photo} other {# photos}} of {who}';
  assert.equal(format(msg, { n: 0, who: 'A' }, 'en'), 'no photos of A');
  assert.equal(format(msg, { n: 1, who: 'A' }, 'en'), '1 photo of A');
  assert.equal(format(msg, { n: 1200, who: 'A' }, 'en'), '1,200 photos of A');
  assert.deepEqual([...parameters(msg)].sort(), ['n', 'who']);
});

test('a missing parameter shows as {name}; an unknown id shows as the id', () => {
  assert.equal(format('图斑 {code}', {}, 'zh-CN'), '图斑 {code}');
  assert.equal(t('no.such.message'), 'no.such.message');
});

test('both catalogs hold the same ids with the same parameters', () => {
  const zh = CATALOGS['zh-CN'];
  const en = CATALOGS.en;
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
  for (const id of Object.keys(zh)) {
    assert.deepEqual([...parameters(en[id])].sort(), [...parameters(zh[id])].sort(), id);
  }
});

test('the English catalog holds no Chinese', () => {
  const found = Object.entries(CATALOGS.en).filter(([, text]) => CJK.test(text));
  assert.deepEqual(found, []);
});
