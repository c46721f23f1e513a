// A lab's key steps: the traced steps of its containers' creation that the lab is about (the
// unshare with CLONE_NEWPID of the PID namespace lab). `tslab run` in a terminal stops there.
import type { ArgValue, TraceEvent } from '../tracer/event.js';
import type { KeyStep } from './format.js';

const text = (v: ArgValue | undefined): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The key step this begin event is, if any: the step name matches and every `match` argument does. */
export function matchKeyStep(keySteps: readonly KeyStep[], event: Pick<TraceEvent, 'step' | 'args'>): KeyStep | undefined {
  return keySteps.find((k) => k.step === event.step && Object.entries(k.match ?? {}).every(([name, want]) => {
    const have = text(event.args[name]);
    return typeof want === 'string' ? have.includes(want) : want.test(have);
  }));
}
