// Case work from the panel: actions (kept in the outbox when the connection drops), 合并立案,
// photo uploads, 登记缴款, and the thumbnails fetched with the token. Failures in plain words.

import { fmt2 } from './labels.js';
import { actionLabel, stateLabel, statesWith } from './meta.js';
import { t } from './messages.js';

/** The server refuses photos above this (docs/api.md); checked here to spare a phone upload. */
const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
/** What the server reads (docs/api.md); the camera input accepts image/* so phones open the camera. */
const PHOTO_TYPES = /^image\/(jpeg|png)$/;

/** Why a file cannot go up as a photo (too large, not JPEG/PNG), or null: checked on the phone
 * before an upload (or before a finding keeps it). */
export function photoProblem(file) {
  if (file.size > MAX_PHOTO_BYTES) return t('app-actions.fileTooLargeMb2', { value: fmt2(file.size / 1048576) });
  if (file.type && !PHOTO_TYPES.test(file.type)) return t('app-actions.onlyJpegPng', { type: file.type });
  return null;
}

/** An action's failure in plain words. */
function actionError(label, err) {
  if (err.status === 403 || err.code === 'FORBIDDEN') {
    return t('app-actions.youMayNotTake', { label, message: err.message });
  }
  if (err.status === 404) return t('app-actions.couldNotBeDone', { label, message: err.message });
  return t('app-actions.couldNotBeDone2', { label, message: err.message });
}

/** Plain words for one photo that did not upload. */
function photoError(err) {
  if (err.status === 403) return t('app-actions.youMayNotUpload', { message: err.message });
  if (err.status === 413) return t('app-actions.fileTooLargeMb');
  return err.message;
}

const byCode = (a, b) => String(a.code ?? a.id).localeCompare(String(b.code ?? b.id), 'zh-CN', { numeric: true });

/** createCaseWork(ctx) → {runAction, uploadPhotos, recordPayment, mergeCandidates, loadThumb} */
export function createCaseWork(ctx) {
  const { api, mapView, panel, extent } = ctx;

  function done(updated) {
    mapView.updateCase(updated);
    ctx.updateCaseOption(updated);
    extent.stop();
    panel.show(updated);
    extent.showSaved(updated);
  }

  /** 合并立案: one 立案 case over this 图斑 and the chosen others, all or none. */
  async function fileTogether(c, payload, merge) {
    const enf = await api.createEnforcement({
      case_no: payload.case_no,
      filed_on: payload.filed_on,
      offender: payload.offender ?? null,
      case_ids: [c.id, ...merge].map(Number),
    });
    for (const x of enf.cases || []) mapView.updateCase({ id: x.id, state: x.state, state_label: x.state_label });
    const updated = await api.getCase(c.id);
    return { updated, extra: t('app-actions.caseCovers', { value: (enf.cases || []).length || merge.length + 1 }) };
  }

  /** 处罚 on a 立案 of several 图斑: the decision is the case's, so all of them move (or none),
   *  each checked against the version this panel showed. */
  async function penaliseTogether(c, payload) {
    const cases = c.enforcement.cases || [];
    const expected = Object.fromEntries(cases.map((x) => [String(x.id), x.version]));
    expected[String(c.id)] = c.version;
    const enf = await api.penaliseEnforcement(c.enforcement.id, { payload, expected_versions: expected });
    for (const x of enf.cases || []) mapView.updateCase({ id: x.id, state: x.state, state_label: x.state_label });
    const updated = await api.getCase(c.id);
    return { updated, extra: t('app-actions.penalisedTogether', { n: (enf.cases || []).length }) };
  }

  /** The request an action makes: 合并立案 and a 立案's 处罚 cover several 图斑. */
  function send(c, action, payload, merge) {
    if (action === 'file' && merge.length) return fileTogether(c, payload, merge);
    if (action === 'penalise' && (c.enforcement?.cases || []).length > 1) return penaliseTogether(c, payload);
    return api.postAction(c.id, { action, payload, expected_version: c.version }).then((updated) => ({ updated, extra: '' }));
  }

  async function refused(c, label, err) {
    let text = actionError(label, err);
    const conflict = err.code === 'CASE_VERSION_CONFLICT';
    if (conflict || err.code === 'CASE_INVALID_TRANSITION') {
      try {
        await ctx.reloadCase(c.id);
        text += conflict
          ? t('app-actions.polygonSLatestState')
          : t('app-actions.polygonSLatestState2');
      } catch {
        /* keep the original message */
      }
    }
    panel.error(text);
    return false;
  }

  async function runAction(c, { action, payload, merge = [] }) {
    const label = actionLabel(action);
    try {
      const { updated, extra } = await send(c, action, payload, merge);
      done(updated);
      panel.status(t('app-actions.doneCurrentState', { label, state: stateLabel(updated.state, updated.state_label), extra }));
      ctx.afterChange();
      return true;
    } catch (err) {
      if (err.status === 401) return false; // back at the login screen
      if (err.code === 'NETWORK_ERROR' && !merge.length) {
        // Lost the connection in the field: keep it on this device and send it when back online.
        const n = await ctx.outbox.add({
          case_id: c.id, batch_id: c.batch_id, code: c.code, action, payload, expected_version: c.version,
        });
        panel.status(t('app-actions.youAreOfflineKept', { label, n }));
        return 'queued';
      }
      return refused(c, label, err);
    }
  }

  /** Upload each file in turn; a failure does not stop the others. */
  async function uploadPhotos(c, files) {
    const results = [];
    for (const file of files) {
      const problem = photoProblem(file);
      if (problem) {
        results.push({ name: file.name, ok: false, message: problem });
        continue;
      }
      try {
        const photo = await api.uploadPhoto(c.id, file);
        results.push({ name: file.name, ok: true, photo });
      } catch (err) {
        if (err.status === 401) return results;
        if (err.code === 'NETWORK_ERROR') {
          // In the field without a connection: the file itself is kept on the phone, in order
          // with the forms, and uploaded when the connection returns.
          await ctx.outbox.addPhoto(c, file);
          results.push({ name: file.name, ok: false, queued: true, message: t('app-actions.photoKept') });
          continue;
        }
        results.push({ name: file.name, ok: false, code: err.code, message: photoError(err) });
      }
    }
    if (results.some((r) => r.ok)) {
      try {
        await ctx.reloadCase(c.id);
      } catch {
        /* the upload summary still shows */
      }
      ctx.afterChange();
    }
    return results;
  }

  async function recordPayment(c, enforcement, payload) {
    try {
      await api.addPayment(enforcement.id, payload);
      await ctx.reloadCase(c.id, { keepMessages: false });
      panel.status(t('app-actions.recordedPaymentYuan', { amount_yuan: fmt2(payload.amount_yuan), value: payload.receipt_no ? t('app-actions.receiptNo', { receipt_no: payload.receipt_no }) : '' }));
      ctx.afterChange();
      return true;
    } catch (err) {
      if (err.status !== 401) {
        panel.error(err.status === 403 ? t('app-actions.youMayNotRecord', { message: err.message }) : t('app-actions.couldNotRecordPayment', { message: err.message }));
      }
      return false;
    }
  }

  /** 合并立案 choices: the other illegal 图斑 in view that may be filed now. */
  function mergeCandidates(c) {
    const fileable = statesWith('file', c.programme);
    return mapView.features()
      .filter((f) => fileable.includes(f.state) && f.judgment === 'illegal' && String(f.id) !== String(c.id))
      .sort(byCode)
      .map((f) => ({ id: f.id, code: f.code, township_name: f.township_name }));
  }

  /** Photo thumbnails are fetched with the token (an <img src> would not send it). */
  function loadThumb(img, path) {
    api.photoBlobUrl(path).then((src) => {
      img.addEventListener('load', () => {
        img.dataset.loaded = 'true';
        URL.revokeObjectURL(src);
      }, { once: true });
      img.addEventListener('error', () => URL.revokeObjectURL(src), { once: true });
      img.src = src;
    }).catch(() => {
      img.dataset.loaded = 'false';
      img.alt = t('app-actions.thumbnailCouldNotBe', { alt: img.alt });
    });
  }

  return { runAction, uploadPhotos, recordPayment, mergeCandidates, loadThumb };
}
