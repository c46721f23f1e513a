// The trace a tslab runtime appends to TSLAB_TRACE while the lab drives it: read it incrementally,
// whole lines only (a runtime may be writing the next one).
import { readFileSync } from 'node:fs';
import { isTraceEvent, type TraceEvent } from '../tracer/event.js';

export class RuntimeTraceReader {
  private offset = 0;

  constructor(readonly file: string) {}

  /** The events written since the last call (none when the runtime does not trace, like runc). */
  readNew(): TraceEvent[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const fresh = text.slice(this.offset);
    const end = fresh.lastIndexOf('\n');
    if (end < 0) return [];
    this.offset += end + 1;
    return fresh.slice(0, end).split('\n').flatMap((line) => {
      try {
        const e = JSON.parse(line) as unknown;
        return isTraceEvent(e) ? [e] : [];
      } catch {
        return [];
      }
    });
  }
}
