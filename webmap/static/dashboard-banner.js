// The 绩效指标 dashboard's banner (live / as of a day / frozen snapshot, with what differs from
// the live values) and its warnings box.

import { h } from './dom.js';
import { formatDateTime } from './labels.js';

function diffList(diffs) {
  if (!diffs) return h('p', { class: 'muted' }, '与实时值的差异暂时无法加载。');
  if (!diffs.length) return h('p', { 'data-testid': 'dash-diffs', 'data-count': '0' }, '与当前实时值相比没有差异。');
  return h('details', { class: 'diffs', 'data-testid': 'dash-diffs', 'data-count': String(diffs.length), open: diffs.length <= 6 },
    h('summary', {}, `与当前实时值相比有 ${diffs.length} 处不同`),
    h('div', { class: 'table-scroll' }, h('table', { class: 'attr-table diff-table' },
      h('thead', {}, h('tr', {}, ['项目', '指标', '快照值', '实时值'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, diffs.map((d) => h('tr', { 'data-testid': 'dash-diff' },
        h('td', {}, d.project), h('td', {}, `第 ${d.row_no} 行 ${d.label}`), h('td', {}, d.frozen), h('td', {}, d.live)))))));
}

/** The banner for a result in the controls' scope; diffs: a snapshot's differences or null. */
export function banner(result, diffs, controls) {
  const s = controls.scope();
  const snap = s.snapshot ? controls.currentSnapshot() : null;
  const where = h('span', { class: 'banner-scope' }, `范围：${s.township ? controls.townshipName(s.township) : '全区'} · ${s.period ? `${s.period} 批次` : '全年'}。`);
  if (result.mode === 'frozen' && snap) {
    return h('div', { class: 'dash-banner frozen', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'frozen' },
      h('p', {}, h('strong', { class: 'banner-mode' }, '冻结快照'),
        `“${snap.label}”：截至 ${snap.as_of} 冻结的数值，由 ${snap.taken_by} 于 ${formatDateTime(snap.taken_at)} 冻结，不随之后的办理改变。`),
      diffList(diffs));
  }
  if (s.as_of) {
    return h('div', { class: 'dash-banner as-of', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'as_of' },
      h('p', {}, h('strong', { class: 'banner-mode' }, `截至 ${result.as_of}`),
        `：按办理记录回溯的当日结束时的数值（纳入图斑 ${result.case_count} 个）。`, where));
  }
  return h('div', { class: 'dash-banner live', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'live' },
    h('p', {}, h('strong', { class: 'banner-mode' }, '实时'),
      `：数值随办理即时更新，计算于 ${formatDateTime(result.computed_at)}（纳入图斑 ${result.case_count} 个）。`, where));
}

export function warningsBox(warnings) {
  if (!warnings || !warnings.length) return null;
  return h('div', { class: 'dash-warnings', role: 'alert', 'data-testid': 'dash-warnings' },
    h('strong', {}, '预警'),
    h('ul', {}, warnings.map((w) => h('li', { class: /耕地/.test(w) ? 'critical' : '' },
      h('span', { 'aria-hidden': 'true' }, '⚠ '), w))));
}
