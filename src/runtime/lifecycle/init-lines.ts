// One line from the init (its pipe before created, exec.fifo after): a trace event, relayed to
// this process's sinks, or a message for the caller. The init stamps its host pid on its events.
import { tracer } from '../../tracer/tracer.js';
import { isTraceEvent } from '../../tracer/event.js';
import type { InitMessage } from '../init/channel.js';

export function handleInitLine(line: string): InitMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (isTraceEvent(parsed)) {
    tracer.relay(parsed);
    return undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && 'msg' in parsed) return parsed as InitMessage;
  return undefined;
}
