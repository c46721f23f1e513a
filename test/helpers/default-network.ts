// Labs and a few end-to-end tests run containers on tslab's default network (bridge tslab0 and the
// nft table `ip tslab`, leased from /var/lib/tslab). A test file that brought them up takes them
// down again, so the machine ends as it began, and so that tests with a data root of their own (a
// different owner of tslab0) do not depend on the order in which files run.
import { afterAll } from 'vitest';
import { loadSettings, resetNetworking } from '../../src/net/index.js';
import { defaultNetworkState } from './leftovers.js';

/** Registers an afterAll that removes the default bridge and table if this file brought them up. */
export function removeDefaultNetworkAfterAll(): void {
  const before = defaultNetworkState();
  afterAll(() => {
    const now = defaultNetworkState();
    if ((now.bridge && !before.bridge) || (now.table && !before.table)) {
      resetNetworking(loadSettings({ ...process.env, TSLAB_DATA_ROOT: undefined, TSLAB_CONFIG: undefined }));
    }
  });
}
