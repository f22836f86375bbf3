// Distances from the verifier to 图斑 centres, and 我的任务 in distance order (DOM-free).

import { inverse } from './geo-math.js';

/** {distance, bearing} from a position {lon, lat} to a centre [lon, lat], or null. */
export function relation(position, centre) {
  if (!position || !Array.isArray(centre) || centre.length !== 2 || !centre.every(Number.isFinite)) return null;
  return inverse([position.lon, position.lat], centre);
}

/**
 * Tasks in the order asked: 'due' keeps the server's (overdue first, then due date); 'distance'
 * sorts by metres from ``position``, nearest first, ties and tasks without a centre in the
 * server's order after them. Returns [{task, distance|null, bearing|null}].
 */
export function orderTasks(tasks, position, order = 'due') {
  const rows = tasks.map((task, i) => {
    const r = relation(position, task.centre);
    return { task, i, distance: r ? r.distance : null, bearing: r ? r.bearing : null };
  });
  if (order === 'distance' && position) {
    rows.sort((a, b) => {
      if (a.distance === null || b.distance === null) {
        return (a.distance === null) - (b.distance === null) || a.i - b.i;
      }
      return a.distance - b.distance || a.i - b.i;
    });
  }
  return rows.map(({ task, distance, bearing }) => ({ task, distance, bearing }));
}
