// rtnetlink numbers from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>
// and <linux/veth.h>, with their names, so a trace says RTM_NEWLINK instead of 16.

export { AF_UNSPEC, AF_UNIX, AF_INET, AF_NETLINK, SOCK_RAW, SOCK_STREAM, SOCK_CLOEXEC } from '../../runtime/sys/flags.js';
export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;
export const NETLINK_EXT_ACK = 11;

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const NLMSG = { NLMSG_NOOP: 1, NLMSG_ERROR: 2, NLMSG_DONE: 3, NLMSG_OVERRUN: 4 } as const;

export const RTM = {
  RTM_NEWLINK: 16,
  RTM_DELLINK: 17,
  RTM_GETLINK: 18,
  RTM_SETLINK: 19,
  RTM_NEWADDR: 20,
  RTM_DELADDR: 21,
  RTM_GETADDR: 22,
  RTM_NEWROUTE: 24,
  RTM_DELROUTE: 25,
  RTM_GETROUTE: 26,
} as const;

export type RtmName = keyof typeof RTM;

export const NLM_F = {
  NLM_F_REQUEST: 0x1,
  NLM_F_MULTI: 0x2,
  NLM_F_ACK: 0x4,
  NLM_F_ECHO: 0x8,
  NLM_F_DUMP_INTR: 0x10,
  // GET requests
  NLM_F_ROOT: 0x100,
  NLM_F_MATCH: 0x200,
  // NEW requests
  NLM_F_REPLACE: 0x100,
  NLM_F_EXCL: 0x200,
  NLM_F_CREATE: 0x400,
  NLM_F_APPEND: 0x800,
} as const;
export const NLM_F_DUMP = NLM_F.NLM_F_ROOT | NLM_F.NLM_F_MATCH;
/** Flags of an NLMSG_ERROR reply. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;

export const IFF = {
  IFF_UP: 0x1,
  IFF_BROADCAST: 0x2,
  IFF_LOOPBACK: 0x8,
  IFF_POINTOPOINT: 0x10,
  IFF_RUNNING: 0x40,
  IFF_NOARP: 0x80,
  IFF_PROMISC: 0x100,
  IFF_MULTICAST: 0x1000,
  IFF_LOWER_UP: 0x10000,
} as const;

export const IFLA = {
  IFLA_ADDRESS: 1,
  IFLA_BROADCAST: 2,
  IFLA_IFNAME: 3,
  IFLA_MTU: 4,
  IFLA_LINK: 5,
  IFLA_MASTER: 10,
  IFLA_OPERSTATE: 16,
  IFLA_LINKINFO: 18,
  IFLA_NET_NS_PID: 19,
  IFLA_IFALIAS: 20,
  IFLA_NET_NS_FD: 28,
  IFLA_LINK_NETNSID: 37,
} as const;

export const IFLA_INFO = { IFLA_INFO_KIND: 1, IFLA_INFO_DATA: 2, IFLA_INFO_SLAVE_KIND: 4 } as const;
export const VETH_INFO_PEER = 1;

export const IFA = { IFA_ADDRESS: 1, IFA_LOCAL: 2, IFA_LABEL: 3, IFA_BROADCAST: 4 } as const;

export const RTA = {
  RTA_DST: 1,
  RTA_SRC: 2,
  RTA_IIF: 3,
  RTA_OIF: 4,
  RTA_GATEWAY: 5,
  RTA_PRIORITY: 6,
  RTA_PREFSRC: 7,
  RTA_TABLE: 15,
} as const;

export const RT_TABLE_MAIN = 254;
export const RTPROT = { RTPROT_KERNEL: 2, RTPROT_BOOT: 3, RTPROT_STATIC: 4 } as const;
export const RT_SCOPE = { RT_SCOPE_UNIVERSE: 0, RT_SCOPE_LINK: 253, RT_SCOPE_HOST: 254 } as const;
export const RTN_UNICAST = 1;

/** IF_OPER_* from RFC 2863, as the kernel reports them in IFLA_OPERSTATE. */
export const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([k, v]) => [v, k]));
}
const RTM_NAMES = reverse(RTM);
const NLMSG_NAMES = reverse(NLMSG);

export function messageTypeName(type: number): string {
  return RTM_NAMES.get(type) ?? NLMSG_NAMES.get(type) ?? `NLMSG_${type}`;
}

/** Names of the NLM_F_* bits; the meaning of 0x100..0x800 depends on whether the request is a GET. */
export function nlmFlagNames(flags: number, type: number): string {
  const isGet = type === RTM.RTM_GETLINK || type === RTM.RTM_GETADDR || type === RTM.RTM_GETROUTE;
  const names: string[] = [];
  const generic: Array<[string, number]> = [
    ['NLM_F_REQUEST', NLM_F.NLM_F_REQUEST], ['NLM_F_MULTI', NLM_F.NLM_F_MULTI], ['NLM_F_ACK', NLM_F.NLM_F_ACK],
    ['NLM_F_ECHO', NLM_F.NLM_F_ECHO],
  ];
  const specific: Array<[string, number]> = isGet
    ? [['NLM_F_DUMP', NLM_F_DUMP]]
    : [['NLM_F_REPLACE', NLM_F.NLM_F_REPLACE], ['NLM_F_EXCL', NLM_F.NLM_F_EXCL], ['NLM_F_CREATE', NLM_F.NLM_F_CREATE],
      ['NLM_F_APPEND', NLM_F.NLM_F_APPEND]];
  let rest = flags;
  for (const [name, bit] of [...generic, ...specific]) {
    if ((rest & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.join('|') || '0';
}

export function ifFlagNames(flags: number): string {
  const names = Object.entries(IFF).filter(([, bit]) => (flags & bit) !== 0).map(([n]) => n);
  return names.join('|') || '0';
}
