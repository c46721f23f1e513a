import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../../src/oci/spec.js';
import { validateSpec, SpecError } from '../../../src/oci/validate.js';
import { normaliseCgroupPath } from '../../../src/runtime/cgroups/detect.js';
import { sharesToWeight } from '../../../src/runtime/cgroups/v2.js';
import { parseMountOptions } from '../../../src/runtime/init/rootfs.js';
import { parseSignal } from '../../../src/runtime/lifecycle/kill.js';
import { MS } from '../../../src/runtime/sys/flags.js';
import { unappliedLimits } from '../../../src/runtime/lifecycle/bundle.js';
import type { Resources } from '../../../src/oci/spec.js';

const fieldOf = (edit: (s: Record<string, any>) => void): string => {
  const spec = JSON.parse(JSON.stringify(defaultSpec())) as Record<string, any>;
  edit(spec);
  try {
    validateSpec(spec);
  } catch (err) {
    return (err as SpecError).field;
  }
  return 'valid';
};

describe('config.json validation names the bad field', () => {
  it('accepts the default spec', () => expect(fieldOf(() => {})).toBe('valid'));
  it.each([
    ['ociVersion', (s: any) => { delete s.ociVersion; }],
    ['root.path', (s: any) => { s.root = {}; }],
    ['process.cwd', (s: any) => { s.process.cwd = 'tmp'; }],
    ['process.user', (s: any) => { s.process.user = { uid: -1, gid: 0 }; }],
    ['process.capabilities.bounding', (s: any) => { s.process.capabilities.bounding = ['CAP_FLY']; }],
    ['process.rlimits[0].type', (s: any) => { s.process.rlimits = [{ type: 'RLIMIT_BOGUS', hard: 1, soft: 1 }]; }],
    ['linux.namespaces[6].type', (s: any) => { s.linux.namespaces.push({ type: 'pid' }); }],
    ['linux.uidMappings[0]', (s: any) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]; }],
    ['linux.resources.memory.limit', (s: any) => { s.linux.resources.memory = { limit: '32M' }; }],
    ['linux.resources.cpu.cpus', (s: any) => { s.linux.resources.cpu = { cpus: 'all' }; }],
    ['mounts[0].destination', (s: any) => { s.mounts[0].destination = 'proc'; }],
    ['hooks.poststart[0].path', (s: any) => { s.hooks = { poststart: [{ path: 'relative' }] }; }],
  ])('%s', (field, edit) => expect(fieldOf(edit)).toBe(field));
});

describe('helpers', () => {
  it('normalises cgroup paths, including the systemd form', () => {
    expect(normaliseCgroupPath(undefined, 'web')).toBe('/tslab/web');
    expect(normaliseCgroupPath('/a/../b', 'x')).toBe('/a/b');
    expect(normaliseCgroupPath('system.slice:tslab:web', 'web')).toBe('/system.slice/tslab-web.scope');
    expect(() => normaliseCgroupPath('/..', 'x')).toThrow(/names no cgroup/);
  });
  it('maps cpu shares to cpu.weight as the kernel documents', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
  });
  it('parses mount options into flags, propagation and data', () => {
    const o = parseMountOptions(['rbind', 'ro', 'nosuid', 'rprivate', 'mode=755']);
    expect(o.bind && o.rec).toBe(true);
    expect(o.flags).toBe(MS.MS_RDONLY | MS.MS_NOSUID);
    expect(o.propagation).toEqual([MS.MS_PRIVATE | MS.MS_REC]);
    expect(o.data).toEqual(['mode=755']);
  });
  it('parses signals by name and number', () => {
    expect(parseSignal('KILL')).toBe(9);
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('10')).toBe(10);
    expect(parseSignal(undefined)).toBe(15);
    expect(() => parseSignal('NOPE')).toThrow(/unknown signal/);
  });
});

describe('limits tslab cannot apply, read as runc reads them', () => {
  it.each([
    [{ blockIO: { weight: 0 }, cpu: { shares: 0 }, devices: [] }, []],
    [{ blockIO: { weight: 0, weightDevice: [], throttleReadBpsDevice: [] }, hugepageLimits: [], network: { classID: 0, priorities: [] } }, []],
    [{ blockIO: { weight: 500 } }, ['blockIO.weight']],
    [{ blockIO: { throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }, ['blockIO.throttleWriteBpsDevice']],
    [{ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }, ['hugepageLimits']],
    [{ network: { classID: 7 } }, ['network.classID']],
  ])('%j → %j', (res, expected) => expect(unappliedLimits(res as Resources)).toEqual(expected));
});
