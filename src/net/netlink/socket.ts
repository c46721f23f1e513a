// An rtnetlink socket: send one request, read replies until the kernel's ACK, error or end of dump.
// Every request is one traced step named after its message type (netlink.RTM_NEWLINK), carrying
// its decoded meaning, so a student watches `RTM_NEWLINK veth tslab-3f2a peer eth0` happen.
import { sys } from '../../runtime/sys/index.js';
import { tracer } from '../../tracer/tracer.js';
import type { ArgValue } from '../../tracer/event.js';
import { AF_NETLINK, NETLINK_EXT_ACK, NETLINK_ROUTE, SOL_NETLINK, NLMSG, NLM_F, NLM_F_DUMP, SOCK_CLOEXEC, SOCK_RAW, messageTypeName, nlmFlagNames } from './constants.js';
import { decodeError, encodeMessage, parseMessages, type NetlinkMessage } from './message.js';
import type { NetlinkRequest } from './requests.js';

const HINTS: Record<string, string> = {
  EEXIST: 'an object with that name or address already exists',
  ENODEV: 'no link by that name or index in this network namespace',
  EPERM: 'changing the network configuration needs CAP_NET_ADMIN: run tslab as root',
  EOPNOTSUPP: 'the kernel lacks this link type (is CONFIG_VETH / CONFIG_BRIDGE built?)',
  EBUSY: 'the link is in use (already enslaved to a bridge, or up when it must be down)',
  ENETUNREACH: 'the gateway is not on any connected subnet: add the address first',
  EADDRNOTAVAIL: 'that address is not configured on the link',
  ESRCH: 'no such process or route',
};

/** A request the kernel refused: carries the errno name so the trace and fault injection see it. */
export class NetlinkError extends Error {
  readonly errno: string;
  readonly request: string;
  constructor(request: string, errno: string, kernelMessage?: string) {
    const hint = HINTS[errno];
    super(`${request} failed: ${errno}${kernelMessage ? ` (kernel: ${kernelMessage})` : ''}${hint ? ` (${hint})` : ''}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.request = request;
  }
}

/** struct sockaddr_nl of the kernel: family AF_NETLINK, pid 0, no groups. */
const KERNEL = (() => {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(AF_NETLINK, 0);
  return b;
})();

export class NetlinkSocket {
  private seq: number;
  private readonly buf = Buffer.alloc(64 * 1024);

  private constructor(private fd: number) {
    this.seq = (Date.now() & 0xffff) << 8;
  }

  /** Opens a NETLINK_ROUTE socket in the calling thread's current network namespace. */
  static open(): NetlinkSocket {
    const fd = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, 'socket AF_NETLINK SOCK_RAW NETLINK_ROUTE (rtnetlink)');
    try {
      // Extended ACKs: the kernel then says why it refused ("Unknown device type"), not only the errno.
      sys.setsockoptInt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, 'setsockopt SOL_NETLINK NETLINK_EXT_ACK 1 (ask the kernel to explain refusals)');
    } catch {
      // kernels before 4.12 lack it: errors then carry only their errno
    }
    return new NetlinkSocket(fd);
  }

  /** Sends the request and returns the kernel's reply messages (not counting the final ACK/DONE). */
  request(req: NetlinkRequest, describe?: (replies: NetlinkMessage[]) => ArgValue, expectErrno?: { errno: string; why: string }): NetlinkMessage[] {
    const name = messageTypeName(req.type);
    const isDump = (req.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const flags = NLM_F.NLM_F_REQUEST | req.flags;
    const args: Record<string, ArgValue> = { ...req.args, nlmsg_flags: nlmFlagNames(flags, req.type) };
    return tracer.step(
      { kind: 'netlink', step: `netlink.${name}`, args, summary: req.summary, ...(expectErrno ? { expectErrno } : {}) },
      () => this.exchange(req, flags, isDump),
      (replies) => (describe ? describe(replies) : isDump ? `${replies.length} replies` : 'ACK'),
    );
  }

  private exchange(req: NetlinkRequest, flags: number, isDump: boolean): NetlinkMessage[] {
    const seq = ++this.seq >>> 0;
    const bytes = encodeMessage(req.type, flags, seq, req.payload);
    sys.sendtoRaw(this.fd, bytes, KERNEL);
    const replies: NetlinkMessage[] = [];
    for (;;) {
      const n = sys.recvRaw(this.fd, this.buf);
      if (n === 0) throw new NetlinkError(req.summary, 'EPIPE', 'netlink socket returned no data');
      for (const msg of parseMessages(Buffer.from(this.buf.subarray(0, n)))) {
        if (msg.seq !== seq) continue; // a late answer to an earlier request
        if (msg.type === NLMSG.NLMSG_ERROR) {
          const ack = decodeError(msg);
          if (!ack.ok) throw new NetlinkError(req.summary, ack.errno ?? 'EIO', ack.message);
          return replies;
        }
        if (msg.type === NLMSG.NLMSG_DONE) return replies;
        replies.push(msg);
        // A dump without NLM_F_ACK ends with NLMSG_DONE; a single GET with NLM_F_ACK ends with the ACK.
        if (!isDump && !(flags & NLM_F.NLM_F_ACK)) return replies;
      }
    }
  }

  close(): void {
    if (this.fd < 0) return;
    sys.close(this.fd);
    this.fd = -1;
  }
}

/** Runs fn with a fresh socket in the current netns, closing it afterwards. */
export function withNetlink<T>(fn: (nl: NetlinkSocket) => T): T {
  const nl = NetlinkSocket.open();
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}
