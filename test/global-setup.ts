// Runs once around the whole suite: the build must exist (tests drive the real CLI in dist/),
// and after the suite nothing tslab made may be left on the machine.
import { existsSync } from 'node:fs';
import { defaultNetworkLeftovers, defaultNetworkState, leftovers, sysvIpcLeftovers, sysvIpcObjects, type DefaultNetworkState } from './helpers/leftovers.js';

let networkBefore: DefaultNetworkState = { bridge: false, table: false };
let ipcBefore: string[] = [];

export function setup(): void {
  if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)');
  }
  networkBefore = defaultNetworkState();
  ipcBefore = sysvIpcObjects();
}

export function teardown(): void {
  const left = [...leftovers(), ...defaultNetworkLeftovers(networkBefore), ...sysvIpcLeftovers(ipcBefore)];
  if (left.length > 0) {
    throw new Error(`the test suite left these behind:\n  ${left.join('\n  ')}`);
  }
}
