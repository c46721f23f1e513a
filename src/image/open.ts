// Opening the image store, apart from pulling and unpacking: `tslab image ls` and the like load
// only this and the store, not the registry client or the layer tools.
import { loadConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { ImageStore } from './store.js';

let stores = new Map<string, ImageStore>();

/** The store under the configured data root (TSLAB_DATA_ROOT wins). */
export function openStore(dataRoot = loadConfig().dataRoot): ImageStore {
  let store = stores.get(dataRoot);
  if (!store) {
    try {
      store = new ImageStore(dataRoot);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new UsageError(`cannot write the data root ${dataRoot} (${code}): run as root, or point TSLAB_DATA_ROOT or "dataRoot" in /etc/tslab/config.json at a folder you own`);
      }
      throw err;
    }
    stores.set(dataRoot, store);
  }
  return store;
}

/** For tests that remove a data root between cases. */
export function forgetStores(): void {
  stores = new Map();
}
