// Starting a process of ours that will live in a container's namespaces (the init, the exec helper,
// util-linux nsenter) so that nothing inside can reach the host through it: CVE-2019-5736's pattern
// (open /proc/<pid>/exe, keep it, rewrite the host's binary once it no longer runs). Two layers,
// explained in docs/process-model.md:
// 1. Non-dumpable from its first instruction. The runtime makes itself non-dumpable (a fork child
//    inherits that), and this thread spawns with its effective gid != its real gid: execve then
//    keeps the new program non-dumpable, as for a set-gid program. The child takes its gid back and
//    says PR_SET_DUMPABLE 0 itself before anything else (init/bootstrap.ts). /proc/<pid>/exe, fd/,
//    environ, mem and ptrace then need CAP_SYS_PTRACE over the host's user namespace.
// 2. The binary is exec'd from a read-only bind mount that is in no mount namespace (open_tree):
//    a process that may open /proc/<pid>/exe (CAP_SYS_PTRACE) can read it but never write through
//    it (EROFS), not while it runs, not after. No copy: ~0.1 ms per process, no memory.
import { writeSync } from 'node:fs';
import { PR, sys } from '../sys/index.js';

const sealed = new Map<string, number>();
let runtimeHidden = false;

/** /proc/self/fd/N of a read-only detached bind mount of `binary` (made once per process and binary). */
export function sealedExecutable(binary: string): { path: string; fd: number } {
  let fd = sealed.get(binary);
  if (fd === undefined) {
    fd = sys.openDetachedReadonly(binary);
    sealed.set(binary, fd);
  }
  return { path: `/proc/self/fd/${fd}`, fd };
}

/**
 * Runs `spawnIt` (a libuv spawn: fork+exec on this thread) so that the child is never dumpable.
 * `setgidExec: false` for a child bound for a user namespace: kernels before ~6.15 treat an exec
 * with egid != rgid as set-gid and clear the ambient capabilities `unshare --keep-caps` hands on
 * (the init then cannot become the namespace's root); nothing in a user namespace has
 * CAP_SYS_PTRACE over the host, so the fork's non-dumpable flag and the child's own prctl suffice.
 */
export function spawnUnreachable<T>(spawnIt: () => T, setgidExec = true): T {
  if (!runtimeHidden) {
    sys.prctl(PR.PR_SET_DUMPABLE, 0, 0, 0, 0, '0 (the runtime itself: what it forks starts non-dumpable)');
    runtimeHidden = true;
  }
  if (!setgidExec) return spawnIt();
  const egid = process.getegid!();
  const rgid = process.getgid!();
  sys.setEgidOfThisThread(rgid === 65534 ? 65533 : 65534);
  try {
    return spawnIt();
  } finally {
    try {
      sys.setEgidOfThisThread(egid);
    } catch (err) {
      stopAtOnce(err, 'cannot take our effective gid back');
    }
  }
}

/**
 * A step that puts the runtime back as it was failed (its pid namespace, its gid): nothing may run
 * on in that state, not even the event loop. Says why and exits; the children get EOF on their
 * pipes and exit, and `delete --force` removes what a create had made.
 */
export function stopAtOnce(err: unknown, why: string): never {
  writeSync(2, `tslab-runtime: ${(err as Error).message}: ${why}, stopping (delete --force cleans up after a create)\n`);
  process.exit(1);
}
