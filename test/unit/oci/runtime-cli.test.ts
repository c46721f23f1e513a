// The one runtime client: which program a --runtime name means, and one error type when there is none.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { defaultRuntimePath, resolveRuntime, RuntimeCli, runtimeMessage } from '../../../src/oci/runtime-cli.js';

describe('resolveRuntime', () => {
  it('takes unset, ours, tslab and tslab-runtime for bin/tslab-runtime', () => {
    expect(defaultRuntimePath()).toMatch(/\/bin\/tslab-runtime$/);
    expect(existsSync(defaultRuntimePath())).toBe(true);
    for (const name of [undefined, 'ours', 'tslab', 'tslab-runtime']) expect(resolveRuntime(name)).toBe(defaultRuntimePath());
  });

  it('finds a bare name on PATH and keeps a path as given', () => {
    expect(resolveRuntime('sh')).toMatch(/\/sh$/);
    expect(resolveRuntime('/bin/sh')).toBe('/bin/sh');
  });

  it('says what was wrong with a UsageError', () => {
    expect(() => resolveRuntime('/nonexistent/runc')).toThrow(UsageError);
    expect(() => resolveRuntime('/nonexistent/runc')).toThrow(/runtime "\/nonexistent\/runc" not found: give the path/);
    expect(() => resolveRuntime('tslabt-no-such-runtime')).toThrow(/runtime "tslabt-no-such-runtime" not found on PATH/);
  });
});

describe('RuntimeCli', () => {
  it('runs `runtime --root ROOT args…`, and mustRun turns a failure into a UsageError with what the runtime said', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-eng-cli-'));
    try {
      const fake = join(dir, 'fake-runtime');
      writeFileSync(fake, '#!/bin/sh\necho "$@"\n[ "$3" = fail ] && { echo \'time="x" level=error msg="it \\"broke\\""\' >&2; exit 3; }\nexit 0\n', { mode: 0o755 });
      const cli = new RuntimeCli(fake, '/run/x', { traceFile: '/tmp/t.jsonl' });
      expect(cli.env.TSLAB_TRACE).toBe('/tmp/t.jsonl');
      expect((await cli.run(['state', 'c1'])).stdout.trim()).toBe('--root /run/x state c1');
      expect(cli.runSync(['state', 'c1'], 'state')).toBe('--root /run/x state c1\n');
      await expect(cli.mustRun('making c1', ['fail'])).rejects.toThrow(UsageError);
      await expect(cli.mustRun('making c1', ['fail'])).rejects.toThrow(/making c1 failed: .* exited 3: .*it "broke"/);
      expect(() => cli.runSync(['fail'], 'making c1')).toThrow(/making c1: fake-runtime failed: it "broke"/);
      expect(cli.state('c1')).toBeUndefined(); // not JSON
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps runc\'s log message and leaves other lines alone', () => {
    expect(runtimeMessage('time="2024" level=error msg="container not running"')).toBe('container not running');
    expect(runtimeMessage('plain words')).toBe('plain words');
  });
});
