// A goal-table row's note: the actual value of a qualitative row (满意度, 社会效益), the reason
// for a deviation (偏差原因) and evidence files (PDF, JPG, PNG, .docx, .xlsx), written by 统计
// and admin (PUT /api/indicator-notes/…, POST …/evidence). Each save is a new version; a stale
// one is refused (409) and the latest is loaded instead.
// Test hooks: "note-form-<row>", "note-actual", "note-reason", "note-file", "note-save",
// "evidence-<sha256 prefix>" download buttons.

import { h } from './dom.js';
import { explain } from './dashboard-api.js';
import { t } from './messages.js';

const MAX_EVIDENCE_BYTES = 20 * 1024 * 1024;

/** The evidence files of a note as download buttons (the token travels with the fetch). */
export function evidenceList(files, { api, error }) {
  if (!files || !files.length) return null;
  return h('ul', { class: 'evidence-list' }, files.map((f) => h('li', {},
    h('button', {
      // The file's name is data: the button and its title show it as it is in every language.
      type: 'button', class: 'link-button', 'data-testid': `evidence-${String(f.sha256).slice(0, 12)}`,
      'data-value': '', 'data-value-label': '',
      title: t('dashboard-notes.downloadEvidence', { filename: f.filename }),
      onclick: async () => {
        try {
          await api.downloadEvidence(f.sha256, f.filename);
        } catch (err) {
          if (err.status !== 401) error(explain(t('dashboard-notes.download', { filename: f.filename }), err));
        }
      },
    }, f.filename))));
}

/**
 * noteForm(row, getNote, ctx) → a form. row is an /api/indicators row; getNote() the row's
 * current note (GET /api/indicator-notes) or undefined, read again at each save since an
 * upload adds a version. ctx = {year, project, api, onSaved, status, error};
 * onSaved(row_no, {close, fresh}) re-reads the dashboard (fresh: rebuild this form).
 */
export function noteForm(row, getNote, { year, project, api, onSaved, status, error }) {
  const note = getNote();
  const key = `${project}-${row.row_no}`;
  const actual = row.qualitative
    ? h('textarea', { id: `note-actual-${key}`, rows: 3, maxlength: 4000, 'data-testid': 'note-actual' })
    : null;
  const reason = h('textarea', { id: `note-reason-${key}`, rows: 3, maxlength: 4000, 'data-testid': 'note-reason' });
  const file = h('input', {
    id: `note-file-${key}`, type: 'file', 'data-testid': 'note-file',
    accept: '.pdf,.jpg,.jpeg,.png,.docx,.xlsx,application/pdf,image/jpeg,image/png',
    'aria-describedby': `note-file-${key}-hint`,
  });
  if (actual) actual.value = (note && note.actual_text) || '';
  reason.value = (note && note.reason) || '';
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'note-save' }, t('dashboard-notes.saveNote'));
  const cancel = h('button', { type: 'button', 'data-testid': 'note-cancel' }, t('dashboard-notes.cancel'));
  const form = h('form', { class: 'action-form note-form', 'data-testid': `note-form-${row.row_no}` },
    h('fieldset', {}, h('legend', {}, t('dashboard-notes.row', { row_no: row.row_no, value: row.level3 || row.description || '' })),
      actual ? h('div', { class: 'field' }, h('label', { for: actual.id }, t('dashboard-notes.actualResultQualitative')), actual) : null,
      h('div', { class: 'field' }, h('label', { for: reason.id }, t('dashboard-notes.reasonDeviation')), reason),
      h('div', { class: 'field' }, h('label', { for: file.id }, t('dashboard-notes.uploadEvidence')), file,
        h('small', { class: 'hint', id: `note-file-${key}-hint` }, t('dashboard-notes.pdfJpgPngWord'))),
      h('div', { class: 'form-actions' }, save, cancel)));
  cancel.addEventListener('click', () => form.dispatchEvent(new CustomEvent('close', { bubbles: true })));

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    if (f.size > MAX_EVIDENCE_BYTES) {
      error(t('dashboard-notes.tooLargeMbAt', { name: f.name }));
      file.value = '';
      return;
    }
    file.disabled = true;
    try {
      save.disabled = true; // its expected_seq must be the version the upload adds
      await api.uploadEvidence(year, project, row.row_no, f);
      await onSaved(row.row_no, {});
      status(t('dashboard-notes.uploadedEvidenceRow', { name: f.name, row_no: row.row_no }));
    } catch (err) {
      if (err.status !== 401) error(explain(t('dashboard-notes.upload', { name: f.name }), err));
    } finally {
      file.disabled = false;
      save.disabled = false;
      file.value = '';
    }
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const latest = getNote();
    const body = { reason: reason.value.trim(), expected_seq: latest ? latest.seq : 0 };
    if (actual) body.actual_text = actual.value.trim();
    save.disabled = true;
    try {
      await api.putNote(year, project, row.row_no, body);
      status(t('dashboard-notes.savedNoteRow', { row_no: row.row_no }));
      await onSaved(row.row_no, { close: true });
    } catch (err) {
      if (err.status === 401) return;
      if (err.status === 409) {
        error(t('dashboard-notes.noteRowWasNot', { row_no: row.row_no }));
        await onSaved(row.row_no, { fresh: true });
      } else {
        error(explain(t('dashboard-notes.saveNoteRow', { row_no: row.row_no }), err));
      }
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
