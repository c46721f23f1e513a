// A lab step's task: tell the student what to do and where, then poll its check until it holds
// (their deadline, or Ctrl-C to skip), showing the hint that fits what the check sees. Without a
// student (tslab test, no terminal) the reference solution runs first and the check gets a short deadline.
import type { CheckOutcome, LabEvent } from './events.js';
import type { CommandResult, LabContext, Step, Task, Verdict } from './format.js';

export const STUDENT_DEADLINE_MS = 10 * 60_000;
/** after the solution ran, the check must hold soon: a control that breaks it fails within this */
export const SOLVED_DEADLINE_MS = 15_000;
/** how often the check is polled: a student types for seconds; a solution is done in milliseconds */
const POLL_MS = { student: 400, solution: 25 } as const;

export interface TaskRun {
  by: 'student' | 'solution';
  /** the lab's id, for the shell command shown */
  lab: string;
  /** set while the student works: aborts the wait (Ctrl-C skips the task) */
  skip?: AbortSignal;
  emit(e: LabEvent): void;
  inside(container: string, sh: string): Promise<CommandResult>;
  outside(sh: string): Promise<CommandResult>;
}

/** The hint for what the check saw: the first whose `when` matches, else the check's own hint. */
export function hintFor(task: Task, seen: string): string | undefined {
  const found = task.hints?.find((h) => (typeof h.when === 'string' ? seen.includes(h.when) : h.when.test(seen)));
  if (found) return found.say;
  return typeof task.check.hint === 'function' ? task.check.hint(seen) : task.check.hint;
}

function deadline(task: Task, by: TaskRun['by']): number {
  if (by === 'solution') return SOLVED_DEADLINE_MS;
  const env = Number(process.env.TSLAB_TASK_DEADLINE_MS);
  return Number.isFinite(env) && env > 0 ? env : task.deadlineMs ?? STUDENT_DEADLINE_MS;
}

export async function runTask(step: Step, task: Task, ctx: LabContext, run: TaskRun): Promise<CheckOutcome> {
  const where = task.in ? `sudo tslab lab shell ${run.lab} ${task.in}` : 'a shell on the host (as root)';
  const limit = deadline(task, run.by);
  run.emit({ type: 'task', instruction: task.instruction, where, command: task.command, by: run.by, deadlineMs: limit });
  if (run.by === 'solution') {
    const r = task.in ? await run.inside(task.in, task.solution) : await run.outside(task.solution);
    if (r.code !== 0) {
      const said = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
      throw new Error(`the reference solution of the task "${task.check.title}" exited ${r.code ?? r.signal}${said ? `: ${said}` : ''}`);
    }
  }
  const t0 = Date.now();
  let lastSeen: string | undefined;
  const probe = async (): Promise<Verdict | Error> => {
    try {
      const v = await task.check.verify(ctx);
      if (!v.ok && v.seen !== lastSeen && run.by === 'student') {
        const hint = hintFor(task, v.seen);
        if (hint) run.emit({ type: 'task-hint', say: hint, seen: v.seen });
      }
      lastSeen = v.seen;
      return v;
    } catch (err) {
      return err as Error;
    }
  };
  const last = await ctx.pollUntil(probe, (v) => (!(v instanceof Error) && v.ok) || run.skip?.aborted === true, limit, POLL_MS[run.by]);
  const base = { step: step.title, title: task.check.title, from: task.check.from, durationMs: Date.now() - t0 };
  if (last instanceof Error) return { ...base, status: 'error', error: `check threw: ${last.message}` };
  if (last.ok) return { ...base, status: 'pass', expected: last.expected, seen: last.seen };
  const why = run.skip?.aborted ? 'skipped (Ctrl-C)' : `not done within ${Math.round(limit / 1000)} s`;
  return { ...base, status: 'fail', expected: last.expected, seen: `${last.seen} — ${why}`, hint: hintFor(task, last.seen) };
}
