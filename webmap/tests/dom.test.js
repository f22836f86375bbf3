// dom.js: values from files and forms become text nodes and safe URLs, never markup.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { h, safeUrl } from '../static/dom.js';

// A minimal stand-in for the browser's document: records attributes and children.
class FakeNode {}
class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tag = tag;
    this.attributes = {};
    this.children = [];
  }
  setAttribute(name, value) { this.attributes[name] = value; }
  addEventListener() {}
  append(child) { this.children.push(child); }
  set innerHTML(_html) { throw new Error('innerHTML must not be used'); }
}
globalThis.Node = FakeNode;
globalThis.document = { createElement: (tag) => new FakeElement(tag) };

const HOSTILE = '<img src=x onerror=alert(1)>';

test('children from data are appended as text, not parsed as markup', () => {
  const el = h('div', { title: HOSTILE }, HOSTILE, 5, null);
  assert.deepEqual(el.children, [HOSTILE, '5']);
  assert.equal(el.attributes.title, HOSTILE); // setAttribute stores text, never markup
});

test('links and sources accept only http(s), blob, relative URLs and map apps', () => {
  for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)']) {
    assert.equal(safeUrl(bad), null, bad);
    assert.equal(h('a', { href: bad }).attributes.href, undefined, bad);
    assert.equal(h('img', { src: bad }).attributes.src, undefined, bad);
  }
  for (const good of ['https://t0.tianditu.gov.cn/x', 'http://intranet/tiles', 'blob:http://x/1',
    'api/photos/abc', '/api/cases/1/sheet', '#case=3', '?a=b:c', 'geo:39.8,118.1?q=39.8,118.1(x)',
    'amapuri://route/plan/?dlat=39.8', 'baidumap://map/direction?x=1', 'qqmap://map/routeplan?x=1']) {
    assert.equal(safeUrl(good), good, good);
    assert.equal(h('a', { href: good }).attributes.href, good, good);
  }
});
