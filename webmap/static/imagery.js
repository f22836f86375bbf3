// 前后时相影像: before/after imagery of a 图斑, side by side in the case panel, when its batch
// carries it. Two ways (docs/guide/admin.md):
//  - per 图斑, attribute fields naming an image chip: 前时相影像 / 后时相影像 (or QSXYX / HSXYX,
//    before_image / after_image); an http(s) URL is used as is, a relative path is a file under
//    the server's TUBAN_CHIPS_DIR, served at api/chips/<path>;
//  - per batch period, XYZ tile templates in TUBAN_IMAGERY_TILES ({"2019Q3": {"before": …,
//    "after": …}}): two small maps on the 图斑.
// Also the link to the printable 单案卡片 (GET /api/cases/{id}/sheet).
// Test hooks: data-testid="case-imagery" (data-source = chips|tiles), "imagery-before",
// "imagery-after", "case-sheet-link".

import { h } from './dom.js';
import { t } from './messages.js';

const L = window.L;

const BEFORE_KEYS = ['前时相影像', 'qsxyx', 'qsx_url', 'before_image', 'before_img'];
const AFTER_KEYS = ['后时相影像', 'hsxyx', 'hsx_url', 'after_image', 'after_img'];

function pick(attributes, keys) {
  for (const [k, v] of Object.entries(attributes || {})) {
    if (keys.includes(k.toLowerCase()) && typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

function chipSrc(value, chipUrl) {
  if (/^(https?:|data:)/i.test(value)) return value;
  return chipUrl(value.replace(/^\/+/, ''));
}

function figure(which, label, content) {
  return h('figure', { 'data-testid': `imagery-${which}` }, content, h('figcaption', {}, label));
}

function miniMap(el, template, bounds) {
  const m = L.map(el, { attributionControl: false, zoomControl: false, dragging: true, scrollWheelZoom: false });
  L.tileLayer(template, { maxZoom: 20, maxNativeZoom: 18 }).addTo(m);
  if (bounds) {
    m.fitBounds(bounds, { padding: [10, 10], maxZoom: 18 });
    L.rectangle(bounds, { color: '#d7191c', weight: 2, fill: false, interactive: false }).addTo(m);
  }
  return m;
}

/**
 * imagerySection(c, {batch, tiles, chipUrl(path), sheetUrl, bounds()}) → elements for the panel.
 */
export function imagerySection(c, { batch, tiles = {}, chipUrl, sheetUrl, bounds = () => null }) {
  const attrs = c.attributes || {};
  const before = pick(attrs, BEFORE_KEYS);
  const after = pick(attrs, AFTER_KEYS);
  const periodTiles = batch && tiles[batch.period];
  const qsx = attrs.QSX || attrs.qsx || '';
  const hsx = attrs.HSX || attrs.hsx || '';
  let section = null;
  if (before || after) {
    const img = (which, value, label) => figure(which, label, value
      ? h('img', { src: chipSrc(value, chipUrl), alt: t('imagery.imagery', { label }), loading: 'lazy' })
      : h('p', { class: 'muted' }, t('imagery.noImagery')));
    section = h('section', { class: 'panel-section', 'aria-labelledby': 'sec-imagery', 'data-testid': 'case-imagery', 'data-source': 'chips' },
      h('h3', { id: 'sec-imagery' }, t('imagery.beforeAfterImagery')),
      h('div', { class: 'imagery' },
        img('before', before, t('imagery.before', { value: qsx ? ` ${qsx}` : '' })),
        img('after', after, t('imagery.after', { value: hsx ? ` ${hsx}` : '' }))));
  } else if (periodTiles && (periodTiles.before || periodTiles.after)) {
    const boxes = {};
    const cell = (which, label) => {
      boxes[which] = h('div', { class: 'imagery-map', role: 'img', 'aria-label': t('imagery.imagery', { label }) });
      return figure(which, label, boxes[which]);
    };
    section = h('section', { class: 'panel-section', 'aria-labelledby': 'sec-imagery', 'data-testid': 'case-imagery', 'data-source': 'tiles' },
      h('h3', { id: 'sec-imagery' }, t('imagery.beforeAfterImagery')),
      h('div', { class: 'imagery' }, cell('before', t('imagery.before2')), cell('after', t('imagery.after2'))));
    // The maps need their boxes in the page (and sized) first.
    requestAnimationFrame(() => {
      for (const which of ['before', 'after']) {
        if (periodTiles[which] && boxes[which].isConnected) miniMap(boxes[which], periodTiles[which], bounds());
      }
    });
  }
  const sheet = sheetUrl
    ? h('p', { class: 'sheet-link' }, h('a', {
      href: sheetUrl, target: '_blank', rel: 'noopener', 'data-testid': 'case-sheet-link',
    }, t('imagery.caseSheetPrintable'), h('span', { class: 'visually-hidden' }, t('imagery.opensNewTab'))))
    : null;
  return [section, sheet];
}
