// The overlay a lab mounts as a container's root: lower = the image's root filesystem (shared),
// upper and work = this container's own folders. The lab, not the runtime, mounts it, so students
// can look at upper and lower from the host while the container writes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MNT, sys } from '../runtime/sys/index.js';

export interface OverlayMount {
  /** lowerdir as mounted: one folder, or several joined with ':' (top layer first) */
  lower: string;
  upper: string;
  work: string;
  merged: string;
}

export function mountOverlay(lower: string, scratch: string): OverlayMount {
  const o = { lower, upper: join(scratch, 'upper'), work: join(scratch, 'work'), merged: join(scratch, 'merged') };
  for (const d of [o.upper, o.work, o.merged]) mkdirSync(d, { recursive: true });
  sys.mount('overlay', o.merged, 'overlay', 0, `lowerdir=${o.lower},upperdir=${o.upper},workdir=${o.work}`);
  return o;
}

export function unmountOverlay(o: OverlayMount): void {
  sys.umount2(o.merged, MNT.MNT_DETACH);
}
