// The 绩效指标 dashboard's words and numbers, DOM-free: status chips, value and deviation text,
// the worst status of a row, the order of projects, the bureau's today.

import { fmt2 } from './labels.js';

/** Preferred order; projects the API lists beyond these follow in API order. */
const PROJECT_ORDER = ['mining_enforcement', 'land_change_survey', 'planning'];

/** status → [zh word, css class] */
export const STATUS = {
  met: ['达标', 'met'], behind: ['未达标', 'behind'], warn: ['预警', 'warn'], none: ['无数值目标', 'none'],
};

export const COLUMNS = ['指标', '指标值（目标）', '实际完成值', '偏差', '季度趋势', '偏差原因与证明材料'];

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
  if (unit === '元') return `${fmt2(v)} 元`;
  return `${Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}${unit ? ` ${unit}` : ''}`;
}

export function deviationText(v) {
  if (v.deviation === null || v.deviation === undefined) return null;
  const d = Number(v.deviation);
  const unit = v.unit === '%' ? ' 个百分点' : v.unit ? ` ${v.unit}` : '';
  return `${d > 0 ? '+' : ''}${Number.isInteger(d) ? d.toLocaleString('zh-CN') : fmt2(d)}${unit}`;
}

/** The row's status: the worst of its values' (warn, behind, met, none). */
export function worst(values) {
  const order = ['warn', 'behind', 'met', 'none'];
  return values.map((v) => v.status || 'none').sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] || 'none';
}
