// HTTP client for the Tuban API (docs/api.md). URLs are relative to the page so the app
// also works behind a reverse proxy that mounts it under a sub-path.

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

function url(path, params) {
  const u = new URL(path.replace(/^\//, ''), document.baseURI);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null) u.searchParams.set(k, v);
  }
  return u;
}

async function request(method, path, { params, body, signal } = {}) {
  let response;
  try {
    response = await fetch(url(path, params), {
      method,
      headers: body === undefined
        ? { Accept: 'application/json' }
        : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal && signal.aborted) throw err;
    throw new ApiError(0, 'NETWORK_ERROR', '无法连接服务器，请检查网络后重试。', { cause: String(err) });
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const env = data && data.error;
    if (env && env.message) {
      throw new ApiError(response.status, env.code || 'ERROR', env.message, env.details);
    }
    throw new ApiError(response.status, 'HTTP_' + response.status,
      `服务器返回错误（HTTP ${response.status}），请稍后重试或联系管理员。`);
  }
  return data;
}

export const api = {
  batches: () => request('GET', 'api/batches'),
  features: (batchId) => request('GET', `api/batches/${encodeURIComponent(batchId)}/features`),
  getCase: (caseId) => request('GET', `api/cases/${encodeURIComponent(caseId)}`),
  postAction: (caseId, body) =>
    request('POST', `api/cases/${encodeURIComponent(caseId)}/actions`, { body }),
  references: () => request('GET', 'api/references'),
  referenceFeatures: (layerId, bbox, { signal } = {}) =>
    request('GET', `api/references/${encodeURIComponent(layerId)}/features`,
      { params: { bbox: bbox.join(',') }, signal }),
  reportUrl: (batchId) => url(`api/batches/${encodeURIComponent(batchId)}/report.html`).href,
  projects: () => request('GET', 'api/projects'),
  indicators: (project, year) => request('GET', 'api/indicators', { params: { project, year } }),
};
