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
import { jobStateLabel, programmes } from './meta.js';
import { t } from './messages.js';

const FIELDS = [
  { name: 'programme', label: 'importer.programme', type: 'select', required: true, options: () => programmes().map((p) => [p.code, p.label]) },
  { name: 'period', label: 'importer.period', type: 'text', required: true, hint: 'importer.eGQQuarter', pattern: '\\d{4}(Q[1-4])?' },
  { name: 'authority', label: 'importer.issuingAuthority', type: 'text', required: true, value: '河北省自然资源厅' },
  { name: 'issued_on', label: 'importer.issued', type: 'date', required: true, value: today },
  { name: 'due_on', label: 'importer.due', type: 'date', required: true },
  { name: 'layer', label: 'importer.layer', type: 'text', hint: 'importer.optionalLayerExcelSheet' },
  { name: 'encoding', label: 'importer.encoding', type: 'text', hint: 'importer.optionalWithoutCpgShapefile' },
  { name: 'crs', label: 'importer.crs', type: 'text', hint: 'importer.optionalGiveWhenFile' },
  { name: 'field_map', label: 'importer.fieldMap', type: 'textarea', maxLength: 4000, hint: 'importer.optionalWhenFieldNot' },
];

function details(err) {
  const d = err.details || {};
  const where = [d.file && t('importer.file', { file: d.file }), d.row !== undefined && t('importer.row', { row: d.row }), d.field && t('importer.field', { field: d.field })]
    .filter(Boolean).join(t('importer.sep'));
  return where ? t('importer.sep2', { where }) : '';
}

/** createImportForm(root, api, {onImported(batch)}) */
export function createImportForm(root, api, { onImported }) {
  const status = h('div', { class: 'status', role: 'status', 'data-testid': 'import-status', hidden: true });
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'import-alert', hidden: true });
  const file = h('input', {
    id: 'import-file', name: 'file', type: 'file', required: true, 'data-testid': 'import-file',
    accept: '.gpkg,.geojson,.json,.zip,.kml,.kmz,.csv,.xlsx',
  });
  zhValidity(file, { label: t('importer.file2') });
  const controls = FIELDS.map((f) => {
    const id = `import-${f.name.replace(/_/g, '-')}`;
    const described = f.hint ? `${id}-hint` : null;
    const input = f.type === 'select'
      ? h('select', { id, name: f.name, required: f.required, 'data-testid': id },
        h('option', { value: '' }, t('importer.choose')), f.options().map(([v, l]) => h('option', { value: v }, l)))
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
      h('label', { for: id }, t(f.label), f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      input, f.hint ? h('small', { class: 'hint', id: `${id}-hint` }, t(f.hint)) : null);
  });
  const partial = h('input', { id: 'import-accept-partial', name: 'accept_partial', type: 'checkbox', value: 'true', 'data-testid': 'import-accept-partial' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-testid': 'import-submit' }, t('importer.import'));
  const bar = h('progress', { max: '1', value: '0', 'data-testid': 'import-progress', 'aria-label': t('importer.importProgress'), hidden: true });
  const cancel = h('button', { type: 'button', 'data-testid': 'import-cancel', hidden: true }, t('importer.cancelImport'));
  const jobsBox = h('section', { class: 'jobs', 'aria-label': t('importer.job') });
  const jobList = createJobList(jobsBox, api);
  let running = null;
  const form = h('form', { class: 'action-form import-form', 'data-testid': 'import-form', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, t('importer.importBatch')),
    h('p', { class: 'muted' }, t('importer.shapefileZippedGeopackageGeojson')),
    status, bar, alertBox,
    h('div', { class: 'field' }, h('label', { for: 'import-file' }, t('importer.file2'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), file),
    controls,
    h('div', { class: 'check' }, partial, h('label', { for: 'import-accept-partial' }, t('importer.importValidRowsOnly'))),
    h('div', { class: 'form-actions' }, button, cancel));
  root.replaceChildren(form, jobsBox);
  jobList.refresh();

  cancel.addEventListener('click', async () => {
    if (!running) return;
    cancel.disabled = true;
    try {
      await api.cancelJob(running);
    } catch (err) {
      if (err.status !== 401) announce(alertBox, t('importer.cannotCancel', { message: err.message }));
    }
  });

  function show(job) {
    bar.value = job.progress || 0;
    if (!job.final) announce(status, t('importer.importing', { name: file.files[0].name, state_label: jobStateLabel(job), job: jobProgressText(job) }));
  }

  async function finished(job) {
    if (job.error) {
      announce(alertBox, t('importer.importFailedNothingFrom', { error: job.error }));
      announce(status, '');
      return;
    }
    if (!job.result) {
      announce(status, t('importer.importNothingFromFile', { state_label: jobStateLabel(job) }));
      return;
    }
    const b = await api.getBatch(job.result.batch_id);
    const rejected = job.result.rejected || 0;
    announce(status, job.result.created
      ? t('importer.imported', { period: b.period, programme_label: b.programme_label, feature_count: b.feature_count, value: rejected ? t('importer.rowsRejected', { rejected }) : '' })
      : t('importer.thisFileWasImported', { period: b.period, programme_label: b.programme_label }));
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
    announce(status, t('importer.importing2', { name: file.files[0].name }));
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
          ? t('importer.youMayNotImport', { message: err.message })
          : t('importer.importFailedNothingFrom2', { message: err.message, err: details(err) }));
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
