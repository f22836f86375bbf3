// A metric's trend over the quarter ends, drawn as a small inline SVG (no chart library: the
// web map works offline and a line with four points needs none). The numbers are also given
// as text for screen readers and in each point's <title>.

import { unitWord } from './dashboard-format.js';
import { t } from './messages.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 168;
const H = 56;
const PAD = { left: 6, right: 6, top: 6, bottom: 16 };

function el(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

function shown(v, unit) {
  if (v === null || v === undefined) return '—';
  const n = Number(v);
  const text = Number.isInteger(n) ? n.toLocaleString('zh-CN') : n.toLocaleString('zh-CN', { maximumFractionDigits: 1 });
  return unit === '%' ? `${text}%` : `${text}${unit && unit !== '元' ? ` ${unitWord(unit, n)}` : unit === '元' ? t('dashboard-chart.yuan') : ''}`;
}

function quarterOf(p) {
  const m = /Q([1-4])$/.exec(p.period || '');
  return m ? `Q${m[1]}` : String(p.as_of || p.period || '').slice(5);
}

/**
 * trendChart({label, unit, points: [{period, as_of, value}]}, {target}) → a <figure>.
 * The target, when the row has one, is a dashed line.
 */
export function trendChart(series, { target = null } = {}) {
  const points = series.points || [];
  const values = points.map((p) => p.value).filter((v) => v !== null && v !== undefined).map(Number);
  const pool = [...values, ...(target === null || target === undefined ? [] : [Number(target)])];
  let lo = Math.min(0, ...pool);
  let hi = Math.max(...pool, series.unit === '%' ? 100 : 1);
  if (series.unit === '%') { lo = Math.min(lo, 0); hi = Math.max(hi, 100); }
  if (hi === lo) hi = lo + 1;
  const x = (i) => PAD.left + (points.length > 1 ? (i * (W - PAD.left - PAD.right)) / (points.length - 1) : (W - PAD.left - PAD.right) / 2);
  const y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const summary = t('dashboard-chart.trend', { label: series.label }) + points.map((p) => `${p.period} ${shown(p.value, series.unit)}`).join(t('dashboard-chart.sep'));
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'trend-svg', role: 'img',
    'aria-label': summary, focusable: 'false',
  });
  svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(lo), y2: y(lo), class: 'trend-axis' }));
  if (target !== null && target !== undefined) {
    svg.append(el('line', {
      x1: PAD.left, x2: W - PAD.right, y1: y(Number(target)), y2: y(Number(target)), class: 'trend-target',
    }, null));
  }
  // One polyline per run of known values: an unknown quarter is a gap, not a zero.
  let run = [];
  const flush = () => {
    if (run.length > 1) svg.append(el('polyline', { points: run.join(' '), class: 'trend-line' }));
    run = [];
  };
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) {
      flush();
      return;
    }
    run.push(`${x(i).toFixed(1)},${y(Number(p.value)).toFixed(1)}`);
  });
  flush();
  points.forEach((p, i) => {
    svg.append(el('text', { x: x(i), y: H - 3, class: 'trend-tick', 'text-anchor': 'middle' }, quarterOf(p)));
    if (p.value === null || p.value === undefined) return;
    const dot = el('circle', { cx: x(i), cy: y(Number(p.value)), r: 3, class: 'trend-dot' });
    dot.append(el('title', {}, t('dashboard-chart.as', { period: p.period, as_of: p.as_of, value: shown(p.value, series.unit) })));
    svg.append(dot);
  });
  const figure = document.createElement('figure');
  figure.className = 'trend';
  figure.setAttribute('data-testid', `trend-${series.metric}`);
  figure.dataset.points = String(values.length);
  figure.append(svg);
  const caption = document.createElement('figcaption');
  caption.className = 'visually-hidden';
  caption.textContent = summary;
  figure.append(caption);
  return figure;
}
