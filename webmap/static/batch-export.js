// The batch export control in the header (docs/exports.md): a format and a button that
// downloads the current batch in it. Fetched with the token like the report files, so a
// refusal or failure shows in words instead of a JSON page.

import { download } from './dashboard-api.js';
import { t } from './messages.js';

/** Wire the control: {format, button, status} elements, currentBatch() → the batch or null. */
export function wireBatchExport({ format, button, status }, currentBatch) {
  button.addEventListener('click', async () => {
    const batch = currentBatch();
    if (!batch) return;
    button.disabled = true;
    status.textContent = t('batch-export.exporting');
    try {
      const path = `api/batches/${encodeURIComponent(batch.id)}/export`;
      const { name } = await download(path, { format: format.value }, `batch-${batch.id}`);
      status.textContent = t('batch-export.exported', { name });
    } catch (err) {
      status.textContent = t('batch-export.exportFailed', { message: err.message });
    } finally {
      button.disabled = false;
    }
  });
}
