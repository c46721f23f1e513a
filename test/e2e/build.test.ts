// `tslab image build` as a user drives it: a multi-stage Dockerfile with every instruction builds,
// runs and prints what it should, on tslab's runtime and on runc; Debian's buildah builds the same
// Dockerfile into the same file tree and runtime config; skopeo and umoci read tslab's layers; the
// cache reuses what did not change; bad input gets one line naming the file and line, and leaves
// no container, mount or image behind.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDataRoot, tslab } from '../integration/image/registry.js';
import { diffListings, privateBuildah, treeListing, umociUnpack, writeContext } from './build-helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
}

const DOCKERFILE = `# every instruction tslab build knows, in two stages
ARG BASE=busybox
FROM \${BASE} AS build
ARG GREETING=hello
ENV APP_HOME=/opt/app \\
    MODE="release build"
LABEL org.example.stage="build"
SHELL ["/bin/sh", "-c"]
WORKDIR $APP_HOME
COPY src/ ./src/
ADD files.tar /opt/unpacked/
RUN echo "$GREETING $MODE" > greeting.txt && mkdir gen && echo generated > gen/file
RUN ["/bin/sh", "-c", "echo exec-form > exec.txt"]

FROM busybox
MAINTAINER tslab tests
COPY --from=build /opt/app/ /app/
COPY --from=build /opt/unpacked /unpacked
COPY --chown=1000:1000 data/ /data/
RUN rm /etc/group && mkdir -p /state && chmod 0700 /root
ENV GREETING_FILE=/app/greeting.txt
WORKDIR /app
EXPOSE 8080/tcp 53/udp
LABEL org.example.version="1.0" org.example.title="tslab e2e"
VOLUME ["/state"]
STOPSIGNAL SIGINT
USER 1000:1000
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat $GREETING_FILE exec.txt src/hello.txt /unpacked/inner.txt && id -u && test ! -e src/debug.log && echo no-log"]
`;

function context(): string {
  const dir = writeContext({
    Dockerfile: DOCKERFILE,
    '.dockerignore': 'src/*.log\n',
    'src/hello.txt': 'hello from the context\n',
    'src/debug.log': 'must not be copied\n',
    'src/nested/deep.txt': 'deep\n',
    'data/one.txt': 'one\n',
    'data/two.txt': 'two\n',
    'tarsrc/inner.txt': 'inner from the tar\n',
  });
  execFileSync('tar', ['-C', join(dir, 'tarsrc'), '-cf', join(dir, 'files.tar'), 'inner.txt']);
  rmSync(join(dir, 'tarsrc'), { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function dataRoot(): ReturnType<typeof tempDataRoot> {
  const d = tempDataRoot();
  cleanups.push(async () => {
    const ids = (await tslab(['container', 'ps', '-aq', '--no-trunc'], d.env)).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await tslab(['container', 'rm', '-f', ...ids], d.env);
    for (const m of mountsUnder(d.dir)) execFileSync('umount', ['-l', m]);
    d.cleanup();
  });
  return d;
}

const EXPECTED = 'hello release build\nexec-form\nhello from the context\ninner from the tar\n1000\nno-log\n';

describe.each([['tslab-runtime', undefined], ['runc', '/usr/sbin/runc']] as const)('tslab image build on %s', (_label, runtime) => {
  it('builds a multi-stage Dockerfile with every instruction; the image runs and prints what it should', async () => {
    const d = dataRoot();
    const ctx = context();
    const rt = runtime ? ['--runtime', runtime] : [];
    const trace = join(d.dir, 'build.trace');
    const r = await tslab(['--trace', trace, 'image', 'build', ...rt, '-t', 'tslabt-every', ctx], d.env);
    expect(r.code, r.stderr).toBe(0);
    if (!runtime) {
      // --trace records the steps of every RUN's runtime: three RUNs, three pivot_roots
      const pivots = readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('"step":"pivot_root"') && l.includes('"phase":"end"'));
      expect(pivots.length, 'pivot_root steps in the trace').toBe(3);
    }
    expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    expect(r.stderr).toMatch(/naming to docker\.io\/library\/tslabt-every:latest/);
    const run = await tslab(['container', 'run', '--rm', '--network', 'none', ...rt, 'tslabt-every'], d.env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(EXPECTED);
    const [inspect] = JSON.parse((await tslab(['image', 'inspect', 'tslabt-every'], d.env)).stdout) as Array<{ Config: Record<string, unknown>; Layers: unknown[] }>;
    expect(inspect!.Config).toMatchObject({
      User: '1000:1000', WorkingDir: '/app', StopSignal: 'SIGINT', Entrypoint: ['/bin/sh', '-c'],
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} }, Volumes: { '/state': {} },
      Labels: { 'org.example.version': '1.0', 'org.example.title': 'tslab e2e' },
    });
    expect(inspect!.Config.Env).toContain('GREETING_FILE=/app/greeting.txt');
    // nothing of the build is left: its containers, their mounts
    expect((await tslab(['container', 'ps', '-aq'], d.env)).stdout).toBe('');
    expect(mountsUnder(d.dir)).toEqual([]);
  });
});

describe('tslab image build against buildah bud', () => {
  it('gives the same file tree and CMD/ENTRYPOINT/ENV/USER/WORKDIR as buildah; skopeo and umoci read its layers', async () => {
    const d = dataRoot();
    const ctx = context();
    const r = await tslab(['build', '-t', 'tslabt-cmp', ctx], d.env);
    expect(r.code, r.stderr).toBe(0);
    const ours = `${join(d.dir, 'oci')}:docker.io/library/tslabt-cmp:latest`;
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${ours}`], { encoding: 'utf8' })) as { Layers: string[] };
    expect(inspected.Layers.length).toBeGreaterThan(3);
    const buildah = privateBuildah({ layoutRef: `${join(d.dir, 'oci')}:docker.io/library/busybox:latest`, name: 'docker.io/library/busybox:latest' });
    cleanups.push(() => buildah.cleanup());
    const theirs = buildah.bud(ctx, 'tslabt-cmp');
    const a = umociUnpack(ours);
    const b = umociUnpack(theirs);
    cleanups.push(() => rmSync(a, { recursive: true, force: true }), () => rmSync(b, { recursive: true, force: true }));
    // buildah 1.28 leaves the mount points its RUN containers had in their layer (empty
    // /etc/hostname, /etc/hosts, /etc/resolv.conf and /run); docker's builder and tslab leave them out
    const theirTree = treeListing(join(b, 'rootfs'));
    for (const p of ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']) {
      expect(theirTree.get(p)).toMatch(/^file \d+ 0:0 0 /);
      theirTree.delete(p);
    }
    expect(theirTree.get('/run')).toMatch(/^dir /);
    theirTree.delete('/run');
    expect(diffListings(treeListing(join(a, 'rootfs')), theirTree)).toEqual([]);
    const configOf = (ref: string): Record<string, unknown> => {
      const c = (JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${ref}`], { encoding: 'utf8' })) as { config: Record<string, unknown> }).config;
      return { Cmd: c.Cmd, Entrypoint: c.Entrypoint, Env: c.Env, User: c.User, WorkingDir: c.WorkingDir, StopSignal: c.StopSignal, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes };
    };
    expect(configOf(ours)).toEqual(configOf(theirs));
  });
});

describe('the build cache', () => {
  it('reuses every layer of an unchanged rebuild and rebuilds from a changed COPY on', async () => {
    const d = dataRoot();
    const ctx = context();
    const first = await tslab(['build', '-t', 'tslabt-cache', ctx], d.env);
    expect(first.code, first.stderr).toBe(0);
    const steps = (text: string): Array<{ label: string; result: string }> => {
      const labels = new Map<string, string>();
      const results: Array<{ label: string; result: string }> = [];
      for (const line of text.split('\n')) {
        const m = /^#(\d+) (\[.*)$/.exec(line);
        if (m) labels.set(m[1]!, m[2]!);
        const res = /^#(\d+) (CACHED|DONE.*|ERROR.*)$/.exec(line);
        if (res) results.push({ label: labels.get(res[1]!)!, result: res[2]! });
      }
      return results;
    };
    expect(steps(first.stderr).some((s) => s.result === 'CACHED')).toBe(false);
    const again = await tslab(['build', '-t', 'tslabt-cache', ctx], d.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    const all = steps(again.stderr);
    expect(all.length).toBe(25); // 10 + 15 instructions
    for (const s of all) {
      if (/\] FROM /.test(s.label)) continue;
      expect(s.result, s.label).toBe('CACHED');
    }
    writeFileSync(join(ctx, 'data/two.txt'), 'two, changed\n');
    const changed = await tslab(['build', '-t', 'tslabt-cache', ctx], d.env);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).not.toBe(first.stdout);
    const after = steps(changed.stderr).filter((s) => !/\] FROM /.test(s.label));
    const at = after.findIndex((s) => s.label.includes('COPY --chown=1000:1000 data/'));
    expect(at).toBeGreaterThan(0);
    expect(after.slice(0, at).map((s) => s.result)).toEqual(after.slice(0, at).map(() => 'CACHED'));
    for (const s of after.slice(at)) expect(s.result, s.label).toMatch(/^DONE/);
    const run = await tslab(['container', 'run', '--rm', '--network', 'none', '--entrypoint', 'cat', 'tslabt-cache', '/data/two.txt'], d.env);
    expect(run.stdout).toBe('two, changed\n');
    const noCache = await tslab(['build', '--no-cache', '-t', 'tslabt-cache', ctx], d.env);
    expect(noCache.code, noCache.stderr).toBe(0);
    expect(steps(noCache.stderr).some((s) => s.result === 'CACHED')).toBe(false);
  });

  it('on a terminal each step\'s line is rewritten in place and results are coloured', async () => {
    const d = dataRoot();
    const ctx = writeContext({ Dockerfile: 'FROM busybox\nRUN echo in-a-tty > /t\nENV A=b\n' });
    cleanups.push(() => rmSync(ctx, { recursive: true, force: true }));
    const cmd = `${process.execPath} ${join(__dirname, '../../bin/tslab')} build -t tslabt-tty ${ctx}`;
    const first = execFileSync('script', ['-qec', cmd, '/dev/null'], { env: d.env, encoding: 'utf8' });
    expect(first).toMatch(/\r\x1b\[K\x1b\[1m#3 \[stage-0 3\/3\] ENV A=b\x1b\[0m \x1b\[32mDONE/);
    const again = execFileSync('script', ['-qec', cmd, '/dev/null'], { env: d.env, encoding: 'utf8' });
    expect(again).toMatch(/#2 \[stage-0 2\/3\] RUN echo in-a-tty > \/t\x1b\[0m \x1b\[34mCACHED/);
  });

  it('--target builds only up to that stage; --build-arg reaches ARG', async () => {
    const d = dataRoot();
    const ctx = context();
    const r = await tslab(['build', '--target', 'build', '--build-arg', 'GREETING=bonjour', '-t', 'tslabt-target', ctx], d.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\[stage-1 /);
    const run = await tslab(['container', 'run', '--rm', '--network', 'none', 'tslabt-target', 'cat', '/opt/app/greeting.txt'], d.env);
    expect(run.stdout).toBe('bonjour release build\n');
  });
});

describe('bad input', () => {
  async function refused(files: Record<string, string>, pattern: RegExp, setup?: (ctx: string) => void): Promise<void> {
    const d = dataRoot();
    const ctx = writeContext(files);
    cleanups.push(() => rmSync(ctx, { recursive: true, force: true }));
    setup?.(ctx);
    const r = await tslab(['build', '-t', 'tslabt-bad', ctx], d.env);
    expect(r.code).not.toBe(0);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(pattern);
    expect(r.stdout).toBe('');
    expect((await tslab(['container', 'ps', '-aq'], d.env)).stdout).toBe('');
    expect(mountsUnder(d.dir)).toEqual([]);
    expect((await tslab(['image', 'ls', '-q'], d.env)).stdout.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1); // busybox at most
    expect((await tslab(['image', 'ls'], d.env)).stdout).not.toMatch(/tslabt-bad/);
  }

  it('an unknown instruction names the file, the line and a suggestion', async () => {
    await refused({ Dockerfile: 'FROM busybox\n\nRUN true\nCOPPY a /a\n' }, /^tslab: Dockerfile:4: unknown instruction "COPPY" \(did you mean COPY\?\)/);
  });

  it('a COPY outside the context is refused', async () => {
    await refused({ Dockerfile: 'FROM busybox\nCOPY ../secret /x\n' }, /^tslab: Dockerfile:2: COPY: "\.\.\/secret" is outside the build context/);
  });

  it('a symlink in the context pointing outside it is refused', async () => {
    await refused({ Dockerfile: 'FROM busybox\nCOPY escape /x\n' }, /^tslab: Dockerfile:2: COPY: "escape" \(a symlink to \/etc\/passwd\) points outside the build context/,
      (ctx) => symlinkSync('/etc/passwd', join(ctx, 'escape')));
  });

  it('a failing RUN shows its output and exit code and leaves nothing behind', async () => {
    const d = dataRoot();
    const ctx = writeContext({ Dockerfile: 'FROM busybox\nRUN echo made > /made\nRUN echo about to fail && exit 3\n' });
    cleanups.push(() => rmSync(ctx, { recursive: true, force: true }));
    const r = await tslab(['build', '-t', 'tslabt-fail', ctx], d.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/about to fail/);
    expect(r.stderr.trim().split('\n').pop()).toBe('tslab: Dockerfile:3: RUN: the command ["/bin/sh","-c","echo about to fail && exit 3"] exited with code 3');
    expect((await tslab(['container', 'ps', '-aq'], d.env)).stdout).toBe('');
    expect(mountsUnder(d.dir)).toEqual([]);
    expect((await tslab(['image', 'ls'], d.env)).stdout).not.toMatch(/tslabt-fail/);
  });
});
