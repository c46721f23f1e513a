// The monitor of a container, small enough to leave one per detached container. Its programs are
// src/container/monitor.pl and monitor.sh, run from the package's sources.
//
// With perl (perl-base is part of every Debian/Ubuntu system) the monitor makes itself a child
// subreaper (prctl PR_SET_CHILD_SUBREAPER), runs the runtime's `create`, waits for tslab's word on
// the go pipe (fd TSLAB_GO_FD) — tslab attaches the network to the created init in between —
// then runs `start` and lets the runtime exit: the container's init is re-parented to the
// monitor, which waits for it and so learns its exit status. Resident: one perl (~5 MB) — no
// runtime process stays behind. Anything but "start" on the go pipe (or its end: tslab died)
// deletes the created container instead. Without perl, a shell does the same but can only poll
// the init, so the exit status is unknown (255).
//
// Detached, the container writes straight into its log, the log is kept under logMaxSize, and at
// the end the monitor records the exit status in the exit file (after releasing the network with
// `TSLAB_BIN network disconnect`), deletes the runtime state, unmounts the rootfs and, with --rm
// (once tslab saw the container start), removes it. In the foreground (TSLAB_FG=1) the container
// shares the monitor's stdio (tslab's pipes), the monitor ignores ^C (tslab forwards it to the
// container) and exits with the container's status.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from '../env.js';
import { packageRoot } from '../oci/runtime-cli.js';

/** prctl's system call number, for perl's syscall(). */
const PRCTL_NR: Record<string, number> = { x64: 157, arm64: 167, riscv64: 167, arm: 172, s390x: 172, ppc64: 171, ia32: 172 };

export interface ShimCommand {
  program: string;
  args: string[];
  extraEnv: Record<string, string>;
}

/**
 * A monitor program, read from the package's sources: the same file whether this module runs from
 * src, dist/src or a bundle in dist (a build copies nothing, so a fresh clone after `npm ci` has it).
 */
export function monitorProgram(file: 'monitor.pl' | 'monitor.sh'): string {
  const path = join(packageRoot(), 'src', 'container', file);
  if (!existsSync(path)) throw new Error(`the container monitor ${path} is missing: reinstall tslab`);
  return path;
}

/** The monitor to spawn for one container; TSLAB_SHIM=sh forces the shell one. */
export function shimCommand(): ShimCommand {
  const perl = ['/usr/bin/perl', '/bin/perl'].find((p) => existsSync(p));
  const nr = PRCTL_NR[process.arch];
  if (perl && nr !== undefined && process.env[ENV.SHIM] !== 'sh') {
    return { program: perl, args: [monitorProgram('monitor.pl')], extraEnv: { [ENV.PRCTL_NR]: String(nr) } };
  }
  return { program: '/bin/sh', args: [monitorProgram('monitor.sh')], extraEnv: {} };
}
