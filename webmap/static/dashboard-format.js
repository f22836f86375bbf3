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

// A warning about farmland is the critical kind; the server words warnings in the page's language.
export const CRITICAL = /耕地|farmland/i;

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

// The API's count units are codes in the bureau's words (GET /api/indicators `unit`); the page
// says them from the catalogs. '%' and '元' have their own formats.
const UNIT_WORDS = {
  个: 'dashboard-format.unitPolygons',
  笔: 'dashboard-format.unitReceipts',
  处: 'dashboard-format.unitSites',
  起: 'dashboard-format.unitFindings',
};

/** A count unit in the language in use, for the number n (plural in English). */
export function unitWord(unit, n) {
  const id = UNIT_WORDS[unit];
  return id ? t(id, { n: Math.abs(Number(n)) }) : unit;
}

export function numberText(v, unit) {
  if (v === null || v === undefined) return '—';
  if (unit === '%') return `${fmt2(v)}%`;
  if (unit === '元') return t('dashboard-format.yuan', { v: fmt2(v) });
  return `${Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}${unit ? ` ${unitWord(unit, v)}` : ''}`;
}

export function deviationText(v) {
  if (v.deviation === null || v.deviation === undefined) return null;
  const d = Number(v.deviation);
  const unit = v.unit === '%' ? t('dashboard-format.percentagePoints') : v.unit ? ` ${unitWord(v.unit, d)}` : '';
  // Percentage points keep two decimals like the percentages they compare; counts are whole.
  const number = Number.isInteger(d) && v.unit !== '%' ? d.toLocaleString('zh-CN') : fmt2(d);
  return `${d > 0 ? '+' : ''}${number}${unit}`;
}

/** The row's status: the worst of its values' (warn, behind, met, none). */
export function worst(values) {
  const order = ['warn', 'behind', 'met', 'none'];
  return values.map((v) => v.status || 'none').sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] || 'none';
}
