// 导入批次 (admins): upload a file the province sent as an import job (POST /api/jobs/import,
// multipart). The form's checks refuse it at once; the file's own checks run in the job, whose
// stage and percentage show while it runs, with a button to cancel it (nothing is written then).
// A refusal names the file, row and field, and the read option that fixes it by its label here
// (图层, 编码, 坐标系, 字段映射: the same choices as `tuban import`'s --layer, --encoding, --crs,
// --field-map); a refusal of the form itself marks that field. After an import the batch list
// reloads.
// Test hooks: data-testid="import-form", "import-file", "import-programme", "import-period",
// "import-authority", "import-issued-on", "import-due-on", "import-layer", "import-encoding",
// "import-crs", "import-field-map", "import-accept-partial", "import-submit", "import-status",
// "import-alert", "import-progress", "import-cancel", and the job list's (jobs.js).

import { announce, h } from './dom.js';
import { today, zhValidity } from './forms.js';
import { createJobList, followJob, jobProgressText } from './jobs.js';
import { programmes } from './meta.js';

const FIELDS = [
  { name: 'programme', label: '项目', type: 'select', required: true, options: () => programmes().map((p) => [p.code, p.label]) },
  { name: 'period', label: '时期', type: 'text', required: true, hint: '如 2019Q3（季度）或 2019（年度）', pattern: '\\d{4}(Q[1-4])?' },
  { name: 'authority', label: '下发单位', type: 'text', required: true, value: '河北省自然资源厅' },
  { name: 'issued_on', label: '下发日期', type: 'date', required: true, value: today },
  { name: 'due_on', label: '办结期限', type: 'date', required: true },
  { name: 'layer', label: '图层', type: 'text', hint: '可不填；文件有多个图层（或 Excel 有多个工作表）时指定其名称' },
  { name: 'encoding', label: '编码', type: 'text', hint: '可不填；Shapefile 无 .cpg 时自动判断 UTF-8 / GBK' },
  { name: 'crs', label: '坐标系', type: 'text', hint: '可不填；文件无 .prj 时可指定，如 EPSG:4527' },
  { name: 'field_map', label: '字段映射', type: 'textarea', maxLength: 4000, hint: '可不填；字段名认不出时每行写一个“标准字段: 源字段”，如 图斑编号: 编号' },
];

function details(err) {
  const d = err.details || {};
  const where = [d.file && `文件 ${d.file}`, d.row !== undefined && `第 ${d.row} 行`, d.field && `字段 ${d.field}`]
    .filter(Boolean).join('，');
  return where ? `（${where}）` : '';
}

/** createImportForm(root, api, {onImported(batch)}) */
export function createImportForm(root, api, { onImported }) {
  const status = h('div', { class: 'status', role: 'status', 'data-testid': 'import-status', hidden: true });
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'import-alert', hidden: true });
  const file = h('input', {
    id: 'import-file', name: 'file', type: 'file', required: true, 'data-testid': 'import-file',
    accept: '.gpkg,.geojson,.json,.zip,.kml,.kmz,.csv,.xlsx',
  });
  zhValidity(file, { label: '文件' });
  const controls = FIELDS.map((f) => {
    const id = `import-${f.name.replace(/_/g, '-')}`;
    const described = f.hint ? `${id}-hint` : null;
    const input = f.type === 'select'
      ? h('select', { id, name: f.name, required: f.required, 'data-testid': id },
        h('option', { value: '' }, '请选择'), f.options().map(([v, l]) => h('option', { value: v }, l)))
      : f.type === 'textarea' ? h('textarea', {
        id, name: f.name, rows: 3, maxlength: f.maxLength, 'data-testid': id, 'aria-describedby': described,
        autocomplete: 'off', spellcheck: 'false',
      }) : h('input', {
        id, name: f.name, type: f.type, required: f.required, pattern: f.pattern, 'data-testid': id,
        'aria-describedby': f.hint ? `${id}-hint` : null, autocomplete: 'off',
      });
    if (f.value) input.value = typeof f.value === 'function' ? f.value() : f.value;
    zhValidity(input, f);
    return h('div', { class: 'field' },
      h('label', { for: id }, f.label, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      input, f.hint ? h('small', { class: 'hint', id: `${id}-hint` }, f.hint) : null);
  });
  const partial = h('input', { id: 'import-accept-partial', name: 'accept_partial', type: 'checkbox', value: 'true', 'data-testid': 'import-accept-partial' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-testid': 'import-submit' }, '开始导入');
  const bar = h('progress', { max: '1', value: '0', 'data-testid': 'import-progress', 'aria-label': '导入进度', hidden: true });
  const cancel = h('button', { type: 'button', 'data-testid': 'import-cancel', hidden: true }, '取消导入');
  const jobsBox = h('section', { class: 'jobs', 'aria-label': '任务' });
  const jobList = createJobList(jobsBox, api);
  let running = null;
  const form = h('form', { class: 'action-form import-form', 'data-testid': 'import-form', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, '导入批次'),
    h('p', { class: 'muted' }, '支持 Shapefile（打包为 .zip）、GeoPackage、GeoJSON、FileGDB（.zip）、KML、含坐标的 Excel/CSV。整个文件检查无误后才写入；同一文件重复导入不会重复写入。'),
    status, bar, alertBox,
    h('div', { class: 'field' }, h('label', { for: 'import-file' }, '文件', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), file),
    controls,
    h('div', { class: 'check' }, partial, h('label', { for: 'import-accept-partial' }, '只导入有效行（列出被拒绝的行）')),
    h('div', { class: 'form-actions' }, button, cancel));
  root.replaceChildren(form, jobsBox);
  jobList.refresh();

  cancel.addEventListener('click', async () => {
    if (!running) return;
    cancel.disabled = true;
    try {
      await api.cancelJob(running);
    } catch (err) {
      if (err.status !== 401) announce(alertBox, `无法取消：${err.message}`);
    }
  });

  function show(job) {
    bar.value = job.progress || 0;
    if (!job.final) announce(status, `正在导入“${file.files[0].name}”：${job.state_label} ${jobProgressText(job)}`);
  }

  async function finished(job) {
    if (job.error) {
      announce(alertBox, `导入失败：${job.error}。文件未写入任何内容。`);
      announce(status, '');
      return;
    }
    if (!job.result) {
      announce(status, `导入${job.state_label}，文件未写入任何内容。`);
      return;
    }
    const b = await api.getBatch(job.result.batch_id);
    const rejected = job.result.rejected || 0;
    announce(status, job.result.created
      ? `已导入：${b.period} ${b.programme_label}，${b.feature_count} 个图斑${rejected ? `，拒绝 ${rejected} 行` : ''}。可在批次列表中查看，导入报告见“导入报告”链接。`
      : `该文件已导入过（批次 ${b.period} ${b.programme_label}），未重复写入。`);
    status.dataset.batchId = String(b.id);
    await onImported(b);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const body = new FormData();
    body.append('file', file.files[0], file.files[0].name);
    for (const f of FIELDS) {
      const v = form.elements[f.name].value.trim();
      if (v) body.append(f.name, v);
    }
    body.append('accept_partial', partial.checked ? 'true' : 'false');
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    announce(alertBox, '');
    for (const f of FIELDS) form.elements[f.name].removeAttribute('aria-invalid');
    announce(status, `正在导入“${file.files[0].name}”…`);
    try {
      const queued = await api.submitImportJob(body);
      running = queued.id;
      bar.hidden = false;
      cancel.hidden = false;
      cancel.disabled = false;
      jobList.refresh();
      const job = await followJob(api, queued, show);
      bar.value = 1;
      await finished(job);
    } catch (err) {
      announce(status, '');
      if (err.status !== 401) {
        announce(alertBox, err.status === 403
          ? `您没有权限导入批次：${err.message}`
          : `导入失败：${err.message}${details(err)}。文件未写入任何内容。`);
        // The form field the refusal is about (a read option, or a field of the form).
        const d = err.details || {};
        const named = FIELDS.find((f) => f.name === (d.option || d.field));
        if (named) form.elements[named.name].setAttribute('aria-invalid', 'true');
      }
    } finally {
      running = null;
      bar.hidden = true;
      cancel.hidden = true;
      button.disabled = false;
      form.removeAttribute('aria-busy');
      jobList.refresh();
    }
  });
}
