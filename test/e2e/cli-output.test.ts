// A command's output through writeSync(1) (src/cli/output.ts) on a pipe another process made
// non-blocking (creating process.stdout does that to the pipe it shares): when the pipe is full,
// the write fails with EAGAIN, and the rest must still arrive, in order, through the stream.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const OUTPUT = fileURLToPath(new URL('../../dist/src/cli/output.js', import.meta.url));

describe('CLI output on a full non-blocking pipe', () => {
  it('hands what EAGAIN refused to process.stdout, and every byte arrives in order', async () => {
    const lines = 200_000; // ~2.5 MB: far more than a pipe or socket buffer holds
    // process.stdout is created first (it makes fd 1 non-blocking) but not adopted: writeOut writes itself
    const script = `import { writeOut } from ${JSON.stringify(OUTPUT)};
process.stdout;
let text = '';
for (let i = 0; i < ${lines}; i++) text += \`line \${i}\\n\`;
writeOut(text);
writeOut('end\\n');
process.stderr.write(\`queued \${process.stdout.writableLength}\\n\`);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // nothing is read until the child has written all it could and queued the rest
    while (!/queued \d+/.test(stderr)) await once(child.stderr, 'data');
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stdout.resume();
    const [code] = await once(child, 'close') as [number];
    expect(code, stderr).toBe(0);
    expect(Number(/queued (\d+)/.exec(stderr)![1])).toBeGreaterThan(0);
    const out = Buffer.concat(chunks).toString().split('\n');
    expect(out).toHaveLength(lines + 2);
    expect(out[0]).toBe('line 0');
    expect(out[lines - 1]).toBe(`line ${lines - 1}`);
    expect(out[lines]).toBe('end');
    expect(out.every((l, i) => i >= lines || l === `line ${i}`)).toBe(true);
  });
});
