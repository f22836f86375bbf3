// zh-CN labels, state colours and formatting. Labels mirror docs/api.md; the API's own
// *_label fields win whenever a response carries them.

export const PROGRAMME_LABELS = {
  mining: '矿山卫片',
  land: '土地卫片',
  change_survey: '土地变更调查',
};

/** States in workflow order, per programme (卫片 share one workflow). */
const WEIPIAN_STATES = ['issued', 'verified', 'rework', 'approved', 'filed', 'penalised', 'rectified', 'closed'];
const CHANGE_SURVEY_STATES = ['issued', 'evidence_collected', 'submitted', 'passed', 'returned'];

export function statesFor(programme) {
  return programme === 'change_survey' ? CHANGE_SURVEY_STATES : WEIPIAN_STATES;
}

export const STATE_LABELS = {
  issued: '已下发',
  verified: '已核查',
  approved: '审核通过',
  rework: '退回重核',
  filed: '已立案',
  penalised: '已处罚',
  rectified: '已整改',
  closed: '已结案',
  evidence_collected: '已举证',
  submitted: '已提交',
  passed: '省级通过',
  returned: '省级退回',
};

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
/** A case in these states is finished: never overdue (docs/api.md, GET /api/overdue). */
export const FINAL_STATES = new Set(['closed', 'passed']);

export const JUDGMENT_LABELS = { legal: '合法', illegal: '违法', other: '其他' };

export const ACTION_LABELS = {
  verify: '核查',
  file: '立案',
  penalise: '处罚',
  rectify: '整改',
  close: '结案',
  collect_evidence: '举证',
  submit: '提交',
  pass: '省级通过',
  return: '省级退回',
  approve: '审核通过',
  return_verification: '审核退回',
  annotate: '审核批注',
  add_photo: '上传照片',
  reopen: '重新立案',
};

/** Role codes of docs/api.md → zh labels (the API's role_labels win when present). */
export const ROLE_LABELS = {
  verifier: '外业核查员',
  enforcer: '执法人员',
  reviewer: '审核人',
  viewer: '统计/报告',
  admin: '管理员',
};
export const ROLE_ORDER = ['verifier', 'enforcer', 'reviewer', 'viewer', 'admin'];

/**
 * Who may take which action (docs/api.md, “People, permissions and case work”). Admins may do
 * everything. The server decides; this only keeps forms a user cannot use off the screen.
 */
export const ACTION_ROLES = {
  verify: ['verifier'],
  collect_evidence: ['verifier'],
  approve: ['reviewer'],
  return_verification: ['reviewer'],
  annotate: ['reviewer'],
  close: ['reviewer'],
  submit: ['reviewer'],
  pass: ['reviewer'],
  return: ['reviewer'],
  file: ['enforcer'],
  penalise: ['enforcer'],
  rectify: ['enforcer'],
  reopen: ['enforcer'],
};

/** Photo checks (Photo.flags) in words, used when the API sends no notes of its own. */
export const PHOTO_FLAG_LABELS = {
  no_position: '照片没有拍摄位置（GPS）',
  far_from_polygon: '拍摄位置离图斑较远',
  no_direction: '照片没有拍摄方向',
  magnetic_north: '拍摄方向以磁北为准',
  not_facing: '拍摄方向未朝向图斑',
  no_time: '照片没有拍摄时间',
  before_imagery: '拍摄时间早于卫片影像时间',
  after_deadline: '拍摄时间晚于核查截止日期',
};

/** Common 三调 land-class codes for the 前/后地类 inputs (the server checks the format). */
export const LAND_CLASSES = [
  ['0101', '水田'], ['0102', '水浇地'], ['0103', '旱地'],
  ['0201', '果园'], ['0202', '茶园'], ['0204', '其他园地'],
  ['0301', '乔木林地'], ['0302', '竹林地'], ['0305', '灌木林地'], ['0307', '其他林地'],
  ['0401', '天然牧草地'], ['0403', '人工牧草地'], ['0404', '其他草地'],
  ['0508', '物流仓储用地'],
  ['0601', '工业用地'], ['0602', '采矿用地'],
  ['0701', '城镇住宅用地'], ['0702', '农村宅基地'],
  ['0809', '公用设施用地'], ['0810', '公园与绿地'],
  ['0901', '特殊用地'],
  ['1001', '铁路用地'], ['1003', '公路用地'], ['1004', '城镇村道路用地'], ['1006', '农村道路'],
  ['1101', '河流水面'], ['1103', '水库水面'], ['1104', '坑塘水面'], ['1107', '沟渠'],
  ['1109', '水工建筑用地'],
  ['1202', '设施农用地'], ['1203', '田坎'], ['1206', '裸土地'], ['1207', '裸岩石砾地'],
];

/** Payload keys as shown in the event history. */
export const PAYLOAD_LABELS = {
  judgment: '核查结论',
  note: '备注',
  case_no: '案号',
  filed_on: '立案日期',
  fine_yuan: '罚款金额(元)',
  receipt_no: '票据号',
  paid_on: '缴款日期',
  rectified_on: '整改日期',
  land_class_before: '前地类编码',
  land_class_after: '后地类编码',
  photo_count: '照片数',
  reason: '原因',
  offender: '当事人',
  decision_no: '处罚决定书号',
  confiscation_yuan: '没收金额(元)',
  demolished_m2: '拆除面积(m²)',
  reclaimed_m2: '复垦面积(m²)',
  permit_no: '补办手续文号',
  enforcement_id: '立案案件',
  sha256: '照片',
  flags: '照片提示',
  amount_yuan: '缴款金额(元)',
};

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

export function stateLabel(state, fallback) {
  return fallback || STATE_LABELS[state] || state || '—';
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

export function roleLabel(role) {
  return ROLE_LABELS[role] || role;
}

export function judgmentLabel(judgment) {
  return judgment ? JUDGMENT_LABELS[judgment] || judgment : '未核查';
}

/** A payload value for display: judgments translated, everything else as text. */
export function formatPayloadValue(key, value) {
  if (value === null || value === undefined || value === '') return '—';
  if (key === 'judgment') return JUDGMENT_LABELS[value] || String(value);
  if (key === 'fine_yuan' || key === 'confiscation_yuan' || key === 'amount_yuan') return fmt2(value);
  if (key === 'sha256') return String(value).slice(0, 12);
  if (key === 'flags' && Array.isArray(value)) return value.map((f) => PHOTO_FLAG_LABELS[f] || f).join('；') || '无';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
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
 */
export const REF_KINDS = {
  township: {
    label: '乡镇界', minZoom: 0,
    style: { color: '#4d4d4d', weight: 3, opacity: 0.9, fill: false },
  },
  village: {
    label: '村界', minZoom: 12,
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

/** Controlled reasons per judgment (geo/model.py VERIFY_REASONS): [value, label]. */
export const VERIFY_REASONS = {
  legal: [
    ['approved', '已批准用地'], ['facility_farmland', '设施农用地（已备案）'],
    ['temporary_use', '临时用地'], ['pre_existing', '历史遗留（早于前时相）'],
    ['permitted_mining', '持证开采（范围内）'],
  ],
  illegal: [
    ['built_before_approval', '未批先建'], ['used_before_approval', '未批即用'],
    ['illegal_occupation', '非法占地'], ['exceed_approval', '批少占多/超出批准范围'],
    ['illegal_transfer', '非法转让'], ['farmland_damage', '破坏耕地'],
    ['unlicensed_mining', '无证开采'], ['beyond_boundary_mining', '越界开采'],
    ['mining_under_exploration', '以采代探'], ['destructive_mining', '破坏性开采'],
  ],
  other: [
    ['pseudo_change', '伪变化'], ['agri_restructure', '农业结构调整'],
    ['unchanged', '实地未变化'], ['out_of_jurisdiction', '不在本辖区'],
  ],
};
