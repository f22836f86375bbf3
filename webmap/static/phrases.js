// The English layer's phrase table, DOM-free: zh phrase → English, longest phrase first. The
// workflow's own labels (states, actions, roles, reasons, payload fields) are not written here:
// app.js adds them from GET /api/meta at start-up (addPhrases).

/** zh phrase → English. Longer phrases win over their parts. */
const PHRASES = {
  // header, tabs, login
  '图斑 · 丰润区卫片执法与变更调查': 'Tuban · Fengrun satellite-change enforcement & land survey',
  '跳到批次选择': 'Skip to batch selection',
  批次: 'Batch', 导入报告: 'Import report', 在新标签页打开: 'opens in a new tab',
  导出格式: 'Export format', 省厅格式: 'Province format', 正在导出: 'Exporting', 导出失败: 'Export failed',
  已导出: 'Exported', 导出: 'Export',
  地图设置: 'Map settings', 地图: 'Map', 绩效指标: 'Indicators', 我的任务: 'My tasks', 用户管理: 'Users & imports',
  退出: 'Sign out', 登录: 'Sign in', 用户名: 'User name', 密码: 'Password',
  '忘记密码或需要开通账号，请联系系统管理员。': 'Forgot your password or need an account? Ask the administrator.',
  '登录已失效，请重新登录。登录后将回到刚才的页面。': 'Your session has ended. Sign in again to return to the same page.',
  '已退出登录。': 'Signed out.', 登录失败: 'Sign-in failed', 用户名或密码错误: 'wrong user name or password',
  请检查后重试: 'please check and retry',
  // map toolbar, finder, legend, layers
  搜索图斑: 'Search 图斑', 搜索: 'Search', 图斑编号或村名: 'code or village', 筛选: 'Filter',
  全部项目: 'All programmes', 全部状态: 'All states', 全部乡镇: 'All townships', 清除筛选: 'Clear filters',
  项目: 'Programme', 状态: 'State', 乡镇: 'Township',
  视野内图斑: '图斑 in view', 选择图斑: 'Choose a 图斑', 视野内: 'in view', 视野内无图斑: 'No 图斑 in view',
  没有找到匹配的图斑: 'No matching 图斑', 找到: 'Found', '个以上': '+', 图斑地图: '图斑 map',
  '个）': ')', '当前范围内有': 'This view holds', '个图斑，超过一次显示的上限': '图斑, more than the display limit of',
  '请放大地图，或用搜索、筛选缩小范围。': 'Zoom in, or narrow it down with search or filters.',
  '当前范围内没有符合筛选条件的图斑。': 'No 图斑 in this view match the filters.',
  图例: 'Legend', 参考图层: 'Reference layers', 叠加批次: 'Overlaid batches', 放大后显示: 'zoom in to show',
  '红色边框：违法': 'red outline: illegal', '品红边框：逾期未办结': 'magenta outline: overdue',
  '虚线边框：重复下发': 'dashed outline: issued again', 乡镇界: 'Township boundaries', 村界: 'Village boundaries',
  永久基本农田: 'Permanent basic farmland', 采矿权: 'Mining permits', '用地审批/供地': 'Land approvals',
  设施农用地: 'Facility farmland', 放大: 'Zoom in', 缩小: 'Zoom out',
  // programmes, states, judgments, actions, roles, reasons: from GET /api/meta (meta.js)
  未核查: 'not verified', 逾期: 'overdue', 已逾期: 'overdue',
  重复下发: 'issued again',
  // panel
  图斑详情: '图斑 details', 关闭详情: 'Close details', 正在加载: 'Loading', 图斑编号: '图斑 code',
  行政区代码: 'Division code', 面积: 'Area', 亩: 'mu', 核查员: 'Verifier',
  '自动预判（仅供参考）': 'Automatic hints (for reference only)',
  '由系统对照参考图层自动生成，仅供核查参考，不是核查结论。': 'Generated from the reference layers; a hint for the verifier, not a judgment.',
  '未导入参考图层，暂无自动预判。': 'No reference layers loaded, so no hints.',
  '未发现需要提示的情况。': 'Nothing to point out.',
  办理: 'Actions', 办理记录: 'History', 暂无办理记录: 'No history yet', 属性: 'Attributes', 属性表: 'Attribute table',
  字段: 'Field', 无属性数据: 'No attributes', 照片: 'Photos', 暂无照片: 'No photos',
  拍摄时间: 'Taken', 拍摄时间未知: 'time unknown', 在图斑内拍摄: 'taken inside the 图斑',
  距图斑: 'from the 图斑:', 拍摄方向: 'Direction', 上传: 'Uploaded by',
  '位置、方向、时间检查无异常': 'position, direction and time check out',
    罚款: 'Fine', 没收: 'Confiscated', 已缴: 'Paid', 未缴: 'Outstanding',
  缴款记录: 'Payments', 暂无缴款: 'No payments', 登记人: 'Recorded by',
  登记缴款: 'Record payment', 缴款金额: 'Amount', 下发记录: 'Issuances', 首次下发: 'first issued',
  '同一地块的其他项目案件': "Other programmes' cases on this site", 当前批次: 'this batch',
  '前后时相影像': 'Before / after imagery', 前时相: 'Before', 后时相: 'After',
  单案卡片: 'Case sheet', 打印: 'Print',
  '的身份办理，记入办理记录。': ', recorded in the history.',
  '需由其他角色办理': 'must be taken by another role', '当前状态下没有可办理的操作。': 'Nothing to do in this state.',
  当前可办理的操作: 'Open steps', 另有可办理的操作: 'Other open steps',
  办理成功: 'Done', 当前状态: 'current state', 未能办理: 'could not be done', 您没有权限办理: 'You may not take',
  // forms
  提交核查: 'Submit verification',   实测违法面积: 'Measured illegal area', 与图斑面积不同时填写: 'fill in when it differs from the 图斑 area',
  请选择: 'Choose',   保存批注: 'Save annotation',   登记处罚: 'Record penalty', 罚款金额: 'Fine', 没收金额: 'Confiscation', 登记整改: 'Record rectification',
  拆除面积: 'Demolished area', 复垦面积: 'Reclaimed area',   提交举证: 'Submit evidence',
  提交省级审核: 'Submit to province',   '合并立案（可选）': 'File together (optional)', 单位名称或个人姓名: 'company or person',
  '实测违法范围': 'Measured illegal extent', 绘制范围: 'Draw extent', 编辑范围: 'Edit extent', 完成编辑: 'Finish editing',
  清除范围: 'Clear extent', 未绘制: 'not drawn', 已绘制: 'drawn',
  草稿已保存在本机: 'Draft kept on this device', 已恢复草稿: 'Draft restored', 丢弃草稿: 'Discard draft',
  // built for a thumb: header menu, bottom sheet, camera, one-tap choices
  菜单: 'Menu', 展开详情: 'Expand details', 收起详情: 'Collapse details', 请先选择: 'First choose',
  拍照: 'Take a photo', 再拍一张: 'Take another photo', 已有: 'so far', 张照片: 'photos',
  'JPEG 或 PNG，单张不超过 20 MB；手机上直接打开相机。请开启相机的位置信息，系统会核对拍摄位置、方向和时间。':
    'JPEG or PNG, at most 20 MB each; a phone opens its camera. Turn on location for the camera: position, direction and time are checked.',
  只能上传: 'Only', '或 PNG 照片': 'or PNG photos can be uploaded', 此文件为: 'this file is',
  // offline
  离线: 'Offline', 在线: 'Online', 项待提交: 'waiting to be sent', 立即提交: 'Send now',
  '网络已断开，已保存在本机，恢复网络后自动提交': 'You are offline; kept on this device and sent when back online',
  已自动提交: 'sent', 冲突: 'conflict', 未能提交: 'could not be sent',
  // settings
  底图: 'Basemap', '无底图（离线可用）': 'No basemap (works offline)', 服务器默认底图: 'Server default basemap',
  自定义瓦片地址: 'Custom tile URL', 瓦片地址模板: 'Tile URL template', 填入天地图影像模板: 'Use the Tianditu imagery template',
  '密钥（如天地图 tk）': 'Key (e.g. Tianditu tk)', 子域: 'Subdomains', 版权说明: 'Attribution',
  '设置只保存在本浏览器，仅对当前用户有效。': 'Kept in this browser, for the signed-in user only.',
  保存: 'Save', 取消: 'Cancel',
  // tasks, indicators, admin
  刷新: 'Refresh', 项待办: 'open tasks', 其中: 'of which', 项已逾期: 'overdue', 期限: 'Due',
  '目前没有待办任务。': 'No open tasks.', 全区逾期未办结图斑: 'Overdue across the county',
  实时值: 'Live value', 目标值: 'Target', 导入批次: 'Import a batch', 文件: 'File', 时期: 'Period',
  下发单位: 'Issuing authority', 下发日期: 'Issued on', 办结期限: 'Due on', 编码: 'Encoding', 坐标系: 'CRS',
  图层: 'Layer', 字段映射: 'Field map',
  '可不填；文件有多个图层（或 Excel 有多个工作表）时指定其名称': 'optional; the layer (or Excel sheet) to read when the file holds several',
  '可不填；字段名认不出时每行写一个“标准字段: 源字段”，如 图斑编号: 编号': 'optional; when a field is not recognised, one "standard field: source column" a line, e.g. 图斑编号: 编号',
  // an import refusal's pointer to the form field that fixes it (geo.errors.option_hint)
  '可在导入表单的“字段映射”（field_map）中指定': 'set it in the form\'s Field map',
  '可在导入表单的“图层”（layer）中指定': 'set it in the form\'s Layer field',
  '可在导入表单的“编码”（encoding）中指定': 'set it in the form\'s Encoding field',
  '可在导入表单的“坐标系”（crs）中指定': 'set it in the form\'s CRS field',
  只导入有效行: 'Import the valid rows only', 开始导入: 'Import', 新增用户: 'Add user', 显示名: 'Display name',
  停用: 'Deactivate', 启用: 'Activate', 角色: 'Roles',
  // 绩效指标 dashboard (indicators.js, dashboard-*.js)
  数值: 'Values', 实时: 'Live', 截至某日: 'As of a day', 冻结快照: 'Frozen snapshot', 快照: 'Snapshot',
  截至日期: 'As of', 截至: 'as of', 全区: 'Whole district', 季度: 'Quarter', 全年: 'Whole year',
  第一季度: 'Q1', 第二季度: 'Q2', 第三季度: 'Q3', 第四季度: 'Q4', 暂无快照: 'No snapshots',
  '快照为全区、全年的数值，乡镇和季度筛选不适用。': 'A snapshot holds whole-district, whole-year values; the township and quarter filters do not apply.',
  '数值随办理即时更新，计算于': 'values follow the case work as it happens, computed at',
  纳入图斑: '图斑 counted', 范围: 'Scope', '按办理记录回溯的当日结束时的数值': 'values at the end of that day, replayed from the case history',
  冻结的数值: 'frozen values', 冻结: 'frozen', '不随之后的办理改变': 'later case work does not change them',
  '与当前实时值相比没有差异。': 'No differences from the live values.', 与当前实时值相比有: 'Differs from the live values in',
  处不同: 'places', 快照值: 'Snapshot value', 预警: 'Warning', 达标: 'met', 未达标: 'behind', 无数值目标: 'no numeric target',
  '指标值（目标）': 'Target', 实际完成值: 'Actual', 偏差: 'Deviation', 季度趋势: 'Quarterly trend',
  偏差原因与证明材料: 'Reason and evidence', 指标: 'Indicator', 个百分点: 'percentage points',
  图斑清单: '图斑 list', 收起图斑清单: 'Hide 图斑 list', 关闭清单: 'Close list', 正在加载图斑清单: 'Loading the 图斑 list',
  背后共: 'is made of', '个图斑': '图斑', 点击在地图上打开: 'click one to open it on the map', 背后没有图斑: 'has no 图斑 behind it',
  再显示: 'Show', 还有: 'left', 在地图上打开该图斑: 'Open this 图斑 on the map',
  填写偏差原因: 'Write the reason', 填写实际值与说明: 'Write the actual value and notes', 收起: 'Hide',
  '实际完成情况（定性指标）': 'Actual result (qualitative)', 偏差原因: 'Reason for deviation', 上传证明材料: 'Upload evidence',
  保存说明: 'Save note', 已保存: 'Saved', 的说明: 'note', '未填写（定性指标）': 'not written yet (qualitative)',
  '选择后立即上传。': 'uploaded as soon as chosen.', 下载证明材料: 'Download evidence',
  预算执行: 'Budget execution', 预算: 'Budget', 已支出: 'spent', 时点: 'Checkpoint',
  '计划累计（%）': 'Planned, cumulative (%)', '实际累计（%）': 'Actual, cumulative (%)', '实际金额（元）': 'Actual (yuan)',
  '偏差（百分点）': 'Deviation (points)', 无计划: 'no plan', 未到: 'not yet', '（沿用）': '(carried)',
  支出明细: 'Spending rows', 尚未登记支出: 'No spending recorded', 登记支出: 'Record spending', 支出日期: 'Spent on',
  '金额（元）': 'Amount (yuan)', 用途: 'Purpose', 凭证号: 'Voucher no.', '更正第几笔（可选）': 'Corrects row no. (optional)',
  合计: 'Total', 已登记支出: 'Recorded spending', 冲减第: 'corrects row',
  '负数为冲减更正，须填写被更正的序号': 'a negative amount corrects an earlier row; give its number',
  下载报告: 'Download reports', 绩效自评表: 'Self-evaluation table', 绩效目标表: 'Goal table', 网页: 'Web page',
  '内容与上方所选一致': 'Same choice as above', 报告包含全部项目: 'the report covers every project', 已下载: 'Downloaded',
  正在生成: 'Generating', 快照名称: 'Snapshot name', '冻结快照（报告时点）': 'Freeze a snapshot (reporting date)',
  已冻结快照: 'Froze snapshot', '编辑绩效目标表（管理员）': 'Edit the goal table (administrator)',
  '指标值（文字）': 'Target (text)', 保存为新版本: 'Save as a new version', 修改说明: 'What changed',
  载入最新版本: 'Load the latest version', 已保存为: 'Saved as', 年目标表第: 'goal table version',
  '定性指标，无数值目标。': 'Qualitative; no numeric target.', 未保存: 'Not saved', 没有权限: 'not allowed',
  未成功: 'did not succeed', 正在加载绩效指标: 'Loading indicators', 暂无绩效目标表: 'No goal tables yet',
};

// Chinese punctuation after the phrases, so the English reads with ASCII punctuation.
const PUNCT = { '，': ', ', '。': '. ', '：': ': ', '；': '; ', '（': ' (', '）': ')', '、': ', ', '“': '"', '”': '"', '…': '…', '？': '? ', '！': '! ' };

export const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PUNCT_PATTERN = new RegExp(Object.keys(PUNCT).map(escape).join('|'), 'g');
let pattern = compile();

function compile() {
  const keys = Object.keys(PHRASES).sort((a, b) => b.length - a.length);
  return new RegExp(keys.map(escape).join('|'), 'g');
}

/**
 * Add [zh, en] pairs (the labels of GET /api/meta). A phrase already known keeps its English,
 * so the page's own words win and the first pair of a zh word wins over later ones.
 */
export function addPhrases(pairs) {
  let added = 0;
  for (const [zh, en] of pairs) {
    if (!zh || !en || Object.hasOwn(PHRASES, zh)) continue;
    PHRASES[zh] = en;
    added += 1;
  }
  if (added) pattern = compile();
  return added;
}

/** The English of a zh text (unknown phrases stay as they are). */
export function toEnglish(text) {
  if (!text || !CJK.test(text)) return text;
  const lead = /^\s*/.exec(text)[0];
  const trail = /\s*$/.exec(text)[0];
  const out = text.replace(pattern, (m) => ` ${PHRASES[m]} `).replace(PUNCT_PATTERN, (m) => PUNCT[m])
    .replace(/\s+/g, ' ').replace(/ ([,.:;)!?])/g, '$1').replace(/\( /g, '(').trim();
  return lead + out + trail;
}

