// The network gc a container command runs first: endpoints whose init died without a release
// (kill -9 of the monitor, a reboot) and those of containers that no longer exist go. It loads the
// networking code only when some endpoint exists, so a listing with nothing attached stays small.
import { existsSync } from 'node:fs';
import { listEndpoints } from '../net/endpoints.js';
import { loadSettings } from '../net/settings.js';
import { containerDir } from './record.js';

/** Container ids that exist right now: checked when gc asks, so a container created meanwhile counts. */
class ExistingContainers extends Set<string> {
  constructor(private readonly root: string) {
    super();
  }

  override has(id: string): boolean {
    return existsSync(containerDir(this.root, id));
  }
}

/**
 * Removes endpoints whose init died without a release (kill -9 of the monitor, a reboot) and those
 * of containers that no longer exist. Cheap when nothing is attached; needs root (netlink).
 */
export async function collectNetworks(dataRoot: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const settings = loadSettings();
  if (listEndpoints(settings.root).length === 0) return;
  const { gcNetworks } = await import('../net/gc.js');
  gcNetworks({ liveContainers: new ExistingContainers(dataRoot) }, settings);
}
