// Download progress: one redrawn bar on a TTY, plain lines otherwise (CI logs, pipes).

export interface Progress {
  start(id: string, total: number): void;
  advance(id: string, bytes: number): void;
  done(id: string, note?: string): void;
  line(text: string): void;
  finish(): void;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export const silentProgress: Progress = { start() {}, advance() {}, done() {}, line() {}, finish() {} };

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return silentProgress;
  const items = new Map<string, { total: number; got: number; done: boolean }>();
  if (!stream.isTTY) {
    return {
      start(id, total) {
        items.set(id, { total, got: 0, done: false });
      },
      advance(id, bytes) {
        const it = items.get(id);
        if (it) it.got += bytes;
      },
      done(id, note) {
        const it = items.get(id);
        stream.write(`${id.replace(/^sha256:/, '').slice(0, 12)}: ${note ?? `downloaded ${formatBytes(it?.got ?? 0)}`}\n`);
      },
      line(text) {
        stream.write(`${text}\n`);
      },
      finish() {},
    };
  }
  let last = 0;
  const draw = (force = false): void => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    let total = 0;
    let got = 0;
    let finished = 0;
    for (const it of items.values()) {
      total += it.total;
      got += Math.min(it.got, it.total);
      if (it.done) finished++;
    }
    const width = 30;
    const filled = total > 0 ? Math.round((got / total) * width) : 0;
    const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}`;
    stream.write(`\r\x1b[2K[${bar}] ${formatBytes(got)}/${formatBytes(total)}  ${finished}/${items.size} blobs`);
  };
  return {
    start(id, total) {
      items.set(id, { total, got: 0, done: false });
      draw();
    },
    advance(id, bytes) {
      const it = items.get(id);
      if (it) it.got += bytes;
      draw();
    },
    done(id) {
      const it = items.get(id);
      if (it) {
        it.done = true;
        it.got = it.total;
      }
      draw(true);
    },
    line(text) {
      stream.write(`\r\x1b[2K${text}\n`);
      draw(true);
    },
    finish() {
      if (items.size > 0) {
        draw(true);
        stream.write('\n');
      }
    },
  };
}
