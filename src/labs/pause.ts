// `tslab run --pause`: where a workshop waits for Enter. Nothing runs before the first key; each
// step's checks wait too, so students predict what they will see before they see it.
import type { RunLabOptions } from './runner.js';

/** --pause: wait before anything runs, before each step, and before each step's checks (predict, then see). */
export function pausePrompts(wait: (prompt: string) => Promise<void>): Pick<RunLabOptions, 'beforeStart' | 'beforeStep' | 'beforeChecks'> {
  return {
    beforeStart: () => wait('Enter: start the lab, step 1'),
    beforeStep: (i) => (i > 0 ? wait('Enter: next step') : Promise.resolve()),
    beforeChecks: () => wait('Enter: run the checks — what will they see?'),
  };
}

