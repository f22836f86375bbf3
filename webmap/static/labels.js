// Presentation only: state colours, number/area/date formatting, reference-layer styles, the
// attribute-field names of source files and the words for issuance reasons. The workflow's own
// words (states, actions, roles, reasons, payload fields) come from GET /api/meta (meta.js).

/** One distinct fill colour per state. Red is kept for the 违法 outline only. */
export const STATE_COLOURS = {
  issued: '#edc948',
  verified: '#4e79a7',
  approved: '#1f3b73',
  rework: '#bcbd22',
  filed: '#b07aa1',
  penalised: '#f28e2b',
  rectified: '#59a14f',
  closed: '#9e9e9e',
  evidence_collected: '#76b7b2',
  submitted: '#9c6b4e',
  passed: '#1b7837',
  returned: '#ff9da7',
};
export const UNKNOWN_STATE_COLOUR = '#ffffff';
export const ILLEGAL_OUTLINE = '#d7191c';
/** Outline of a 图斑 past its batch's due date and not finished. */
export const OVERDUE_OUTLINE = '#c51b7d';

/** Common source-field names (三调 / 卫片 layers); unknown fields are shown as-is. */
export const ATTRIBUTE_LABELS = {
  TBBH: '图斑编号',
  XZQDM: '行政区代码',
  XZQMC: '行政区名称',
  DLBM: '地类编码',
  DLMC: '地类名称',
  ZLDWDM: '坐落单位代码',
  ZLDWMC: '坐落单位名称',
  TBMJ: '图斑面积',
  JCMJ: '监测面积',
  QSX: '前时相',
  HSX: '后时相',
  QSXDL: '前时相地类',
  HSXDL: '后时相地类',
  BHLX: '变化类型',
  KCZL: '矿产种类',
  BZ: '备注',
};

export const M2_PER_MU = 10000 / 15;

const number2 = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "1,234.56" — always two decimals; '—' for missing values. */
export function fmt2(value) {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? number2.format(n) : '—';
}

/** "12,345.67 m²（18.52 亩）" */
export function formatArea(areaM2, areaMu) {
  const mu = areaMu ?? (typeof areaM2 === 'number' ? areaM2 / M2_PER_MU : null);
  return `${fmt2(areaM2)} m²（${fmt2(mu)} 亩）`;
}

export function formatDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('zh-CN', { hour12: false });
}
/** "1,234.56 元" */
export function formatYuan(value) {
  return `${fmt2(value)} 元`;
}

/** "2019-11-05" from an ISO date or date-time (local calendar day), '—' when missing. */
export function formatDate(iso) {
  if (!iso) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(iso))) return String(iso);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function colourFor(state) {
  return STATE_COLOURS[state] || UNKNOWN_STATE_COLOUR;
}

/** A darker shade of a #rrggbb colour, for outlines that still read as the state's colour. */
export function darken(hex, amount = 0.4) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  const ch = (shift) => Math.round(((n >> shift) & 255) * (1 - amount));
  return '#' + [16, 8, 0].map((s) => ch(s).toString(16).padStart(2, '0')).join('');
}

// --- 自动预判、下发记录、参考图层 -----------------------------------------------------------

/** Phrases in hint_notes that call for attention; they are shown in the warning colour. */
export const HINT_WARN_PATTERN = /(越界|无证|批少占多|超出辖区|占用永久基本农田)/;

/** GET /api/cases/{id} → issuances[].reason */
export function issuanceReasonLabel(reason, iou) {
  switch (reason) {
    case 'first': return '首次下发';
    case 'reissue_same_code': return '重复下发（同编号）';
    case 'reissue_overlap':
      return typeof iou === 'number' && Number.isFinite(iou)
        ? `重复下发（图形重叠 IoU ${iou.toFixed(2)}）` : '重复下发（图形重叠）';
    case 'in_file_duplicate': return '文件内重复';
    default: return reason || '—';
  }
}

/** Outline of a 图斑 that was issued again (features with reissue_of_batch). */
export const REISSUE_DASH = '6 4';

/**
 * Reference layer kinds (docs/api.md): zh label, outline style, and the smallest zoom at
 * which the layer is fetched (below it the features are too small and too many to be useful).
 * Reference layers are outlines only, drawn above the 图斑 so a boundary crossing shows.
 * ``defaultOn``: drawn until the user switches it off (township and village boundaries: where
 * am I, with no basemap and no network); ``labelZoom``: names written on the map from there.
 */
export const REF_KINDS = {
  township: {
    label: '乡镇界', minZoom: 0, defaultOn: true, labelZoom: 10,
    style: { color: '#4d4d4d', weight: 3, opacity: 0.9, fill: false },
  },
  village: {
    label: '村界', minZoom: 12, defaultOn: true, labelZoom: 14,
    style: { color: '#8c8c8c', weight: 1, opacity: 0.9, fill: false },
  },
  farmland: {
    label: '永久基本农田', minZoom: 13,
    style: { color: '#1a9641', weight: 1.8, opacity: 0.95, fill: false },
  },
  mining_permit: {
    label: '采矿权', minZoom: 11,
    style: { color: '#7b3294', weight: 2.2, opacity: 0.95, dashArray: '8 5', fill: false },
  },
  approval: {
    label: '用地审批/供地', minZoom: 13,
    style: { color: '#2166ac', weight: 1.8, opacity: 0.95, fill: false },
  },
  facility_farmland: {
    label: '设施农用地', minZoom: 13,
    style: { color: '#a6611a', weight: 1.6, opacity: 0.95, dashArray: '2 4', fill: false },
  },
};
export const REF_KIND_ORDER = Object.keys(REF_KINDS);
const REF_FALLBACK = { label: '参考图层', minZoom: 13, style: { color: '#555555', weight: 1.5, opacity: 0.9, fill: false } };

export function refKind(kind) {
  return REF_KINDS[kind] || REF_FALLBACK;
}
