// The last steps before execve: who the process is (uid, gid, groups), what it may do (the five
// capability sets, no_new_privs, rlimits), and a clean slate of fds and signals.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type { Process } from '../../oci/spec.js';
import {
  CAPABILITIES, PR, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAP_AMBIENT_RAISE, RLIMITS, capabilityNumber, sys,
} from '../sys/index.js';

function mask(names: string[] | undefined): bigint {
  let m = 0n;
  for (const n of names ?? []) {
    const bit = capabilityNumber(n);
    if (bit !== undefined) m |= 1n << BigInt(bit);
  }
  return m;
}

/** The highest capability this kernel knows, from /proc/sys/kernel/cap_last_cap. */
function lastCap(): number {
  try {
    return Math.min(Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()), CAPABILITIES.length - 1);
  } catch {
    return CAPABILITIES.length - 1;
  }
}

export function applyRlimits(proc: Process): void {
  for (const r of proc.rlimits ?? []) {
    const resource = (RLIMITS as Partial<Record<string, number>>)[r.type];
    if (resource === undefined) throw new Error(`process.rlimits: unknown type ${r.type}`);
    sys.prlimit(resource, r.type, { soft: BigInt(r.soft), hard: BigInt(r.hard) });
  }
}

export function dropBoundingSet(proc: Process): void {
  if (!proc.capabilities) return;
  const keep = mask(proc.capabilities.bounding);
  const last = lastCap();
  for (let cap = 0; cap <= last; cap++) {
    if (!((keep >> BigInt(cap)) & 1n)) sys.dropBoundingCap(cap, CAPABILITIES[cap]!);
  }
}

/** setgroups, setresgid, setresuid, then the capability sets the config asks for. */
export function becomeUser(proc: Process, setgroupsAllowed: boolean): void {
  const { uid, gid, additionalGids } = proc.user;
  // Keep permitted capabilities across the uid change; capset below decides what remains.
  sys.prctl(PR.PR_SET_KEEPCAPS, 1, 0, 0, 0, '1');
  if (setgroupsAllowed) sys.setgroups(additionalGids ?? []);
  sys.setresgid(gid);
  sys.setresuid(uid);
  sys.prctl(PR.PR_SET_KEEPCAPS, 0, 0, 0, 0, '0');
  if (proc.capabilities) {
    const c = proc.capabilities;
    sys.capset({ effective: mask(c.effective), permitted: mask(c.permitted), inheritable: mask(c.inheritable) });
    sys.prctl(PR.PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 'PR_CAP_AMBIENT_CLEAR_ALL');
    for (const name of c.ambient ?? []) {
      const bit = capabilityNumber(name);
      if (bit === undefined) continue;
      // An ambient capability must be permitted and inheritable, else the kernel refuses it.
      if (!((mask(c.permitted) & mask(c.inheritable)) >> BigInt(bit) & 1n)) continue;
      sys.prctl(PR.PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, bit, 0, 0, `PR_CAP_AMBIENT_RAISE ${name}`);
    }
  }
}

export function setNoNewPrivileges(proc: Process): void {
  if (proc.noNewPrivileges) sys.prctl(PR.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, '1');
}

/** Finds the program like execvp would, with the container's PATH, inside the new root. */
export function resolveProgram(program: string, env: string[]): string {
  if (program.includes('/')) return program;
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const dir of pathVar.split(':')) {
    const candidate = posix.join(dir || '.', program);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next directory
    }
  }
  throw Object.assign(new Error(`exec: "${program}": executable file not found in $PATH`), { errno: 'ENOENT' });
}

/** Node leaves fds 0-2 close-on-exec and SIGPIPE ignored; both would survive into the container. */
export function cleanSlate(): void {
  for (const fd of [0, 1, 2]) sys.clearCloexec(fd);
  sys.closeRangeCloexec(3);
  sys.resetSignal(13);
  sys.resetSignal(25);
  sys.unblockAllSignals();
}

/**
 * The last steps of every process the runtime starts, then execve: the bounding set, a clean slate of
 * fds and signals (first: a seccomp profile may well deny close_range or rt_sigaction), the user and
 * capabilities, no_new_privs, umask, cwd. Seccomp as late as possible (runc's order): without
 * no_new_privs the kernel demands CAP_SYS_ADMIN to load a filter, so it goes before the uid change;
 * with it, right before execve.
 */
export function becomeProgram(proc: Process, seccomp: { load(): void } | undefined, setgroupsAllowed: boolean): never {
  writeCoverage(); // while still root and unfiltered: the last one may be refused
  dropBoundingSet(proc);
  cleanSlate();
  if (seccomp && !proc.noNewPrivileges) seccomp.load();
  becomeUser(proc, setgroupsAllowed);
  // a uid/gid change resets dumpable to fs.suid_dumpable: we are still node, with host fds, until execve
  sys.prctl(PR.PR_SET_DUMPABLE, 0, 0, 0, 0, '0 (again, after the uid change)');
  setNoNewPrivileges(proc);
  if (proc.user.umask !== undefined) sys.umask(proc.user.umask);
  sys.chdir(proc.cwd);
  const env = proc.env ?? [];
  const program = resolveProgram(proc.args![0]!, env);
  if (seccomp && proc.noNewPrivileges) seccomp.load();
  writeCoverage();
  return sys.execve(program, proc.args!, env);
}

/**
 * Under NODE_V8_COVERAGE (npm run test:coverage): execve never returns, so Node's coverage-at-exit is
 * never written; write what ran so far. node:v8 is loaded only then.
 */
function writeCoverage(): void {
  if (!process.env.NODE_V8_COVERAGE) return;
  try {
    (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).takeCoverage();
  } catch {
    // a folder we may no longer write to (another uid, a seccomp filter): that coverage is lost
  }
}

/** In a user namespace, setgroups(2) may be denied (/proc/self/setgroups says "deny"). */
export function setgroupsAllowed(): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow';
  } catch {
    return true;
  }
}
