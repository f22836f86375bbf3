// The dashboard's API calls (docs/api.md, “Goal tables, budget execution and row notes” and
// the indicator routes). Report files and evidence are fetched with the bearer token and
// handed to the browser as a download, so a failure shows in words instead of a JSON page.

import { api, getAllPages, request, send } from './api.js';
import { t } from './messages.js';

const id = encodeURIComponent;

/** {as_of, township, period, snapshot} with empty values dropped. */
function scope(s = {}) {
  const out = {};
  for (const k of ['as_of', 'township', 'period', 'snapshot']) if (s[k]) out[k] = s[k];
  return out;
}

/** The file name of a Content-Disposition header (RFC 5987 filename* first). */
function fileName(header, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header || '');
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* fall through */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(header || '');
  return plain ? plain[1] : fallback;
}

/** Fetch a file with the token and save it through a temporary link. */
export async function download(path, params, fallback) {
  const response = await send('GET', path, { params });
  const blob = await response.blob();
  const name = fileName(response.headers.get('Content-Disposition'), fallback);
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return { name, size: blob.size };
}

export const dashboardApi = {
  projects: (year) => getAllPages('api/projects', { year }),
  indicators: (project, year, s = {}) =>
    request('GET', 'api/indicators', { params: { project, year, ...scope(s) } }),
  /** One page ({data, count, next}) of the 图斑 behind one value of a goal-table row. */
  valueCases: (project, year, rowNo, metric, s = {}, { limit, offset = 0 } = {}) =>
    request('GET', `api/projects/${id(project)}/rows/${id(rowNo)}/cases`,
      { params: { metric, year, ...scope(s), limit, offset } }),
  trend: (project, year, township) =>
    request('GET', 'api/indicators/trend', { params: { project, year, township: township || null } }),
  snapshots: (year) => getAllPages('api/snapshots', { year }),
  takeSnapshot: (body) => request('POST', 'api/snapshots', { body }),
  /** The report document (JSON); a snapshot's carries `differences` from the live values. */
  report: (year, s = {}) => request('GET', 'api/report', { params: { year, ...scope(s) } }),
  downloadReport: (year, fmt, kind, s = {}) =>
    download(`api/reports/${id(year)}.${fmt}`, { kind, ...scope(s) }, `${year}-${kind}.${fmt}`),
  budget: (year, project, asOf) =>
    getAllPages('api/budget', { year, project, as_of: asOf || null }),
  expenditures: (year, project) => getAllPages('api/expenditures', { year, project }),
  addExpenditure: (body) => request('POST', 'api/expenditures', { body }),
  notes: (year, project) => getAllPages('api/indicator-notes', { year, project }),
  putNote: (year, project, rowNo, body) =>
    request('PUT', `api/indicator-notes/${id(year)}/${id(project)}/${id(rowNo)}`, { body }),
  uploadEvidence: (year, project, rowNo, file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return request('POST', `api/indicator-notes/${id(year)}/${id(project)}/${id(rowNo)}/evidence`, { form });
  },
  downloadEvidence: (sha256, name) => download(`api/evidence/${id(sha256)}`, {}, name),
  goals: (year) => request('GET', `api/goals/${id(year)}`),
  saveGoals: (year, body) => request('PUT', `api/goals/${id(year)}`, { body }),
  references: () => getAllPages('api/references'),
  referenceFeatures: (layerId) => api.referenceFeatures(layerId, null),
  getCase: (caseId) => request('GET', `api/cases/${id(caseId)}`),
};

/** A failed call in plain words: “<what>未成功：<the server's message>” (403 says who may). */
export function explain(what, err) {
  if (err.status === 403) return t('dashboard-api.youMayNot', { what, message: err.message });
  if (err.code === 'NETWORK_ERROR') return t('dashboard-api.didNotSucceed', { what, message: err.message });
  const field = err.details && (err.details.field || err.details.row) ? t('dashboard-api.sep2', { value: [err.details.project, err.details.row && t('dashboard-api.row', { row: err.details.row }), err.details.field].filter(Boolean).join(t('dashboard-api.sep')) }) : '';
  return t('dashboard-api.didNotSucceed2', { what, message: err.message, value: field && !err.message.includes(err.details.field || '\u0000') ? field : '' });
}
