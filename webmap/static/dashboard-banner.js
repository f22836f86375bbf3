// The 绩效指标 dashboard's banner (live / as of a day / frozen snapshot, with what differs from
// the live values) and its warnings box.

import { CRITICAL } from './dashboard-format.js';
import { h } from './dom.js';
import { formatDateTime } from './labels.js';
import { t } from './messages.js';

function diffList(diffs) {
  if (!diffs) return h('p', { class: 'muted' }, t('dashboard-banner.differencesFromLiveValues'));
  if (!diffs.length) return h('p', { 'data-testid': 'dash-diffs', 'data-count': '0' }, t('dashboard-banner.noDifferencesFromLive'));
  return h('details', { class: 'diffs', 'data-testid': 'dash-diffs', 'data-count': String(diffs.length), open: diffs.length <= 6 },
    h('summary', {}, t('dashboard-banner.differsFromLiveValues', { length: diffs.length })),
    h('div', { class: 'table-scroll' }, h('table', { class: 'attr-table diff-table' },
      h('thead', {}, h('tr', {}, [t('dashboard-banner.programme'), t('dashboard-banner.indicator'), t('dashboard-banner.snapshotValue'), t('dashboard-banner.liveValue')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, diffs.map((d) => h('tr', { 'data-testid': 'dash-diff' },
        h('td', {}, d.project), h('td', {}, t('dashboard-banner.row', { row_no: d.row_no, label: d.label })), h('td', {}, d.frozen), h('td', {}, d.live)))))));
}

/** The banner for a result in the controls' scope; diffs: a snapshot's differences or null. */
export function banner(result, diffs, controls) {
  const s = controls.scope();
  const snap = s.snapshot ? controls.currentSnapshot() : null;
  const where = h('span', { class: 'banner-scope' }, t('dashboard-banner.scope', { value: s.township ? controls.townshipName(s.township) : t('dashboard-banner.wholeDistrict'), value2: s.period ? t('dashboard-banner.batch', { period: s.period }) : t('dashboard-banner.wholeYear') }));
  if (result.mode === 'frozen' && snap) {
    return h('div', { class: 'dash-banner frozen', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'frozen' },
      h('p', {}, h('strong', { class: 'banner-mode' }, t('dashboard-banner.frozenSnapshot')),
        t('dashboard-banner.valuesFrozenAsBy', { label: snap.label, as_of: snap.as_of, taken_by: snap.taken_by, taken_at: formatDateTime(snap.taken_at) })),
      diffList(diffs));
  }
  if (s.as_of) {
    return h('div', { class: 'dash-banner as-of', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'as_of' },
      h('p', {}, h('strong', { class: 'banner-mode' }, t('dashboard-banner.as', { as_of: result.as_of })),
        t('dashboard-banner.valuesAtEndThat', { case_count: result.case_count }), where));
  }
  return h('div', { class: 'dash-banner live', role: 'status', 'data-testid': 'dash-banner', 'data-mode': 'live' },
    h('p', {}, h('strong', { class: 'banner-mode' }, t('dashboard-banner.live')),
      t('dashboard-banner.valuesFollowCaseWork', { computed_at: formatDateTime(result.computed_at), case_count: result.case_count }), where));
}

export function warningsBox(warnings) {
  if (!warnings || !warnings.length) return null;
  return h('div', { class: 'dash-warnings', role: 'alert', 'data-testid': 'dash-warnings' },
    h('strong', {}, t('dashboard-banner.warning')),
    h('ul', {}, warnings.map((w) => h('li', { class: CRITICAL.test(w) ? 'critical' : '' },
      h('span', { 'aria-hidden': 'true' }, '⚠ '), w))));
}
