// HTTP client for the Tuban API (docs/api.md). URLs are relative to the page so the app
// also works behind a reverse proxy that mounts it under a sub-path.
//
// Every call carries `Authorization: Bearer <token>` (auth.js keeps the token). A 401 on any
// call but the login itself is handed to the onUnauthorized hook (back to the login screen).

import { language, t } from './messages.js';

/** An error answered by the API in the {"error": {code, message, details}} envelope. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

const auth = {
  token: () => null,
  onUnauthorized: () => {},
};

/** Wire the client to the session: getToken() → token or null; onUnauthorized(err). */
export function configureAuth({ getToken, onUnauthorized }) {
  if (getToken) auth.token = getToken;
  if (onUnauthorized) auth.onUnauthorized = onUnauthorized;
}

function url(path, params) {
  const u = new URL(path.replace(/^\//, ''), document.baseURI);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null) u.searchParams.set(k, v);
  }
  return u;
}

function headersFor(extra = {}) {
  // The server writes its error messages in the language in use (docs/api.md, Accept-Language).
  const headers = { Accept: 'application/json', 'Accept-Language': language(), ...extra };
  const token = auth.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

async function errorOf(response, { login = false } = {}) {
  let data = null;
  try {
    const text = await response.text();
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const env = data && data.error;
  const err = env && env.message
    ? new ApiError(response.status, env.code || 'ERROR', env.message, env.details)
    : new ApiError(response.status, 'HTTP_' + response.status,
      response.status === 413
        ? t('api.fileTooLargeServer')
        : t('api.serverAnsweredWithError', { status: response.status }));
  if (response.status === 401 && !login) auth.onUnauthorized(err);
  return err;
}

/** The raw response of a call (for files); errors as in request(). */
export async function send(method, path, { params, body, form, signal, login = false } = {}) {
  let response;
  try {
    response = await fetch(url(path, params), {
      method,
      headers: headersFor(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: form !== undefined ? form : body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal && signal.aborted) throw err;
    throw new ApiError(0, 'NETWORK_ERROR', t('api.cannotReachServerCheck'), { cause: String(err) });
  }
  if (!response.ok) throw await errorOf(response, { login });
  return response;
}

/** A JSON call: {params, body, form, signal}; throws ApiError with the server's words. */
export async function request(method, path, options = {}) {
  const response = await send(method, path, options);
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Every item of a paged list (GET answering {data, count, next}): follows `next` page by page
 * and returns the first page's members (count, totals…) with `data` holding all the items and
 * `next` null. `max` stops early (the list is then cut at that many items, as a cap).
 * The next page is asked for with `next`'s query on the same `path`, so the app keeps working
 * behind a proxy that mounts it under a sub-path (the server names its own URL in `next`).
 */
export async function getAllPages(path, params = {}, { signal, max = Infinity, limit = 1000 } = {}) {
  const first = await request('GET', path, { params: { ...params, limit }, signal });
  const data = [...(first.data || [])];
  let next = first.next;
  while (next && data.length < max) {
    const query = Object.fromEntries(new URL(next, document.baseURI).searchParams);
    const page = await request('GET', path, { params: query, signal });
    data.push(...(page.data || []));
    next = page.next;
  }
  return { ...first, data: data.slice(0, max), next: null };
}

let configOnce = null; // GET /api/config, asked once per page

function config() {
  if (!configOnce) {
    configOnce = request('GET', 'api/config').catch((err) => {
      configOnce = null; // ask again next time
      throw err;
    });
  }
  return configOnce;
}

/**
 * The 图斑 of a batch in view, for the map: all of them, or none when more than the server's
 * feature_limit are in view. Then `truncated` is set, `features` is empty and `total`
 * (numberMatched) tells the user how many there are, so the map asks them to zoom in.
 *
 * The count comes first (limit=0: numberMatched from the spatial index, no geometry read, and
 * counted no further than the cap), so a view over the whole county costs O(cap).
 */
async function viewFeatures(batchId, params, { signal } = {}) {
  const path = `api/batches/${encodeURIComponent(batchId)}/features`;
  const cap = (await config().catch(() => ({}))).feature_limit;
  if (!cap) {
    const fc = await request('GET', path, { params, signal }); // the server's own cap
    const truncated = fc.next !== null && fc.next !== undefined;
    return { ...fc, total: totalOf(fc), truncated, features: truncated ? [] : fc.features };
  }
  const hits = await request('GET', path, { params: { ...params, limit: 0 }, signal });
  const view = { ...hits, total: totalOf(hits), limit: cap, truncated: false };
  // No numberMatched: the server stopped counting above its cap (numberMatchedAbove).
  const more = hits.numberMatched === undefined || hits.numberMatched > cap;
  if (more) return { ...view, truncated: true, features: [] };
  if (hits.numberMatched === 0) return view;
  const fc = await request('GET', path, { params: { ...params, limit: cap }, signal });
  const truncated = Boolean(fc.next); // more appeared since the count
  return {
    ...fc, total: totalOf(fc), limit: cap, truncated, features: truncated ? [] : fc.features,
  };
}

/** How many 图斑 a page says match: the count, or "3000+" when the server counted no further. */
function totalOf(fc) {
  return fc.numberMatched ?? `${fc.numberMatchedAbove}+`;
}

/** Fetch an image with the token and hand back an object URL (revoke it when done). */
async function blobUrl(path, { signal } = {}) {
  const response = await send('GET', path, { signal });
  return URL.createObjectURL(await response.blob());
}

const id = encodeURIComponent;

// A reference layer's id names one imported version, whose features never change: the whole
// layer (乡镇界 for the map, the dashboard and 用户管理) is fetched once per page.
const wholeLayers = new Map();
function wholeLayer(layerId) {
  const key = String(layerId);
  if (!wholeLayers.has(key)) {
    const pending = request('GET', `api/references/${id(layerId)}/features`);
    wholeLayers.set(key, pending);
    pending.catch(() => wholeLayers.delete(key));
  }
  return wholeLayers.get(key);
}

export const api = {
  // --- people ---
  login: (username, password) =>
    request('POST', 'api/auth/login', { body: { username, password }, login: true }),
  logout: () => request('POST', 'api/auth/logout'),
  me: () => request('GET', 'api/auth/me'),
  users: () => getAllPages('api/users'),
  addUser: (body) => request('POST', 'api/users', { body }),
  updateUser: (userId, body) => request('PATCH', `api/users/${id(userId)}`, { body }),
  // Work lists stop where they always did: a person's 2000 oldest tasks, 5000 overdue 图斑.
  tasks: () => getAllPages('api/tasks', {}, { max: 2000 }),
  overdue: () => getAllPages('api/overdue', {}, { max: 5000 }),
  // --- batches and cases ---
  batches: () => getAllPages('api/batches'),
  /** params: {bbox: 'minlon,minlat,maxlon,maxlat', state, township, limit} */
  features: (batchId, params = {}, { signal } = {}) => viewFeatures(batchId, params, { signal }),
  batchSummary: (batchId) => request('GET', `api/batches/${id(batchId)}/summary`),
  /** The first 50 hits; `more` says there are others (narrow the search). */
  search: (q, programme = null) =>
    request('GET', 'api/search', { params: { q, programme, limit: 50 } })
      .then((res) => ({ ...res, more: res.next !== null })),
  caseExtent: (caseId) => request('GET', `api/cases/${id(caseId)}/extent`),
  caseSheetUrl: (caseId) => url(`api/cases/${id(caseId)}/sheet`).href,
  config: () => config(),
  importBatch: (form) => request('POST', 'api/batches', { form }),
  // --- background jobs (an import as a job, its progress as server-sent events) ---
  submitImportJob: (form) => request('POST', 'api/jobs/import', { form }),
  jobs: (limit = 10) => request('GET', 'api/jobs', { params: { limit } }),
  job: (jobId) => request('GET', `api/jobs/${id(jobId)}`),
  jobEvents: (jobId, { signal } = {}) => send('GET', `api/jobs/${id(jobId)}/events`, { signal }),
  cancelJob: (jobId) => request('POST', `api/jobs/${id(jobId)}/cancel`),
  jobFileUrl: (jobId) => url(`api/jobs/${id(jobId)}/file`).href,
  getBatch: (batchId) => request('GET', `api/batches/${id(batchId)}`),
  getCase: (caseId) => request('GET', `api/cases/${id(caseId)}`),
  postAction: (caseId, body) => request('POST', `api/cases/${id(caseId)}/actions`, { body }),
  uploadPhoto: (caseId, file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return request('POST', `api/cases/${id(caseId)}/photos`, { form });
  },
  photoBlobUrl: (path) => blobUrl(path),
  // --- 立案 cases (several 图斑 under one case number) and payments ---
  createEnforcement: (body) => request('POST', 'api/enforcements', { body }),
  getEnforcement: (enfId) => request('GET', `api/enforcements/${id(enfId)}`),
  penaliseEnforcement: (enfId, body) => request('POST', `api/enforcements/${id(enfId)}/penalty`, { body }),
  addPayment: (enfId, body) => request('POST', `api/enforcements/${id(enfId)}/payments`, { body }),
  // --- reference layers, reports, indicators ---
  references: () => getAllPages('api/references'),
  referenceFeatures: (layerId, bbox, { signal } = {}) => (bbox
    ? request('GET', `api/references/${id(layerId)}/features`, { params: { bbox: bbox.join(',') }, signal })
    : wholeLayer(layerId)),
  reportUrl: (batchId) => url(`api/batches/${id(batchId)}/report.html`).href,
  photoUrl: (path) => url(path).href,
  projects: () => getAllPages('api/projects'),
  // --- 动态巡查: findings, reports (举报), the sites layer, the deadlines ---
  /** path: 'findings' (巡查发现) or 'reports' (举报登记); 201 new, 200 existing (a resend). */
  postFinding: (path, body) => request('POST', `api/patrol/${path === 'reports' ? 'reports' : 'findings'}`, { body }),
  patrolReport: (caseId) => request('GET', `api/patrol/reports/${id(caseId)}`),
  patrolSites: (bbox, { signal } = {}) => request('GET', 'api/patrol/sites', { params: { bbox: bbox.join(',') }, signal }),
  patrolDeadlines: () => request('GET', 'api/patrol/deadlines'),
  savePatrolDeadlines: (body) => request('PUT', 'api/patrol/deadlines', { body }),
  indicators: (project, year) => request('GET', 'api/indicators', { params: { project, year } }),
};
