// cgroup v2 has no devices.allow/devices.deny files: the kernel asks an eBPF program
// (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup whether a device may be opened or created.
// This module compiles linux.resources.devices into that program's bytecode. Pure: no kernel calls.
//
// Semantics follow runc and cgroup v1: the LAST matching rule wins; a catch-all rule (type a, no
// major/minor, access rwm) sets the default and makes every earlier rule irrelevant; without one
// the default is allow (a fresh v1 cgroup allows everything). The program checks rules from the last
// to the first and returns at the first match, which is the same thing.
// Partial access: an allow rule matches when it grants every requested bit (runc does the same); a
// deny rule matches when it names any requested bit, so "deny c 1:3 w" also refuses an O_RDWR open,
// as the v1 kernel does (runc's filter lets that open through).
import type { DeviceCgroup } from '../../oci/spec.js';
import { DEFAULT_ALLOWED_DEVICES } from './v1.js';

export type DeviceType = 'a' | 'c' | 'b';

/** One rule, normalised: wildcards are null, access is a subset of "rwm". */
export interface DeviceRule {
  allow: boolean;
  type: DeviceType;
  major: number | null;
  minor: number | null;
  access: string;
}

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } (include/uapi/linux/bpf.h)
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

// Opcode parts (include/uapi/linux/bpf_common.h and bpf.h).
export const BPF = {
  // instruction classes
  LDX: 0x01, ALU: 0x04, JMP: 0x05, ALU64: 0x07,
  // sizes and modes
  W: 0x00, MEM: 0x60,
  // ALU operations
  AND: 0x50, RSH: 0x70, MOV: 0xb0,
  // jump operations
  JEQ: 0x10, JNE: 0x50, EXIT: 0x90,
  // operand source: immediate or register
  K: 0x00, X: 0x08,
} as const;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
/** dst = *(u32 *)(src + off) */
const ldxW = (dst: number, src: number, off: number): Insn => insn(BPF.LDX | BPF.W | BPF.MEM, dst, src, off, 0);
/** dst = (u32)dst & imm */
const and32Imm = (dst: number, imm: number): Insn => insn(BPF.ALU | BPF.AND | BPF.K, dst, 0, 0, imm);
/** dst = (u32)dst >> imm */
const rsh32Imm = (dst: number, imm: number): Insn => insn(BPF.ALU | BPF.RSH | BPF.K, dst, 0, 0, imm);
/** dst = (u32)src */
const mov32Reg = (dst: number, src: number): Insn => insn(BPF.ALU | BPF.MOV | BPF.X, dst, src, 0, 0);
/** dst = imm (64-bit move) */
const mov64Imm = (dst: number, imm: number): Insn => insn(BPF.ALU64 | BPF.MOV | BPF.K, dst, 0, 0, imm);
/** if dst != imm goto pc + 1 + off */
const jneImm = (dst: number, imm: number, off: number): Insn => insn(BPF.JMP | BPF.JNE | BPF.K, dst, 0, off, imm);
/** if dst == imm goto pc + 1 + off */
const jeqImm = (dst: number, imm: number, off: number): Insn => insn(BPF.JMP | BPF.JEQ | BPF.K, dst, 0, off, imm);
/** if dst != src goto pc + 1 + off */
const jneReg = (dst: number, src: number, off: number): Insn => insn(BPF.JMP | BPF.JNE | BPF.X, dst, src, off, 0);
const exit = (): Insn => insn(BPF.JMP | BPF.EXIT, 0, 0, 0, 0);

/** 8 bytes per instruction: code, dst_reg:4 | src_reg:4, s16 off, s32 imm (little-endian, as the kernel reads it on x86_64 and arm64). */
export function encode(program: Insn[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach((i, n) => {
    out.writeUInt8(i.code, n * 8);
    out.writeUInt8(((i.src & 0xf) << 4) | (i.dst & 0xf), n * 8 + 1);
    out.writeInt16LE(i.off, n * 8 + 2);
    out.writeInt32LE(i.imm | 0, n * 8 + 4);
  });
  return out;
}

function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  return bits;
}

const ALL_ACCESS = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

function isCatchAll(r: DeviceRule): boolean {
  return r.type === 'a' && r.major === null && r.minor === null && accessBits(r.access) === ALL_ACCESS;
}

/** An OCI linux.resources.devices entry as a rule; `where` names it in errors. */
export function ruleFromOci(d: DeviceCgroup, where = 'linux.resources.devices'): DeviceRule {
  const type = d.type ?? 'a';
  if (type !== 'a' && type !== 'c' && type !== 'b') throw new Error(`config.json: ${where}: device type "${type}" is not a, c or b`);
  const access = d.access ?? 'rwm';
  if (!/^[rwm]*$/.test(access)) throw new Error(`config.json: ${where}: device access "${access}" has letters other than r, w, m`);
  const num = (v: number | null | undefined): number | null => (v === undefined || v === null || v < 0 ? null : v);
  return { allow: d.allow, type, major: num(d.major), minor: num(d.minor), access };
}

/** A rule in cgroup v1 syntax ("c 1:3 rwm", "c 136:* rwm"). */
export function ruleFromText(text: string, allow = true): DeviceRule {
  const m = /^([acb]) (\d+|\*):(\d+|\*) ([rwm]+)$/.exec(text.trim());
  if (!m) throw new Error(`device rule "${text}" is not in the form "c 1:3 rwm"`);
  const num = (s: string): number | null => (s === '*' ? null : Number(s));
  return { allow, type: m[1] as DeviceType, major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}

/** The rules a container gets: the config's, then the devices every container needs (as runc does, and v1.ts). */
export function containerDeviceRules(devices: DeviceCgroup[]): DeviceRule[] {
  return [
    ...devices.map((d, i) => ruleFromOci(d, `linux.resources.devices[${i}]`)),
    ...DEFAULT_ALLOWED_DEVICES.map((t) => ruleFromText(t)),
  ];
}

/** The rules that still matter and the default: everything before the last catch-all is shadowed by it. */
export function effectiveRules(rules: DeviceRule[]): { defaultAllow: boolean; rules: DeviceRule[] } {
  let last = -1;
  rules.forEach((r, i) => {
    if (isCatchAll(r)) last = i;
  });
  return { defaultAllow: last < 0 ? true : rules[last]!.allow, rules: rules.slice(last + 1) };
}

/** The instructions that test one rule and return its verdict; they jump past themselves when it does not match. */
function ruleBlock(r: DeviceRule): Insn[] {
  const tests: Array<(skip: number) => Insn[]> = [];
  if (r.type !== 'a') tests.push((skip) => [jneImm(2, r.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, skip)]);
  const bits = accessBits(r.access);
  if (bits !== ALL_ACCESS) {
    // allow: every requested bit is granted, (request & rule) == request;
    // deny: some requested bit is refused, (request & rule) != 0.
    tests.push((skip) => [mov32Reg(1, 3), and32Imm(1, bits), r.allow ? jneReg(1, 3, skip) : jeqImm(1, 0, skip)]);
  }
  if (r.major !== null) tests.push((skip) => [jneImm(4, r.major!, skip)]);
  if (r.minor !== null) tests.push((skip) => [jneImm(5, r.minor!, skip)]);
  const verdict = [mov64Imm(0, r.allow ? 1 : 0), exit()];
  // Build back to front: each test ends with its jump, which skips the rest of the block.
  let tail = verdict;
  for (const test of tests.reverse()) tail = [...test(tail.length), ...tail];
  return tail;
}

/**
 * The program: load the context into registers, then one block per rule from the last rule to the
 * first, then the default verdict.
 *   r2 = device type, r3 = requested access, r4 = major, r5 = minor; r0 = 1 allows, 0 denies.
 */
export function compileDeviceFilter(rules: DeviceRule[]): Insn[] {
  const { defaultAllow, rules: live } = effectiveRules(rules);
  const program: Insn[] = [
    ldxW(2, 1, 0),
    and32Imm(2, 0xffff),
    ldxW(3, 1, 0),
    rsh32Imm(3, 16),
    ldxW(4, 1, 4),
    ldxW(5, 1, 8),
  ];
  for (const r of [...live].reverse()) program.push(...ruleBlock(r));
  program.push(mov64Imm(0, defaultAllow ? 1 : 0), exit());
  return program;
}

/** The bytecode for bpf(BPF_PROG_LOAD). */
export function deviceFilterBytecode(rules: DeviceRule[]): Buffer {
  return encode(compileDeviceFilter(rules));
}
