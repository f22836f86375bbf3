// The 绩效指标 dashboard's words and numbers, DOM-free: status chips, value and deviation text,
// the worst status of a row, the order of projects, the bureau's today.

import { fmt2 } from './labels.js';
import { t } from './messages.js';

/** Preferred order; projects the API lists beyond these follow in API order. */
const PROJECT_ORDER = ['mining_enforcement', 'land_change_survey', 'planning'];

/** status → [zh word, css class] */
export const STATUS = {
  met: ['dashboard-format.met', 'met'], behind: ['dashboard-format.behind', 'behind'], warn: ['dashboard-format.warning', 'warn'], none: ['dashboard-format.noNumericTarget', 'none'],
};

export const COLUMNS = ['dashboard-format.indicator', 'dashboard-format.target', 'dashboard-format.actual', 'dashboard-format.deviation', 'dashboard-format.quarterlyTrend', 'dashboard-format.reasonEvidence'];

export function sortProjects(projects) {
  const rank = (p) => {
    const i = PROJECT_ORDER.indexOf(p.id);
    return i === -1 ? PROJECT_ORDER.length : i;
  };
  return [...projects].sort((a, b) => rank(a) - rank(b));
}

/** Today in the bureau's calendar on the app's clock (clock.js), YYYY-MM-DD. */
export { localToday } from './clock.js';

export function numberText(v, unit) {
  if (v === null || v === undefined) return '—';
  if (unit === '%') return `${fmt2(v)}%`;
  if (unit === '元') return t('dashboard-format.yuan', { v: fmt2(v) });
  return `${Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}${unit ? ` ${unit}` : ''}`;
}

export function deviationText(v) {
  if (v.deviation === null || v.deviation === undefined) return null;
  const d = Number(v.deviation);
  const unit = v.unit === '%' ? t('dashboard-format.percentagePoints') : v.unit ? ` ${v.unit}` : '';
  return `${d > 0 ? '+' : ''}${Number.isInteger(d) ? d.toLocaleString('zh-CN') : fmt2(d)}${unit}`;
}

/** The row's status: the worst of its values' (warn, behind, met, none). */
export function worst(values) {
  const order = ['warn', 'behind', 'met', 'none'];
  return values.map((v) => v.status || 'none').sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] || 'none';
}
