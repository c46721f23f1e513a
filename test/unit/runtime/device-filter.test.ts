// The cgroup v2 device filter: exact bytecode for a small rule set, and the decisions of the
// compiled program (run by a tiny interpreter below) against a plain "last matching rule wins"
// reading of the rules, for every device type, number and access combination that matters.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileDeviceFilter, containerDeviceRules, deviceFilterBytecode, encode, ruleFromOci, ruleFromText, type DeviceRule,
} from '../../../src/runtime/cgroups/device-filter.js';
import { DEFAULT_ALLOWED_DEVICES } from '../../../src/runtime/cgroups/v1.js';
import { CgroupV2 } from '../../../src/runtime/cgroups/v2.js';
import { RecordingBackend } from '../../../src/runtime/sys/recording.js';
import { bpf, setSysBackend } from '../../../src/runtime/sys/index.js';
import { explain } from '../../../src/explain/index.js';
import { tracer, memorySink } from '../../../src/tracer/tracer.js';
import type { TraceEvent } from '../../../src/tracer/event.js';

const DENY_ALL: DeviceRule = { allow: false, type: 'a', major: null, minor: null, access: 'rwm' };
const ALLOW_ALL: DeviceRule = { ...DENY_ALL, allow: true };

const MKNOD = 1;
const READ = 2;
const WRITE = 4;
const CHAR = 2;
const BLOCK = 1;

/** Runs our bytecode subset on one bpf_cgroup_dev_ctx; throws on anything else, so the test also checks the subset. */
function run(code: Buffer, type: number, access: number, major: number, minor: number): number {
  const ctx = [((access << 16) | type) >>> 0, major, minor];
  const regs: Array<number | 'ctx'> = Array(11).fill(0);
  regs[1] = 'ctx';
  const num = (r: number): number => {
    const v = regs[r];
    if (typeof v !== 'number') throw new Error(`r${r} is the context pointer, not a number`);
    return v;
  };
  const count = code.length / 8;
  for (let pc = 0, steps = 0; pc < count; pc++) {
    if (++steps > 10_000) throw new Error('runaway program');
    const op = code.readUInt8(pc * 8);
    const dst = code.readUInt8(pc * 8 + 1) & 0xf;
    const src = code.readUInt8(pc * 8 + 1) >> 4;
    const off = code.readInt16LE(pc * 8 + 2);
    const imm = code.readInt32LE(pc * 8 + 4);
    const jump = (taken: boolean): void => {
      if (!taken) return;
      pc += off;
      if (pc + 1 >= count || pc + 1 < 0) throw new Error(`jump out of the program at ${pc}`);
    };
    switch (op) {
      case 0x61: // BPF_LDX|BPF_W|BPF_MEM
        if (regs[src] !== 'ctx' || off % 4 !== 0 || off < 0 || off > 8) throw new Error(`bad load at ${pc}`);
        regs[dst] = ctx[off / 4]!;
        break;
      case 0x54: regs[dst] = (num(dst) & imm) >>> 0; break; // BPF_ALU|BPF_AND|BPF_K
      case 0x74: regs[dst] = num(dst) >>> imm; break; // BPF_ALU|BPF_RSH|BPF_K
      case 0xbc: regs[dst] = num(src) >>> 0; break; // BPF_ALU|BPF_MOV|BPF_X
      case 0xb7: regs[dst] = imm; break; // BPF_ALU64|BPF_MOV|BPF_K
      case 0x55: jump(num(dst) !== imm); break; // BPF_JMP|BPF_JNE|BPF_K
      case 0x15: jump(num(dst) === imm); break; // BPF_JMP|BPF_JEQ|BPF_K
      case 0x5d: jump(num(dst) !== num(src)); break; // BPF_JMP|BPF_JNE|BPF_X
      case 0x95: return num(0); // BPF_JMP|BPF_EXIT
      default: throw new Error(`opcode 0x${op.toString(16)} at ${pc} is outside our subset`);
    }
  }
  throw new Error('fell off the end of the program');
}

const ACCESS_BITS: Record<string, number> = { m: MKNOD, r: READ, w: WRITE };

/**
 * The rules read as plainly as possible: the last matching rule decides; none matching allows (a fresh
 * v1 cgroup). An allow rule must grant every requested access bit; a deny rule matches on any of them.
 */
function reference(rules: DeviceRule[], type: 'c' | 'b', access: number, major: number, minor: number): number {
  let verdict = 1;
  for (const r of rules) {
    const ruleAccess = [...r.access].reduce((bits, ch) => bits | ACCESS_BITS[ch]!, 0);
    const matches = (r.type === 'a' || r.type === type) && (r.major === null || r.major === major)
      && (r.minor === null || r.minor === minor) && (r.allow ? (access & ruleAccess) === access : (access & ruleAccess) !== 0);
    if (matches) verdict = r.allow ? 1 : 0;
  }
  return verdict;
}

function expectSameDecisions(rules: DeviceRule[]): void {
  const code = deviceFilterBytecode(rules);
  const mismatches: string[] = [];
  for (const type of ['c', 'b'] as const) {
    for (const major of [1, 5, 8, 10, 136, 4095]) {
      for (const minor of [0, 1, 3, 5, 9, 11, 200]) {
        for (let access = 1; access <= 7; access++) {
          const got = run(code, type === 'c' ? CHAR : BLOCK, access, major, minor);
          const want = reference(rules, type, access, major, minor);
          if (got !== want) mismatches.push(`${type} ${major}:${minor} access=${access}: program ${got}, rules ${want}`);
        }
      }
    }
  }
  expect(mismatches).toEqual([]);
}

describe('device filter bytecode', () => {
  it('encodes a small rule set exactly (deny all, allow c 1:5 rwm, allow c 1:9 r)', () => {
    const code = deviceFilterBytecode([DENY_ALL, ruleFromText('c 1:5 rwm'), ruleFromText('c 1:9 r')]);
    expect(code.toString('hex').match(/.{16}/g)).toEqual([
      '6112000000000000', // r2 = *(u32 *)(r1 + 0)        access_type
      '54020000ffff0000', // w2 &= 0xffff                  device type
      '6113000000000000', // r3 = *(u32 *)(r1 + 0)
      '7403000010000000', // w3 >>= 16                      requested access
      '6114040000000000', // r4 = *(u32 *)(r1 + 4)        major
      '6115080000000000', // r5 = *(u32 *)(r1 + 8)        minor
      // last rule first: c 1:9 r
      '5502070002000000', // if r2 != 2 (char) goto +7
      'bc31000000000000', // w1 = w3
      '5401000002000000', // w1 &= 2 (read)
      '5d31040000000000', // if r1 != r3 goto +4         asks for more than read
      '5504030001000000', // if r4 != 1 goto +3
      '5505020009000000', // if r5 != 9 goto +2
      'b700000001000000', // r0 = 1
      '9500000000000000', // exit
      // c 1:5 rwm: no access test
      '5502040002000000', // if r2 != 2 goto +4
      '5504030001000000', // if r4 != 1 goto +3
      '5505020005000000', // if r5 != 5 goto +2
      'b700000001000000', // r0 = 1
      '9500000000000000', // exit
      // the deny-all sets the default
      'b700000000000000', // r0 = 0
      '9500000000000000', // exit
    ]);
  });

  it('puts dst in the low and src in the high nibble, and signed offsets and immediates', () => {
    const code = encode([{ code: 0x5d, dst: 1, src: 3, off: -2, imm: -1 }]);
    expect(code.toString('hex')).toBe('5d31feffffffffff');
  });

  it('an empty rule list allows everything', () => {
    expect(deviceFilterBytecode([]).toString('hex')).toBe(
      '611200000000000054020000ffff00006113000000000000740300001000000061140400000000006115080000000000b7000000010000009500000000000000');
  });
});

describe('device filter decisions (last matching rule wins)', () => {
  it('a docker-like config: deny all, then the default devices', () => {
    const rules = containerDeviceRules([{ allow: false, access: 'rwm' }]);
    expectSameDecisions(rules);
    const code = deviceFilterBytecode(rules);
    expect(run(code, CHAR, READ | WRITE, 1, 3)).toBe(1); // /dev/null
    expect(run(code, CHAR, READ, 1, 11)).toBe(0); // /dev/kmsg
    expect(run(code, CHAR, READ, 136, 7)).toBe(1); // a pty, c 136:*
    expect(run(code, BLOCK, READ, 1, 3)).toBe(0); // same numbers, block device
  });

  it('partial access: a read-only rule does not allow write or read+write', () => {
    const rules = [DENY_ALL, ruleFromText('b 8:* r')];
    expectSameDecisions(rules);
    const code = deviceFilterBytecode(rules);
    expect(run(code, BLOCK, READ, 8, 1)).toBe(1);
    expect(run(code, BLOCK, WRITE, 8, 1)).toBe(0);
    expect(run(code, BLOCK, READ | WRITE, 8, 1)).toBe(0);
  });

  it('a deny rule for one access bit refuses a request that includes it (O_RDWR against "deny w")', () => {
    const rules = [ALLOW_ALL, ruleFromText('c 1:3 w', false)];
    expectSameDecisions(rules);
    const code = deviceFilterBytecode(rules);
    expect(run(code, CHAR, READ, 1, 3)).toBe(1);
    expect(run(code, CHAR, WRITE, 1, 3)).toBe(0);
    expect(run(code, CHAR, READ | WRITE, 1, 3)).toBe(0);
    // after the type test, the deny rule's access test: w1 = w3; w1 &= 4; if r1 == 0 goto +4 (no requested bit is denied)
    expect(code.subarray(7 * 8, 10 * 8).toString('hex')).toBe('bc3100000000000054010000040000001501040000000000');
  });

  it('allow all with holes punched, including an a-type rule with a major', () => {
    expectSameDecisions([ALLOW_ALL, ruleFromText('c 1:3 rw', false), ruleFromText('b *:* m', false),
      { allow: false, type: 'a', major: 10, minor: null, access: 'rwm' }, ruleFromText('c 10:200 rwm')]);
  });

  it('a catch-all in the middle shadows every rule before it', () => {
    const rules = [ruleFromText('c 1:* rwm'), DENY_ALL, ruleFromText('c 1:5 w')];
    expectSameDecisions(rules);
    const program = compileDeviceFilter(rules);
    // prologue 6 + one rule block (type, access 3, major, minor, verdict 2 = 8) + default 2
    expect(program).toHaveLength(16);
  });

  it('no rules, and rules without any catch-all, default to allow', () => {
    expectSameDecisions([]);
    expectSameDecisions([ruleFromText('c 1:3 rwm', false)]);
    expectSameDecisions([ruleFromText('c 1:3 rwm', false), ruleFromText('c 1:3 r', true)]);
  });
});

describe('rules from config.json', () => {
  it('appends the default devices that v1 also allows, after the config rules', () => {
    const rules = containerDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }]);
    expect(rules.slice(0, 2)).toEqual([DENY_ALL, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }]);
    expect(rules.slice(2)).toEqual(DEFAULT_ALLOWED_DEVICES.map((t) => ruleFromText(t)));
    expect(rules).toContainEqual({ allow: true, type: 'c', major: 136, minor: null, access: 'rwm' });
  });

  it('treats a missing type as a, missing or negative numbers as wildcards, and refuses nonsense', () => {
    expect(ruleFromOci({ allow: true, major: -1, minor: null })).toEqual(ALLOW_ALL);
    expect(() => ruleFromOci({ allow: true, type: 'p' }, 'linux.resources.devices[3]')).toThrow(/devices\[3\].*"p"/);
    expect(() => ruleFromOci({ allow: true, type: 'c', access: 'rx' })).toThrow(/"rx"/);
  });
});

describe('bpf steps through the recording backend', () => {
  let backend: RecordingBackend;
  let events: TraceEvent[];
  let removeSink: () => void;
  let dir: string;

  beforeEach(() => {
    backend = new RecordingBackend();
    setSysBackend(backend);
    const m = memorySink();
    events = m.events;
    removeSink = tracer.addSink(m.sink);
    dir = mkdtempSync(join(tmpdir(), 'tslabt-devfilter-'));
  });

  afterEach(() => {
    removeSink();
    setSysBackend(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('load and attach are traced bpf steps with readable summaries, and explained', () => {
    const code = deviceFilterBytecode([DENY_ALL]);
    const fd = bpf.loadCgroupDeviceProgram(code);
    bpf.attachCgroupDeviceProgram(dir, fd);
    const ends = events.filter((e) => e.phase === 'end');
    expect(ends.map((e) => [e.kind, e.step, e.summary])).toEqual([
      ['syscall', 'bpf', 'bpf BPF_PROG_LOAD cgroup_device 8 insns'],
      ['syscall', 'bpf', `bpf BPF_PROG_ATTACH ${dir} BPF_CGROUP_DEVICE`],
    ]);
    expect(backend.calls[0]).toEqual({ call: 'bpf_prog_load', args: [15, code, 'GPL', 'tslab_devices'] });
    expect(backend.calls[1]!.call).toBe('bpf_prog_attach');
    expect(backend.calls[1]!.args.slice(1)).toEqual([fd, 6, 2]); // BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI
    expect(explain('bpf')?.title).toMatch(/eBPF/);
  });

  it('a refused load carries the errno in the step and the error', () => {
    backend.failNext('bpf_prog_load', 'EPERM');
    expect(() => bpf.loadCgroupDeviceProgram(deviceFilterBytecode([]))).toThrow(/EPERM/);
    expect(events.find((e) => e.phase === 'end')).toMatchObject({ step: 'bpf', errno: 'EPERM' });
  });

  it('CgroupV2.apply loads the config plus default devices, attaches to the cgroup and closes the program fd', () => {
    mkdirSync(join(dir, 'tslabt-c1'));
    const devices = [{ allow: false, access: 'rwm' }];
    new CgroupV2('tslabt-c1', dir).apply({ devices });
    expect(backend.calls).toEqual([
      { call: 'bpf_prog_load', args: [15, deviceFilterBytecode(containerDeviceRules(devices)), 'GPL', 'tslab_devices'] },
      { call: 'bpf_prog_attach', args: [expect.any(Number), 101, 6, 2] },
      { call: 'close', args: [101] },
    ]);
  });

  it('CgroupV2.apply closes the program fd when the attach fails', () => {
    mkdirSync(join(dir, 'tslabt-c2'));
    backend.failNext('bpf_prog_attach', 'EINVAL');
    expect(() => new CgroupV2('tslabt-c2', dir).apply({ devices: [] })).toThrow(/EINVAL/);
    expect(backend.calls.at(-1)).toEqual({ call: 'close', args: [101] });
  });
});
