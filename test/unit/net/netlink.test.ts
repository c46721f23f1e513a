// Exact bytes of the rtnetlink requests, checked against what iproute2 sends for the same command
// (captured with `strace -e trace=sendmsg -e write=3 ip …`), and decoding of the kernel's answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeMessage, parseMessages, decodeError, decodeLink, decodeAddr, decodeRoute, encodeAttrs, parseAttrs, stringAttr,
  u32Attr, nestedAttr, encodeIfInfo, encodeIfAddr, encodeRtMsg, requests, NetlinkSocket, NetlinkError, NLM_F, RTM,
  NLMSG, nlmFlagNames, messageTypeName, ifFlagNames, IFLA, NLM_F_ACK_TLVS,
} from '../../../src/net/netlink/index.js';
import { setSysBackend } from '../../../src/runtime/sys/index.js';
import { RecordingBackend } from '../../../src/runtime/sys/recording.js';
import { memorySink, tracer } from '../../../src/tracer/tracer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SEQ = 0x6b03c5ee; // the seq iproute2 used in the captures below
const REQ = NLM_F.NLM_F_REQUEST;

function wire(r: requests.NetlinkRequest, seq = SEQ): Buffer {
  return encodeMessage(r.type, REQ | r.flags, seq, r.payload);
}

describe('requests match iproute2 byte for byte', () => {
  it('ip link add tslabtbr0 type bridge', () => {
    expect(wire(requests.newBridge('tslabtbr0')).toString('hex')).toBe(hex(`
      40000000 1000 0506 eec5036b 00000000
      00000000 00000000 00000000 00000000
      0e000300 74736c61 62746272 30000000
      10001200 0a000100 62726964 67650000`).toString('hex'));
  });

  it('ip link add tslabtv0 type veth peer name eth0', () => {
    expect(wire(requests.newVeth({ name: 'tslabtv0', peerName: 'eth0' })).toString('hex')).toBe(hex(`
      60000000 1000 0506 eec5036b 00000000
      00000000 00000000 00000000 00000000
      0d000300 74736c61 62747630 00000000
      30001200 08000100 76657468 24000200
      20000100 00000000 00000000 00000000
      00000000 09000300 65746830 00000000`).toString('hex'));
  });

  it('ip addr add 10.213.0.1/24 dev <index 2>', () => {
    expect(wire(requests.newAddress({ index: 2, address: '10.213.0.1', prefix: 24 })).toString('hex')).toBe(hex(`
      28000000 1400 0506 eec5036b 00000000
      02180000 02000000 08000200 0ad50001
      08000100 0ad50001`).toString('hex'));
  });

  it('ip route add 10.214.0.0/16 via 10.213.0.1 dev <index 2>', () => {
    const r = requests.newRoute({ dst: { address: '10.214.0.0', prefix: 16 }, gateway: '10.213.0.1', oif: 2 });
    expect(wire(r).toString('hex')).toBe(hex(`
      34000000 1800 0506 eec5036b 00000000
      02100000 fe030001 00000000 08000100
      0ad60000 08000500 0ad50001 08000400
      02000000`).toString('hex'));
  });
});

describe('requests built from the kernel headers', () => {
  it('a veth whose peer is created in the netns of a pid carries IFLA_NET_NS_PID inside VETH_INFO_PEER', () => {
    const r = requests.newVeth({ name: 'tslab-3f2a', peerName: 'eth0', peerNetns: { pid: 4242 }, master: 7 });
    expect(r.summary).toBe('RTM_NEWLINK veth tslab-3f2a peer eth0 in netns of pid 4242 master 7');
    const attrs = parseAttrs(r.payload.subarray(16));
    expect(attrs.get(IFLA.IFLA_MASTER)!.readUInt32LE(0)).toBe(7);
    const info = parseAttrs(attrs.get(IFLA.IFLA_LINKINFO)!);
    const peer = parseAttrs(info.get(2)!).get(1)!; // IFLA_INFO_DATA → VETH_INFO_PEER
    expect(peer.subarray(0, 16).equals(Buffer.alloc(16))).toBe(true); // the peer's own struct ifinfomsg
    const peerAttrs = parseAttrs(peer.subarray(16));
    expect(peerAttrs.get(IFLA.IFLA_IFNAME)!.toString()).toBe('eth0\0');
    expect(peerAttrs.get(IFLA.IFLA_NET_NS_PID)!.readUInt32LE(0)).toBe(4242);
  });

  it('link up by name: ifi_flags=IFF_UP, ifi_change=IFF_UP, IFLA_IFNAME', () => {
    const r = requests.setLink({ name: 'lo' }, { up: true });
    expect(r.type).toBe(RTM.RTM_SETLINK);
    expect(r.summary).toBe('RTM_SETLINK lo up');
    expect(wire(r, 1).toString('hex')).toBe(hex(`
      28000000 1300 0500 01000000 00000000
      00000000 00000000 01000000 01000000
      07000300 6c6f0000`).toString('hex'));
  });

  it('down, master, netns by fd and rename', () => {
    const down = requests.setLink({ index: 5, name: 'eth0' }, { up: false });
    expect(down.payload.readUInt32LE(8)).toBe(0);
    expect(down.payload.readUInt32LE(12)).toBe(1);
    expect(down.summary).toBe('RTM_SETLINK eth0 down');
    const master = requests.setLink({ name: 'tslabtv0' }, { master: 9, masterName: 'tslabtbr0', up: true });
    expect(master.summary).toBe('RTM_SETLINK tslabtv0 master tslabtbr0 up');
    expect(parseAttrs(master.payload.subarray(16)).get(IFLA.IFLA_MASTER)!.readUInt32LE(0)).toBe(9);
    const move = requests.setLink({ name: 'tslabtv1' }, { netns: { fd: 23, path: '/proc/77/ns/net' } });
    expect(parseAttrs(move.payload.subarray(16)).get(IFLA.IFLA_NET_NS_FD)!.readUInt32LE(0)).toBe(23);
    expect(move.summary).toBe('RTM_SETLINK tslabtv1 to netns fd 23 (/proc/77/ns/net)');
    const alias = requests.setLink({ name: 'tslab0' }, { alias: 'tslab /var/lib/tslab/network' });
    expect(parseAttrs(alias.payload.subarray(16)).get(IFLA.IFLA_IFALIAS)!.toString()).toBe('tslab /var/lib/tslab/network');
    const rename = requests.setLink({ index: 12 }, { rename: 'eth0' });
    expect(rename.payload.readInt32LE(4)).toBe(12);
    expect(parseAttrs(rename.payload.subarray(16)).get(IFLA.IFLA_IFNAME)!.toString()).toBe('eth0\0');
    expect(() => requests.setLink({ name: 'x' }, { rename: 'y' })).toThrow(/index/);
  });

  it('delete, get and dump requests', () => {
    const del = requests.deleteLink({ name: 'tslabtv0' });
    expect(del.type).toBe(RTM.RTM_DELLINK);
    expect(del.flags).toBe(NLM_F.NLM_F_ACK);
    const dump = requests.dumpLinks();
    expect(nlmFlagNames(REQ | dump.flags, dump.type)).toBe('NLM_F_REQUEST|NLM_F_DUMP');
    expect(nlmFlagNames(REQ | requests.newBridge('b').flags, RTM.RTM_NEWLINK)).toBe('NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE');
    const def = requests.newRoute({ gateway: '10.87.0.1', oif: 3, oifName: 'eth0' });
    expect(def.summary).toBe('RTM_NEWROUTE default via 10.87.0.1 dev eth0');
    expect(def.payload[1]).toBe(0); // dst_len 0: the default route
  });

  it('fixed headers have the kernel sizes', () => {
    expect(encodeIfInfo({}).length).toBe(16);
    expect(encodeIfAddr({ family: 2, prefixlen: 24, index: 1 }).length).toBe(8);
    expect(encodeRtMsg({ family: 2, dstLen: 0, table: 254, protocol: 3, scope: 0, type: 1 }).length).toBe(12);
  });
});

describe('attributes', () => {
  it('pads every attribute to 4 bytes and nests lists', () => {
    const b = encodeAttrs([stringAttr(3, 'ab'), nestedAttr(18, [u32Attr(1, 0x01020304)])]);
    expect(b.toString('hex')).toBe('07000300616200000c001200080001000403020' + '1');
    const top = parseAttrs(b);
    expect(top.get(3)!.toString()).toBe('ab\0');
    expect(parseAttrs(top.get(18)!).get(1)!.readUInt32LE(0)).toBe(0x01020304);
  });

  it('masks NLA_F_NESTED off the type when parsing', () => {
    const b = encodeAttrs([{ type: 18, value: [u32Attr(1, 5)], nestedFlag: true }]);
    expect(b.readUInt16LE(2)).toBe(0x8012);
    expect(parseAttrs(b).has(18)).toBe(true);
  });
});

describe('decoding the kernel\'s answers', () => {
  it('NLMSG_ERROR with error 0 is an ACK; a negative error is an errno name', () => {
    const request = encodeMessage(RTM.RTM_NEWLINK, 0x605, 9, Buffer.alloc(16));
    const ack = parseMessages(encodeMessage(NLMSG.NLMSG_ERROR, 0x100, 9, Buffer.concat([Buffer.alloc(4), request.subarray(0, 16)])))[0]!;
    expect(decodeError(ack)).toEqual({ ok: true, seq: 9 });
    const errPayload = Buffer.concat([Buffer.from([0xef, 0xff, 0xff, 0xff]), request]); // -17
    const err = parseMessages(encodeMessage(NLMSG.NLMSG_ERROR, 0, 9, errPayload))[0]!;
    expect(decodeError(err)).toMatchObject({ ok: false, errno: 'EEXIST', errnoNumber: 17, seq: 9 });
  });

  it('reads the extended ACK message after a capped request header', () => {
    const request = encodeMessage(RTM.RTM_NEWLINK, 0x605, 4, Buffer.alloc(16));
    const tlv = encodeAttrs([stringAttr(1, 'Unknown device type')]);
    const payload = Buffer.concat([Buffer.from([0xa1, 0xff, 0xff, 0xff]), request.subarray(0, 16), tlv]); // -95
    const msg = parseMessages(encodeMessage(NLMSG.NLMSG_ERROR, 0x100 | NLM_F_ACK_TLVS, 4, payload))[0]!;
    expect(decodeError(msg)).toMatchObject({ ok: false, errno: 'EOPNOTSUPP', message: 'Unknown device type' });
  });

  it('decodes a link, an address and a route', () => {
    const linkPayload = Buffer.concat([
      encodeIfInfo({ index: 7, flags: 0x11043 }),
      encodeAttrs([
        stringAttr(IFLA.IFLA_IFNAME, 'tslab0'), u32Attr(IFLA.IFLA_MTU, 1500), u32Attr(IFLA.IFLA_MASTER, 3),
        { type: IFLA.IFLA_ADDRESS, value: hex('02fc00000001') }, { type: IFLA.IFLA_OPERSTATE, value: Buffer.from([6]) },
        nestedAttr(IFLA.IFLA_LINKINFO, [{ type: 1, value: Buffer.from('bridge') }]),
      ]),
    ]);
    expect(decodeLink(linkPayload)).toEqual({
      index: 7, name: 'tslab0', flags: 0x11043, up: true, mtu: 1500, master: 3, mac: '02:fc:00:00:00:01',
      operstate: 'UP', kind: 'bridge',
    });
    expect(ifFlagNames(0x11043)).toBe('IFF_UP|IFF_BROADCAST|IFF_RUNNING|IFF_MULTICAST|IFF_LOWER_UP');
    const addr = requests.newAddress({ index: 4, address: '10.87.0.9', prefix: 16 });
    expect(decodeAddr(addr.payload)).toEqual({ family: 2, prefixlen: 16, index: 4, address: '10.87.0.9', local: '10.87.0.9' });
    const route = requests.newRoute({ gateway: '10.87.0.1', oif: 4 });
    expect(decodeRoute(route.payload)).toMatchObject({ dstLen: 0, gateway: '10.87.0.1', oif: 4, table: 254 });
  });

  it('splits a datagram holding several messages', () => {
    const a = encodeMessage(RTM.RTM_NEWLINK, 2, 1, Buffer.alloc(16));
    const b = encodeMessage(NLMSG.NLMSG_DONE, 2, 1, Buffer.alloc(4));
    const msgs = parseMessages(Buffer.concat([a, b]));
    expect(msgs.map((m) => messageTypeName(m.type))).toEqual(['RTM_NEWLINK', 'NLMSG_DONE']);
  });
});

/** A backend whose netlink socket answers each request with a scripted error code. */
class ScriptedKernel extends RecordingBackend {
  answers: number[] = [];
  private pending: Buffer | undefined;
  override sendto(fd: number, data: Buffer, addr: Buffer | null): number {
    super.sendto(fd, data, addr);
    const error = this.answers.shift() ?? 0;
    const e = Buffer.alloc(4);
    e.writeInt32LE(error, 0);
    this.pending = encodeMessage(NLMSG.NLMSG_ERROR, 0x100, data.readUInt32LE(8), Buffer.concat([e, data.subarray(0, 16)]));
    return data.length;
  }
  override recv(fd: number, buf: Buffer): number {
    super.recv(fd, buf);
    const p = this.pending!;
    p.copy(buf);
    return p.length;
  }
}

describe('NetlinkSocket', () => {
  let kernel: ScriptedKernel;
  let previous: ReturnType<typeof setSysBackend>;
  let events: ReturnType<typeof memorySink>;
  let removeSink: () => void;
  beforeEach(() => {
    kernel = new ScriptedKernel();
    previous = setSysBackend(kernel);
    events = memorySink();
    removeSink = tracer.addSink(events.sink);
  });
  afterEach(() => {
    removeSink();
    setSysBackend(previous);
  });

  it('traces each request as netlink.<TYPE> with its decoded meaning and the ACK', () => {
    const nl = NetlinkSocket.open();
    nl.request(requests.newVeth({ name: 'tslab-3f2a', peerName: 'eth0' }));
    nl.close();
    const ends = events.events.filter((e) => e.kind === 'netlink' && e.phase === 'end');
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ step: 'netlink.RTM_NEWLINK', summary: 'RTM_NEWLINK veth tslab-3f2a peer eth0', result: 'ACK' });
    expect(ends[0]!.args.nlmsg_flags).toBe('NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE');
    expect(kernel.calls.map((c) => c.call)).toEqual(['socket', 'setsockopt', 'sendto', 'recv', 'close']);
    expect(kernel.calls[1]!.args).toEqual([100, 270, 11, 1]); // SOL_NETLINK, NETLINK_EXT_ACK
    expect(kernel.calls[0]!.args).toEqual([16, 3 | 0o2000000, 0]);
  });

  it('turns a kernel error into a NetlinkError whose errno the trace records', () => {
    kernel.answers.push(-17);
    const nl = NetlinkSocket.open();
    expect(() => nl.request(requests.newBridge('tslab0'))).toThrow(NetlinkError);
    kernel.answers.push(-19);
    try {
      nl.request(requests.deleteLink({ name: 'nope' }));
    } catch (err) {
      expect((err as NetlinkError).errno).toBe('ENODEV');
      expect((err as Error).message).toMatch(/RTM_DELLINK nope failed: ENODEV/);
    }
    nl.close();
    const ends = events.events.filter((e) => e.kind === 'netlink' && e.phase === 'end');
    expect(ends.map((e) => e.errno)).toEqual(['EEXIST', 'ENODEV']);
  });

  it('fault injection can fail a netlink step by name', () => {
    tracer.setFaults('netlink.RTM_NEWADDR:1:EPERM');
    try {
      const nl = NetlinkSocket.open();
      expect(() => nl.request(requests.newAddress({ index: 2, address: '10.0.0.2', prefix: 24 }))).toThrow(/EPERM/);
      nl.close();
    } finally {
      tracer.setFaults(undefined);
    }
    expect(kernel.calls.some((c) => c.call === 'sendto')).toBe(false);
  });
});
