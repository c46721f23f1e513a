// A lab container written as `tslab container run` takes it (network: 'bridge', ports, tmpfs): the
// engine attaches it between create and start and releases veth, lease and port rules at the end,
// with our runtime and with runc.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { listEndpoints, loadSettings } from '../../../src/net/index.js';
import { leftoversOf, ROOT, tslab } from '../../e2e/lab-helpers.js';
import { removeDefaultNetworkAfterAll } from '../../helpers/default-network.js';

removeDefaultNetworkAfterAll(); // the lab brings up tslab0 on the default data root

const FIXTURE = join(ROOT, 'test/e2e/lab-fixtures/engine');
const defaultRoot = (): string => loadSettings({ ...process.env, TSLAB_DATA_ROOT: undefined, TSLAB_CONFIG: undefined }).root;

describe.skipIf(process.getuid?.() !== 0)('lab containers on a bridge network (needs root)', () => {
  it.each(['tslab', 'runc'])('%s: the published port answers, and nothing of the network is left', async (runtime) => {
    const prefix = `tslabt-engnet-${runtime.slice(0, 2)}-`;
    const r = await tslab(['test', FIXTURE, '--runtime', runtime, '--name-prefix', prefix]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ok   Ask the host port › the published port answers from the container');
    expect(listEndpoints(defaultRoot()).filter((e) => e.id.startsWith(prefix))).toEqual([]);
    expect(leftoversOf(prefix)).toEqual([]);
  }, 120_000);
});
