// Seccomp filters from config.json, compiled and loaded with libseccomp (through koffi, like libc).
// The filter applies to the calling thread only (no TSYNC): the init's main thread, which is the
// one that calls execve, so the container's program starts under it.
import { koffi } from './koffi.js';
import { errnoName } from './errno.js';
import { SysError } from './error.js';
import { tracer } from '../../tracer/tracer.js';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: SeccompSyscall[];
  listenerPath?: string;
}

const EPERM = 1;

export function actionCode(action: string, errnoRet: number | undefined, field: string): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 0x00000000;
    case 'SCMP_ACT_KILL_PROCESS':
      return 0x80000000;
    case 'SCMP_ACT_TRAP':
      return 0x00030000;
    case 'SCMP_ACT_ERRNO':
      return (0x00050000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG':
      return 0x7ffc0000;
    case 'SCMP_ACT_ALLOW':
      return 0x7fff0000;
    default:
      throw new Error(`config.json: ${field}: seccomp action "${action}" is not supported (SCMP_ACT_NOTIFY needs a listener tslab does not have)`);
  }
}

const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

const ARCHES: Record<string, string> = {
  SCMP_ARCH_X86: 'x86', SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X32: 'x32', SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64', SCMP_ARCH_MIPS: 'mips', SCMP_ARCH_MIPS64: 'mips64', SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64', SCMP_ARCH_PPC: 'ppc', SCMP_ARCH_PPC64: 'ppc64', SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390', SCMP_ARCH_S390X: 's390x', SCMP_ARCH_RISCV64: 'riscv64',
};

/** Checks a profile without loading it, so create can refuse a bad one before anything starts. */
export function checkSeccompProfile(profile: SeccompProfile): void {
  actionCode(profile.defaultAction, profile.defaultErrnoRet, 'linux.seccomp.defaultAction');
  (profile.syscalls ?? []).forEach((s, i) => {
    actionCode(s.action, s.errnoRet, `linux.seccomp.syscalls[${i}].action`);
    (s.args ?? []).forEach((a, j) => {
      if (!(a.op in OPS)) throw new Error(`config.json: linux.seccomp.syscalls[${i}].args[${j}].op: unknown comparison "${a.op}"`);
    });
  });
  if (profile.listenerPath) throw new Error('config.json: linux.seccomp.listenerPath: seccomp user notification is not supported');
}

type Fn = (...args: unknown[]) => number;

function packArgs(args: SeccompArg[]): Buffer {
  // struct scmp_arg_cmp { unsigned int arg; enum scmp_compare op; uint64 datum_a; uint64 datum_b; }
  const buf = Buffer.alloc(24 * args.length);
  args.forEach((a, i) => {
    buf.writeUInt32LE(a.index, i * 24);
    buf.writeUInt32LE(OPS[a.op]!, i * 24 + 4);
    buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a.value)), i * 24 + 8);
    buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a.valueTwo ?? 0)), i * 24 + 16);
  });
  return buf;
}

export interface CompiledSeccomp {
  /** Loads the filter into the calling thread: one traced step. */
  load(): void;
}

/**
 * Compiles the profile with libseccomp. Done before pivot_root: libseccomp.so lives on the host's
 * filesystem, which the container cannot see afterwards. Loading waits until just before execve.
 */
export function compileSeccomp(profile: SeccompProfile): CompiledSeccomp {
  const defaultAction = actionCode(profile.defaultAction, profile.defaultErrnoRet, 'linux.seccomp.defaultAction');
  const rules = profile.syscalls ?? [];
  const k = koffi();
  let lib;
  try {
    lib = k.load('libseccomp.so.2');
  } catch {
    throw new Error('seccomp: libseccomp.so.2 is not installed (apt-get install libseccomp2)');
  }
  const f = (proto: string): Fn => lib.func(proto) as unknown as Fn;
  const init = lib.func('void *seccomp_init(uint32_t def_action)') as unknown as (a: number) => unknown;
  const release = lib.func('void seccomp_release(void *ctx)') as unknown as (c: unknown) => void;
  const archResolve = f('uint32_t seccomp_arch_resolve_name(const char *name)');
  const archAdd = lib.func('int seccomp_arch_add(void *ctx, uint32_t arch)') as unknown as (c: unknown, a: number) => number;
  const resolve = f('int seccomp_syscall_resolve_name(const char *name)');
  const ruleAdd = lib.func('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int n, void *args)') as unknown as
    (c: unknown, action: number, nr: number, n: number, args: Buffer | null) => number;
  const loadFilter = lib.func('int seccomp_load(void *ctx)') as unknown as (c: unknown) => number;
  const attrSet = lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)') as unknown as (c: unknown, a: number, v: number) => number;
  const ctx = init(defaultAction);
  if (!ctx) throw new SysError('seccomp_init', { defaultAction: profile.defaultAction }, 'EINVAL');
  let syscallRules = 0;
  try {
    // libseccomp sets no_new_privs while loading unless told not to; whether the container gets
    // no_new_privs is process.noNewPrivileges' decision alone.
    const SCMP_FLTATR_CTL_NNP = 3;
    const nnp = attrSet(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (nnp < 0) throw new SysError('seccomp_attr_set', { attr: 'SCMP_FLTATR_CTL_NNP' }, errnoName(-nnp));
    for (const arch of profile.architectures ?? []) {
      const name = ARCHES[arch];
      if (!name) throw new Error(`config.json: linux.seccomp.architectures: unknown architecture "${arch}"`);
      const token = archResolve(name);
      if (token === 0) continue;
      const rc = archAdd(ctx, token);
      if (rc < 0 && -rc !== 17 /* EEXIST: the native arch is already there */) {
        throw new SysError('seccomp_arch_add', { arch }, errnoName(-rc));
      }
    }
    for (const rule of rules) {
      const action = actionCode(rule.action, rule.errnoRet, 'linux.seccomp.syscalls');
      if (action === defaultAction) continue; // libseccomp refuses rules that repeat the default
      const args = rule.args ?? [];
      // Several conditions on one argument cannot share a rule: libseccomp wants one rule each.
      const repeated = new Set(args.map((a) => a.index)).size !== args.length;
      const groups = repeated ? args.map((a) => [a]) : [args];
      for (const name of rule.names) {
        const nr = resolve(name);
        if (nr < 0) continue; // a syscall this kernel/arch does not have: nothing to filter
        for (const group of groups) {
          const rc = ruleAdd(ctx, action, nr, group.length, group.length ? packArgs(group) : null);
          if (rc < 0) throw new SysError('seccomp_rule_add', { syscall: name, action: rule.action }, errnoName(-rc));
          syscallRules++;
        }
      }
    }
  } catch (err) {
    release(ctx);
    throw err;
  }
  const summary = `seccomp_load default ${profile.defaultAction}, ${syscallRules} rules`;
  return {
    load: () => {
      tracer.step({ kind: 'syscall', step: 'seccomp_load', args: { defaultAction: profile.defaultAction,
        architectures: profile.architectures ?? [], rules: syscallRules }, summary }, () => {
        const rc = loadFilter(ctx);
        release(ctx);
        if (rc < 0) throw new SysError('seccomp_load', {}, errnoName(-rc));
      });
    },
  };
}
