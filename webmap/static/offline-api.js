// The API client with the offline task pack behind it: a read that fails for want of a
// connection is answered from the pack kept on the phone (offline-pack.js), so the batches,
// the map's 图斑, a 图斑's detail, 我的任务 and the nearby reference features still show.
// Only NETWORK_ERROR falls back: a 401, 403 or 404 from the server is its answer, never hidden.
// Answers from the pack carry `offline: true`.

/** withOfflinePack(api, pack) → an api of the same shape. */
export function withOfflinePack(api, pack) {
  const fallback = (call, fromPack) => async (...args) => {
    try {
      return await call(...args);
    } catch (err) {
      if (err.code !== 'NETWORK_ERROR') throw err;
      const kept = await fromPack(...args).catch(() => null);
      if (kept === null || kept === undefined) throw err;
      return kept;
    }
  };
  const list = (data) => (data ? { data, count: data.length, next: null, offline: true } : null);
  return {
    ...api,
    batches: fallback(api.batches, async () => list(await pack.batches())),
    tasks: fallback(api.tasks, async () => list(await pack.tasks())),
    features: fallback(api.features, async (batchId, params = {}) => pack.features(
      batchId, params.bbox ? String(params.bbox).split(',').map(Number) : null)),
    getCase: fallback(async (id) => {
      const c = await api.getCase(id);
      pack.remember(c); // the pack follows what was last seen online
      return c;
    }, async (id) => {
      const c = await pack.getCase(id);
      return c ? { ...c, offline: true } : null;
    }),
    caseExtent: fallback(api.caseExtent, (id) => pack.extent(id)),
    references: fallback(api.references, async () => {
      const layers = await pack.references();
      // The layers as GET /api/references lists them (the features stay in the pack).
      return list(layers && layers.map(({ features: _f, type: _t, ...layer }) => layer));
    }),
    referenceFeatures: fallback(api.referenceFeatures, (layerId, bbox) => pack.referenceFeatures(layerId, bbox)),
  };
}
