// docker's run flags → ContainerOptions (src/container/options.ts): what docker does with the image's
// config and the flags, and one clear UsageError for each bad value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../src/errors.js';
import { buildOptions, DEFAULT_PATH, parseMount, parseVolume, type RunFlags } from '../../../src/container/options.js';
import type { ImageConfig } from '../../../src/image/media.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tslabt-unit-options-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const image = (config: ImageConfig['config'] = {}): ImageConfig => ({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] } });
const busybox = image({ Cmd: ['sh'], Env: ['PATH=/bin', 'HOME=/root'] });

/** The UsageError's message, failing when another error (or none) comes. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('command, entrypoint and environment', () => {
  it('takes the image Cmd when no command is given, and the command line over it', () => {
    expect(buildOptions({}, busybox, [])).toMatchObject({ entrypoint: [], cmd: ['sh'] });
    expect(buildOptions({}, busybox, ['echo', 'hi'])).toMatchObject({ cmd: ['echo', 'hi'] });
  });

  it('--entrypoint replaces the image entrypoint and drops its Cmd; "" clears it', () => {
    const img = image({ Entrypoint: ['/init'], Cmd: ['--serve'] });
    expect(buildOptions({}, img, [])).toMatchObject({ entrypoint: ['/init'], cmd: ['--serve'] });
    expect(buildOptions({ entrypoint: '/bin/sh' }, img, [])).toMatchObject({ entrypoint: ['/bin/sh'], cmd: [] });
    expect(buildOptions({ entrypoint: '' }, img, ['ls'])).toMatchObject({ entrypoint: [], cmd: ['ls'] });
  });

  it('refuses to run nothing', () => {
    expect(usageError(() => buildOptions({}, image(), []))).toMatch(/no command given/);
  });

  it('merges -e over --env-file over the image, takes bare names from our environment, adds PATH and TERM', () => {
    const file = join(work, 'env');
    writeFileSync(file, '# a comment\n\nHOME=/from-file\nFROM_FILE=1\n');
    process.env.TSLABT_OPTIONS_HOST = 'host-value';
    try {
      const o = buildOptions({ envFile: [file], env: ['FROM_FILE=2', 'TSLABT_OPTIONS_HOST', 'TSLABT_UNSET_NAME'], tty: true }, image({ Cmd: ['sh'] }), []);
      expect(o.env).toEqual([DEFAULT_PATH, 'HOME=/from-file', 'FROM_FILE=2', 'TSLABT_OPTIONS_HOST=host-value', 'TERM=xterm']);
    } finally {
      delete process.env.TSLABT_OPTIONS_HOST;
    }
    expect(buildOptions({}, busybox, []).env).toEqual(['PATH=/bin', 'HOME=/root']);
  });

  it('names the bad variable and the file line', () => {
    const file = join(work, 'bad-env');
    writeFileSync(file, 'OK=1\n1BAD=2\n');
    expect(usageError(() => buildOptions({ envFile: [file] }, busybox, []))).toBe(`${file}:2: "1BAD" is not a valid environment variable name`);
    expect(usageError(() => buildOptions({ envFile: [join(work, 'absent')] }, busybox, []))).toMatch(/--env-file .*absent: cannot read it/);
    expect(usageError(() => buildOptions({ env: ['A B=1'] }, busybox, []))).toMatch(/^-e: "A B" is not a valid/);
  });
});

describe('volumes, mounts and tmpfs', () => {
  it('-v: a host path binds, a name is a named volume, :ro makes it read-only', () => {
    expect(parseVolume(`${work}:/data:ro`)).toEqual({ type: 'bind', source: work, target: '/data', readonly: true });
    expect(parseVolume('cache:/var/cache')).toEqual({ type: 'volume', source: 'cache', target: '/var/cache', readonly: false });
  });

  it('-v: says what is wrong with a bad spec', () => {
    expect(usageError(() => parseVolume('/only-one'))).toMatch(/use NAME:\/path/);
    expect(usageError(() => parseVolume('cache:relative'))).toMatch(/must be absolute/);
    expect(usageError(() => parseVolume('cache:/x:rx'))).toMatch(/mode must be ro or rw, not "rx"/);
    expect(usageError(() => parseVolume(`${work}/absent:/x`))).toMatch(/host path .*absent does not exist/);
    expect(usageError(() => parseVolume('c:/x'))).toMatch(/invalid volume name "c"/);
  });

  it('--mount: bind, volume and tmpfs with size and mode', () => {
    expect(parseMount(`type=bind,source=${work},target=/w,readonly`)).toEqual({ type: 'bind', source: work, target: '/w', readonly: true });
    expect(parseMount('type=volume,src=db,dst=/db')).toEqual({ type: 'volume', source: 'db', target: '/db', readonly: false });
    expect(parseMount('target=/db,source=db')).toMatchObject({ type: 'volume', source: 'db' });
    expect(parseMount('type=tmpfs,target=/run,tmpfs-size=64m,tmpfs-mode=1777')).toEqual(
      { type: 'tmpfs', target: '/run', readonly: false, options: [`size=${64 * 1024 * 1024}`, 'mode=1777'] });
  });

  it('--mount: says what is wrong', () => {
    expect(usageError(() => parseMount('type=bind,source=/x'))).toMatch(/give target=\/absolute\/path/);
    expect(usageError(() => parseMount('type=bind,source=rel,target=/x'))).toMatch(/a bind needs source=\/absolute\/host\/path/);
    expect(usageError(() => parseMount('type=volume,target=/x'))).toMatch(/a volume needs source=NAME/);
    expect(usageError(() => parseMount('type=tmpfs,target=/x,tmpfs-size=lots'))).toMatch(/tmpfs-size "lots" is not a size/);
    expect(usageError(() => parseMount('type=npipe,target=/x'))).toMatch(/type must be bind, volume or tmpfs, not "npipe"/);
  });

  it('keeps -v, --mount and --tmpfs in that order', () => {
    const o = buildOptions({ volume: ['v1:/a'], mount: ['type=tmpfs,target=/b'], tmpfs: ['/c:size=1m,mode=700'] }, busybox, []);
    expect(o.mounts).toEqual([
      { type: 'volume', source: 'v1', target: '/a', readonly: false },
      { type: 'tmpfs', target: '/b', readonly: false, options: [] },
      { type: 'tmpfs', target: '/c', options: ['size=1m', 'mode=700'] },
    ]);
    expect(usageError(() => buildOptions({ tmpfs: ['tmp'] }, busybox, []))).toMatch(/--tmpfs "tmp": the path must be absolute/);
  });
});

describe('network, ports and aliases', () => {
  it('defaults to the bridge and keeps valid ports and aliases', () => {
    expect(buildOptions({}, busybox, []).network).toBe('bridge');
    const o = buildOptions({ network: 'backend', publish: ['127.0.0.1:8080:80/tcp'], networkAlias: ['db'] }, busybox, []);
    expect(o).toMatchObject({ network: 'backend', ports: ['127.0.0.1:8080:80/tcp'], aliases: ['db'] });
    expect(buildOptions({}, busybox, [])).not.toHaveProperty('ports');
  });

  it('refuses what docker refuses', () => {
    expect(usageError(() => buildOptions({ network: 'bad name' }, busybox, []))).toMatch(/--network "bad name"/);
    expect(usageError(() => buildOptions({ network: 'none', publish: ['80:80'] }, busybox, []))).toMatch(/publishing ports needs a bridge network/);
    expect(usageError(() => buildOptions({ publish: ['99999:80'] }, busybox, []))).toMatch(/99999/);
    expect(usageError(() => buildOptions({ networkAlias: ['db'] }, busybox, []))).toMatch(/--network-alias works only on a user-defined network/);
    expect(usageError(() => buildOptions({ network: 'n1', networkAlias: ['-x'] }, busybox, []))).toMatch(/--network-alias "-x"/);
  });
});

describe('limits, user, workdir, hostname, capabilities', () => {
  it('parses sizes, cpus and pids', () => {
    const o = buildOptions({ memory: '64m', cpus: '0.5', pidsLimit: '-1' }, busybox, []);
    expect(o).toMatchObject({ memory: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: -1 });
  });

  it('refuses limits that make no sense', () => {
    expect(usageError(() => buildOptions({ memory: '1m' }, busybox, []))).toMatch(/--memory "1m": give a size of at least 6m/);
    expect(usageError(() => buildOptions({ memory: 'much' }, busybox, []))).toMatch(/--memory "much"/);
    expect(usageError(() => buildOptions({ cpus: '0' }, busybox, []))).toMatch(/--cpus "0"/);
    expect(usageError(() => buildOptions({ pidsLimit: '0' }, busybox, []))).toMatch(/--pids-limit "0"/);
    expect(usageError(() => buildOptions({ pidsLimit: '2.5' }, busybox, []))).toMatch(/--pids-limit "2.5"/);
  });

  it('takes user, workdir and stop signal from the image unless flags say otherwise', () => {
    const img = image({ Cmd: ['sh'], User: 'nobody', WorkingDir: '/srv', StopSignal: 'SIGQUIT' });
    expect(buildOptions({}, img, [])).toMatchObject({ user: 'nobody', cwd: '/srv', stopSignal: 'SIGQUIT' });
    expect(buildOptions({ user: '1000:1000', workdir: '/tmp' }, img, [])).toMatchObject({ user: '1000:1000', cwd: '/tmp' });
    expect(buildOptions({}, busybox, [])).toMatchObject({ user: '', cwd: '/', stopSignal: 'SIGTERM' });
    expect(usageError(() => buildOptions({ workdir: 'tmp' }, busybox, []))).toMatch(/--workdir "tmp" must be an absolute path/);
    expect(usageError(() => buildOptions({ hostname: '-web' }, busybox, []))).toMatch(/--hostname "-web"/);
  });

  it('normalises capability names (comma lists, lower case, CAP_ optional, ALL)', () => {
    const o = buildOptions({ capAdd: ['net_admin,CAP_SYS_TIME'], capDrop: ['all'] }, busybox, []);
    expect(o.capAdd).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    expect(o.capDrop).toEqual(['ALL']);
    expect(usageError(() => buildOptions({ capAdd: ['net-admin'] }, busybox, []))).toMatch(/--cap-add: "net-admin" is not a capability name/);
  });

  it('maps the run flags one to one', () => {
    const flags: RunFlags = { tty: true, interactive: true, detach: true, rm: true, readOnly: true, hostname: 'web' };
    expect(buildOptions(flags, busybox, [])).toMatchObject({ tty: true, stdin: true, detach: true, autoRemove: true, readOnly: true, hostname: 'web' });
    expect(buildOptions({}, busybox, [])).toMatchObject({ tty: false, stdin: false, detach: false, autoRemove: false, readOnly: false, hostname: '' });
  });
});
