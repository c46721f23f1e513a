// `tslab explain STEP`: the catalogue entry a student reads beside a traced step, without running
// anything. Accepts step names (pivot_root, cgroup.write, netlink.RTM_NEWLINK), cgroup files
// (memory.max: shown as the cgroup.write of that file) and namespace flags (CLONE_NEWPID: unshare).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { EXPLAINED_STEPS, explain } from '../../explain/index.js';
import { cgroupFileNotes } from '../../explain/kernel-files.js';
import { explanationLines } from '../../explain/lines.js';
import type { ArgValue } from '../../tracer/event.js';

const paint: Record<string, string> = { cyan: '1;36', yellow: '33', gray: '2' };

/** The step (and arguments) a name stands for, or undefined when the catalogue does not know it. */
export function lookUp(name: string): { step: string; args: Record<string, ArgValue> } | undefined {
  if (explain(name)) return { step: name, args: {} };
  if (cgroupFileNotes[name]) return { step: 'cgroup.write', args: { path: `/sys/fs/cgroup/<container>/${name}` } };
  if (/^CLONE_NEW[A-Z]+$/.test(name)) return { step: 'unshare', args: { flags: name } };
  if (/^RTM_[A-Z]+$/.test(name) && explain(`netlink.${name}`)) return { step: `netlink.${name}`, args: {} };
  const underscored = name.replace(/-/g, '_');
  if (explain(underscored)) return { step: underscored, args: {} };
  return undefined;
}

/** The entry as text, coloured like the TUI's detail pane when `color`. */
export function explainText(name: string, width: number, color: boolean): string {
  const found = lookUp(name);
  if (!found) {
    const near = [...EXPLAINED_STEPS, ...Object.keys(cgroupFileNotes)].filter((s) => s.includes(name) || name.includes(s.split('.')[0]!));
    throw new UsageError(`no explanation for "${name}"${near.length ? `; did you mean ${near.slice(0, 6).join(', ')}?` : ''} (tslab explain --list shows every step name)`);
  }
  const header = found.step === name ? name : `${name} (step ${found.step})`;
  const lines = [color ? `\x1b[1m${header}\x1b[0m` : header];
  for (const l of explanationLines(found.step, found.args, width)) {
    const code = l.color ? paint[l.color] : l.dim ? '2' : undefined;
    lines.push(color && code ? `\x1b[${code}m${l.text}\x1b[0m` : l.text);
  }
  return `${lines.join('\n')}\n`;
}

export function registerExplain(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  program.command('explain')
    .description('print the explanation of a traced step (pivot_root, memory.max, CLONE_NEWPID…), as the TUI shows it')
    .argument('[step]', 'a step name, a cgroup file or a CLONE_NEW* flag')
    .option('--list', 'list every step name the catalogue explains')
    .action((step: string | undefined, opts: { list?: boolean }) => {
      if (opts.list) {
        process.stdout.write(`${EXPLAINED_STEPS.join('\n')}\nhook.<name>\nnetlink.<RTM_MESSAGE>\n`);
        return;
      }
      if (!step) throw new UsageError('tslab explain: name a step, e.g. `tslab explain pivot_root` (--list shows them all)');
      const width = Math.max(40, Math.min(100, process.stdout.columns ?? 100));
      process.stdout.write(explainText(step, width, process.stdout.isTTY === true && !process.env.NO_COLOR));
    });
}
