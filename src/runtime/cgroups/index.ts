import { cgroupMode, normaliseCgroupPath } from './detect.js';
import { CgroupV1 } from './v1.js';
import { CgroupV2 } from './v2.js';
import type { CgroupManager } from './types.js';

export type { CgroupManager, CgroupMode, CgroupStats } from './types.js';
export { cgroupMode, normaliseCgroupPath } from './detect.js';
export { cgroupOf, membershipOf, ProcessCgroup, type CgroupFileName, type Membership } from './process.js';

/** The manager for this kernel's layout, for a path already normalised. */
export function cgroupManager(path: string): CgroupManager {
  return cgroupMode() === 'v2' ? new CgroupV2(path) : new CgroupV1(path);
}

export function cgroupManagerFor(cgroupsPath: string | undefined, id: string): CgroupManager {
  return cgroupManager(normaliseCgroupPath(cgroupsPath, id));
}
