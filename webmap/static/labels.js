// Presentation only: state colours, number/area/date formatting, reference-layer styles, the
// attribute-field names of source files and the words for issuance reasons. The workflow's own
// words (states, actions, roles, reasons, payload fields) come from GET /api/meta (meta.js).

import { t } from './messages.js';

// Dates are Beijing time wherever the phone is (datetime.js); kept here for the modules that
// import them with the other formatting helpers.
export { formatDate, formatDateTime } from './datetime.js';

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
  // 动态巡查: found and stopped, before the shared 立案 onwards
  found: '#ffbe7d',
  stopped: '#a0cbe8',
};
export const UNKNOWN_STATE_COLOUR = '#ffffff';
export const ILLEGAL_OUTLINE = '#d7191c';
/** Outline of a 图斑 past its batch's due date and not finished. */
export const OVERDUE_OUTLINE = '#c51b7d';

/** Common source-field names (三调 / 卫片 layers); unknown fields are shown as-is. */
export const ATTRIBUTE_LABELS = {
  TBBH: 'labels.polygonCode',
  XZQDM: 'labels.divisionCode',
  XZQMC: 'labels.divisionName',
  DLBM: 'labels.landClassCode',
  DLMC: 'labels.landClassName',
  ZLDWDM: 'labels.locationUnitCode',
  ZLDWMC: 'labels.locationUnitName',
  TBMJ: 'labels.polygonArea',
  JCMJ: 'labels.monitoredArea',
  QSX: 'labels.before',
  HSX: 'labels.after',
  QSXDL: 'labels.landClassBefore',
  HSXDL: 'labels.landClassAfter',
  BHLX: 'labels.changeType',
  KCZL: 'labels.mineral',
  BZ: 'labels.note',
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
  return t('labels.mMu', { areaM2: fmt2(areaM2), mu: fmt2(mu) });
}

/** "1,234.56 元" */
export function formatYuan(value) {
  return t('labels.yuan', { value: fmt2(value) });
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
    case 'first': return t('labels.firstIssued');
    case 'reissue_same_code': return t('labels.issuedAgainSameCode');
    case 'reissue_overlap':
      return typeof iou === 'number' && Number.isFinite(iou)
        ? t('labels.issuedAgainOverlappingShape', { value: iou.toFixed(2) }) : t('labels.issuedAgainOverlappingShape2');
    case 'in_file_duplicate': return t('labels.duplicateWithinFile');
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
    label: 'labels.townshipBoundaries', minZoom: 0, defaultOn: true, labelZoom: 10,
    style: { color: '#4d4d4d', weight: 3, opacity: 0.9, fill: false },
  },
  village: {
    label: 'labels.villageBoundaries', minZoom: 12, defaultOn: true, labelZoom: 14,
    style: { color: '#8c8c8c', weight: 1, opacity: 0.9, fill: false },
  },
  farmland: {
    label: 'labels.permanentBasicFarmland', minZoom: 13,
    style: { color: '#1a9641', weight: 1.8, opacity: 0.95, fill: false },
  },
  mining_permit: {
    label: 'labels.miningPermits', minZoom: 11,
    style: { color: '#7b3294', weight: 2.2, opacity: 0.95, dashArray: '8 5', fill: false },
  },
  approval: {
    label: 'labels.landApprovals', minZoom: 13,
    style: { color: '#2166ac', weight: 1.8, opacity: 0.95, fill: false },
  },
  facility_farmland: {
    label: 'labels.facilityFarmland', minZoom: 13,
    style: { color: '#a6611a', weight: 1.6, opacity: 0.95, dashArray: '2 4', fill: false },
  },
};
export const REF_KIND_ORDER = Object.keys(REF_KINDS);
const REF_FALLBACK = { label: 'labels.referenceLayers', minZoom: 13, style: { color: '#555555', weight: 1.5, opacity: 0.9, fill: false } };

export function refKind(kind) {
  return REF_KINDS[kind] || REF_FALLBACK;
}

/** A reference layer's kind in words: ours for the kinds we know (in the language in use), else
 * the server's kind_label. */
export function refKindLabel(ref) {
  return REF_KINDS[ref.kind] ? t(REF_KINDS[ref.kind].label) : ref.kind_label || t(REF_FALLBACK.label);
}
