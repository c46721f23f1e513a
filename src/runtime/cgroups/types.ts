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
  /** Whether the cgroup is frozen (or freezing), whoever froze it: us, an engine, an administrator. */
  isFrozen(): boolean;
  pids(): number[];
  stats(): CgroupStats;
  /**
   * Kills what is left and removes the directories, but leaves those in `keep` as they are: cgroups
   * that held processes before the container came (cgroupsPath naming someone else's), as runc does.
   * Returns one line for each directory it could not remove (a sub-cgroup still in use), and why.
   */
  destroy(keep?: string[]): Promise<string[]>;
}
