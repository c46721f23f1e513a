// The explanations catalogue: for every step name the runtime can emit, what it does, why a
// container needs it, what breaks without it, and the man page.
import { syscallExplanations } from './syscalls.js';
import { kernelFileExplanations } from './kernel-files.js';
import { runtimeStepExplanations } from './runtime-steps.js';
import { hookExplanation, lifecycleExplanations, narrationExplanations, netlinkExplanation } from './lifecycle.js';
import type { Explanation } from './types.js';

export type { Explanation } from './types.js';
export { eventNotes } from './notes.js';

const exact: Record<string, Explanation> = {
  ...syscallExplanations,
  ...kernelFileExplanations,
  ...lifecycleExplanations,
  ...narrationExplanations,
  ...runtimeStepExplanations,
};

/** Step names with their own entry (families such as hook.* and netlink.* are matched by prefix). */
export const EXPLAINED_STEPS: readonly string[] = Object.keys(exact).sort();

/** Step-name families explained by pattern: `hook.<name>` and `netlink.<RTM_MESSAGE>`. */
export const EXPLAINED_FAMILIES: readonly string[] = ['hook.', 'netlink.'];

/** The explanation of a step name, or undefined when the catalogue has none (a test forbids that). */
export function explain(step: string): Explanation | undefined {
  const found = exact[step];
  if (found) return found;
  if (step.startsWith('hook.') && step.length > 5) return hookExplanation(step.slice(5));
  if (/^netlink\.RTM_[A-Z]+$/.test(step)) return netlinkExplanation(step.slice(8));
  return undefined;
}
