import type { Resources } from '../../oci/spec.js';

export type CgroupMode = 'v1' | 'v2';

export interface CgroupStats {
  memoryBytes?: number;
  memoryLimit?: number;
  oomKills?: number;
  pids?: number;
  pidsLimit?: number;
  cpuUsageUsec?: number;
  throttledPeriods?: number;
  /** Bytes read from and written to block devices. */
  blockRead?: number;
  blockWrite?: number;
}

/** One interface, two implementations (v1: a hierarchy per controller; v2: one unified tree). */
export interface CgroupManager {
  readonly mode: CgroupMode;
  /** The cgroup path relative to the hierarchy root, e.g. /tslab/web. */
  readonly path: string;
  /** Directories this manager created or uses, one per hierarchy. */
  dirs(): string[];
  create(): void;
  apply(resources: Resources | undefined): void;
  addProcess(pid: number): void;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  pids(): number[];
  stats(): CgroupStats;
  destroy(): Promise<void>;
}
