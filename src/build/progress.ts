// Build progress, one step at a time: `#3 [build 2/5] RUN make` then `#3 CACHED` or
// `#3 DONE 0.4s layer 1a2b3c4d5e6f 12.1 kB`. On a terminal the running step's line counts its
// seconds in place (until the step prints output of its own) and results are coloured.
import { formatBytes } from '../image/progress.js';

export interface StepProgress {
  /** The step prints output of its own from now on: the live line stops updating. */
  output(): void;
  cached(): void;
  done(detail?: string): void;
  failed(): void;
}

export interface BuildProgress {
  step(label: string): StepProgress;
  note(line: string): void;
}

export function layerDetail(digest: string | undefined, size: number | undefined): string {
  return digest ? `layer ${digest.slice(7, 19)} ${formatBytes(size ?? 0)}` : 'no layer';
}

export function createBuildProgress(out: NodeJS.WriteStream, quiet: boolean): BuildProgress {
  const tty = out.isTTY === true && !quiet;
  let n = 0;
  const color = (code: number, s: string): string => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    note(line) {
      if (!quiet) out.write(`${line}\n`);
    },
    step(label) {
      const id = ++n;
      const started = Date.now();
      const head = `#${id} ${label}`;
      const secs = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
      let live = tty;
      let timer: NodeJS.Timeout | undefined;
      if (!quiet) out.write(tty ? color(1, head) : `${head}\n`);
      if (live) {
        timer = setInterval(() => out.write(`\r\x1b[K${color(1, head)} ${color(2, secs())}`), 100);
        timer.unref();
      }
      const finish = (text: string): void => {
        if (timer) clearInterval(timer);
        if (quiet) return;
        if (live) out.write(`\r\x1b[K${color(1, head)} ${text}\n`);
        else out.write(`#${id} ${text}\n`);
        live = false;
      };
      return {
        output() {
          if (!live) return;
          if (timer) clearInterval(timer);
          out.write('\n');
          live = false;
        },
        cached: () => finish(color(34, 'CACHED')),
        done: (detail) => finish(`${color(32, `DONE ${secs()}`)}${detail ? ` ${detail}` : ''}`),
        failed: () => finish(color(31, `ERROR ${secs()}`)),
      };
    },
  };
}
