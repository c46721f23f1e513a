import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig, parseSize } from '../../../src/config/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configFile(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'tslabt-config-'));
  dirs.push(d);
  writeFileSync(join(d, 'config.json'), text);
  return join(d, 'config.json');
}

describe('/etc/tslab/config.json', () => {
  it('reads every known key', () => {
    const c = parseConfig({ dataRoot: '/srv/tslab', registryMirrors: ['http://127.0.0.1:5000/'], insecureRegistries: ['reg.lan:5000'], logMaxSize: '20m', runtime: '/usr/sbin/runc' }, 'x');
    expect(c).toEqual({ dataRoot: '/srv/tslab', registryMirrors: ['http://127.0.0.1:5000'], insecureRegistries: ['reg.lan:5000'], logMaxSize: 20 * 1024 * 1024, runtime: '/usr/sbin/runc' });
  });
  it.each([
    [{ dataroot: '/x' }, /unknown key "dataroot" \(known keys: dataRoot, registryMirrors/],
    [{ dataRoot: 'relative' }, /"dataRoot" must be an absolute path/],
    [{ registryMirrors: 'http://x' }, /"registryMirrors" must be a list of strings/],
    [{ registryMirrors: ['ftp://x'] }, /mirror "ftp:\/\/x" must be a URL/],
    [{ logMaxSize: 'big' }, /"logMaxSize" must be a size/],
    [[], /must be a JSON object/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseConfig(raw, '/etc/tslab/config.json')).toThrow(message);
  });
  it('uses TSLAB_CONFIG and lets TSLAB_DATA_ROOT win; a broken file is one clear error', () => {
    const path = configFile('{"dataRoot": "/srv/a"}');
    expect(loadConfig({ TSLAB_CONFIG: path }).dataRoot).toBe('/srv/a');
    expect(loadConfig({ TSLAB_CONFIG: path, TSLAB_DATA_ROOT: '/tmp/b' }).dataRoot).toBe('/tmp/b');
    expect(() => loadConfig({ TSLAB_CONFIG: configFile('{oops') })).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ TSLAB_CONFIG: '/nonexistent/tslabt.json' })).toThrow(/cannot read the config \/nonexistent\/tslabt.json: ENOENT/);
  });
  it('parses sizes', () => {
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('1.5m')).toBe(1.5 * 1024 * 1024);
    expect(parseSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseSize('x')).toBeUndefined();
  });
});
