// Putting a container on a network, the way docker's bridge driver does, with every kernel step
// traced: lease an address, write /etc/hosts & co, create a veth pair whose peer is born inside the
// container's netns as eth0, enslave the host end to the bridge, then from inside the container's
// netns bring lo and eth0 up, add the address and the default route. Published ports become nft rules.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { tracer } from '../tracer/tracer.js';
import { ensureBridgeWith } from './bridge.js';
import { listEndpoints, readEndpoint, removeEndpoint, writeEndpoint, type Endpoint } from './endpoints.js';
import { filePaths, refreshHosts, removeContainerFiles, writeContainerFiles } from './files.js';
import { allocate, release } from './ipam.js';
import { withNetworkLock } from './lock.js';
import { NetlinkError, rtnl, withNetlink } from './netlink/index.js';
import { getNetwork, type NetworkDef } from './networks.js';
import { inNetnsFd, netnsPathOfPid } from './netns.js';
import { hostPortInUse, parsePortSpec, portsClash, publishPorts, unpublishPorts, type PortMapping } from './ports.js';
import { DEFAULT_NETWORK, loadSettings, type NetworkSettings } from './settings.js';
import { toAttachment, type Attachment } from './attachment.js';

export { containerNetwork, describePorts, type Attachment, type FileMount } from './attachment.js';

export interface PrepareOptions {
  /** the container id (unique; also names the host end of the veth pair) */
  id: string;
  /** network name; default "bridge" */
  network?: string;
  /** the container's name, resolvable by peers on a user-defined network; default: id */
  name?: string;
  /** written to /etc/hostname and /etc/hosts; default: the first 12 characters of the id */
  hostname?: string;
  /** `-p` specs ("127.0.0.1:18080:80/tcp") or parsed mappings */
  ports?: Array<string | PortMapping>;
  /** more names peers on a user-defined network resolve to this container (--network-alias) */
  aliases?: string[];
}

export interface AttachOptions extends PrepareOptions {
  /** pid of the container's init (as the host sees it): its /proc/<pid>/ns/net is the container's netns */
  pid: number;
}



/** Host-side veth name: tslab + 8 hex of the id's hash (15-byte limit); tslabt… for test ids. */
export function hostVethName(id: string): string {
  const hash = createHash('sha256').update(id).digest('hex');
  return id.startsWith('tslabt') ? `tslabt${hash.slice(0, 9)}` : `tslab-${hash.slice(0, 8)}`;
}


function membersOf(settings: NetworkSettings, net: NetworkDef): Endpoint[] {
  return listEndpoints(settings.root).filter((e) => e.network === net.name);
}

/** Ids name files and nft comments: letters, digits, _ . - only (as OCI runtimes accept). */
function checkId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) {
    throw new Error(`"${id}" is not a usable container id (letters, digits, _ . -; at most 128)`);
  }
}

function prepareLocked(settings: NetworkSettings, opts: PrepareOptions): Endpoint {
  checkId(opts.id);
  const existing = readEndpoint(settings.root, opts.id);
  if (existing) {
    // attachContainer({ id, pid }) after prepareContainer: the prepared network holds
    if (opts.network !== undefined && existing.network !== opts.network) {
      throw new Error(`container ${opts.id} is already on network ${existing.network} (one network per container)`);
    }
    return existing;
  }
  const net = getNetwork(settings, opts.network ?? DEFAULT_NETWORK);
  const ports = (opts.ports ?? []).map((p) => (typeof p === 'string' ? parsePortSpec(p) : p));
  const everyone = listEndpoints(settings.root);
  for (const p of ports) {
    const taken = everyone.find((e) => e.ports.some((q) => portsClash(p, q)));
    if (taken) throw new Error(`host port ${p.hostPort}/${p.protocol} is already published by container ${taken.id}`);
    if (hostPortInUse(p)) {
      throw new Error(`host port ${p.hostPort}/${p.protocol} is in use by a process on this host (see ss -lnp): pick another`);
    }
  }
  const address = allocate(settings.root, net.name, net.subnet, opts.id);
  const ep: Endpoint = {
    id: opts.id, network: net.name, bridge: net.bridge, address, prefix: net.prefix, gateway: net.gateway,
    hostVeth: hostVethName(opts.id), name: opts.name ?? opts.id, hostname: opts.hostname ?? opts.id.slice(0, 12), ports,
    ...(opts.aliases && opts.aliases.length > 0 ? { aliases: opts.aliases } : {}),
    state: 'prepared', bootId: bootId(), files: filePaths(settings.root, opts.id),
  };
  try {
    writeEndpoint(settings.root, ep);
    const peers = net.userDefined ? [...membersOf(settings, net)] : [ep];
    writeContainerFiles(ep, peers);
    if (net.userDefined) refreshHosts(peers);
  } catch (err) {
    release(settings.root, net.name, net.subnet, opts.id);
    removeEndpoint(settings.root, opts.id);
    throw err;
  }
  return ep;
}

/**
 * The lease and files, as one traced step whose lock is taken inside it: no traced step runs while the
 * lock is held, so a student stepping through a start (the trace gate waits for a key) never makes
 * other tslab processes wait on the network lock.
 */
function prepareTraced(settings: NetworkSettings, opts: PrepareOptions): { ep: Endpoint; madeNow: boolean } {
  const network = opts.network ?? DEFAULT_NETWORK;
  return tracer.step(
    { kind: 'info', step: 'ipam.allocate', args: { network, container: opts.id },
      summary: `IPAM: lease an address on network ${network} to ${opts.id}, write its hosts, hostname, resolv.conf` },
    () => withNetworkLock(settings.root, () => {
      const before = readEndpoint(settings.root, opts.id);
      return { ep: prepareLocked(settings, opts), madeNow: before === undefined };
    }),
    (r) => `${r.ep.address}/${r.ep.prefix}${r.madeNow ? '' : ' (prepared before)'}`,
  );
}

/**
 * Before the runtime's `create`: leases the address and writes hosts/hostname/resolv.conf, so their
 * bind mounts can go into config.json. Idempotent per container id.
 */
export function prepareContainer(opts: PrepareOptions, settings = loadSettings()): Attachment {
  return toAttachment(prepareTraced(settings, opts).ep);
}

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * After the runtime's `create` (the init exists, its namespaces too) and before `start`: creates the
 * veth pair, configures eth0 and lo inside the container's netns, and publishes its ports.
 * Prepares first if prepareContainer was not called. On failure nothing it created is left behind.
 */
export function attachContainer(opts: AttachOptions, settings = loadSettings()): Attachment {
  const { ep, madeNow } = prepareTraced(settings, opts);
  const undoState = (): void => {
    if (madeNow) withNetworkLock(settings.root, () => undoPrepare(settings, ep));
  };
  if (ep.state === 'attached') throw new Error(`container ${opts.id} is already attached to network ${ep.network}`);
  const net = getNetwork(settings, ep.network);
  const nsPath = netnsPathOfPid(opts.pid);
  let nsFd: number;
  try {
    nsFd = openSync(nsPath, 'r');
  } catch (err) {
    undoState();
    throw new Error(`cannot open ${nsPath}: is ${opts.pid} the container's init? (${(err as NodeJS.ErrnoException).code})`);
  }
  // The kernel work runs without the lock: names (veth, rule comments) are per container, and the
  // bridge and nft base chains tolerate being created by two processes at once.
  let vethCreated = false;
  try {
    if (fstatSync(nsFd).ino === statSync('/proc/thread-self/ns/net').ino) {
      throw new Error(`process ${opts.pid} is in tslab's own network namespace, not a container's: ` +
        'a container needs a network namespace of its own ("network" in linux.namespaces) to be attached to a bridge');
    }
    let mac: string | undefined;
    withNetlink((nl) => {
      const bridgeIndex = ensureBridgeWith(nl, net, settings.root);
      rtnl.createVeth(nl, { name: ep.hostVeth, peerName: 'eth0', peerNetns: { fd: nsFd, path: nsPath }, master: bridgeIndex, masterName: net.bridge });
      vethCreated = true;
      rtnl.setLink(nl, { name: ep.hostVeth }, { up: true });
    });
    inNetnsFd(nsFd, nsPath, () => withNetlink((nl) => {
      rtnl.setLink(nl, { name: 'lo' }, { up: true });
      const eth0 = rtnl.getLink(nl, { name: 'eth0' });
      mac = eth0.mac;
      rtnl.addAddress(nl, { index: eth0.index, linkName: 'eth0', address: ep.address, prefix: ep.prefix });
      rtnl.setLink(nl, { index: eth0.index, name: 'eth0' }, { up: true });
      rtnl.addRoute(nl, { gateway: ep.gateway, oif: eth0.index, oifName: 'eth0' });
    }));
    const nftRules = publishPorts(settings.nftTable, ep.id, ep.address, ep.ports);
    const attached: Endpoint = { ...ep, state: 'attached', pid: opts.pid, netnsInode: fstatSync(nsFd).ino, nftRules };
    withNetworkLock(settings.root, () => writeEndpoint(settings.root, attached));
    return toAttachment(attached, mac);
  } catch (err) {
    if (vethCreated) deleteLinkIfPresent(ep.hostVeth);
    if (ep.ports.length > 0) unpublishPorts(settings.nftTable, ep.id);
    undoState();
    throw err;
  } finally {
    closeSync(nsFd);
  }
}

function undoPrepare(settings: NetworkSettings, ep: Endpoint): void {
  release(settings.root, ep.network, networkSubnet(settings, ep), ep.id);
  removeEndpoint(settings.root, ep.id);
  removeContainerFiles(settings.root, ep.id);
  const net = safeNetwork(settings, ep.network);
  if (net?.userDefined) refreshHosts(membersOf(settings, net));
}

function safeNetwork(settings: NetworkSettings, name: string): NetworkDef | undefined {
  try {
    return getNetwork(settings, name);
  } catch {
    return undefined;
  }
}

function networkSubnet(settings: NetworkSettings, ep: Endpoint): string {
  return safeNetwork(settings, ep.network)?.subnet ?? `${ep.address}/${ep.prefix}`;
}

function deleteLinkIfPresent(name: string): boolean {
  return withNetlink((nl) => {
    try {
      // a container whose netns already died took its veth pair with it: ENODEV is the usual answer
      rtnl.deleteLink(nl, { name }, { errno: 'ENODEV', why: 'the veth pair went away with the container\'s network namespace' });
      return true;
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === 'ENODEV') return false;
      throw err;
    }
  });
}

export interface DetachResult {
  id: string;
  /** false when nothing was known about the container */
  found: boolean;
  vethDeleted: boolean;
  rulesDeleted: number;
  addressesReleased: string[];
}

/**
 * Removes everything of the container: the veth pair (deleting the host end deletes eth0 too; when
 * the container's netns already died the kernel deleted both), its nft rules, its lease and files.
 * Safe to call twice, and for a container that was never attached.
 */
export function detachContainer(id: string, settings = loadSettings()): DetachResult {
  checkId(id);
  const ep = readEndpoint(settings.root, id);
  const hostVeth = ep?.hostVeth ?? hostVethName(id);
  // Kernel objects first, without the lock (they are this container's alone), then the state under it.
  const vethDeleted = deleteLinkIfPresent(hostVeth);
  // Rules exist only for published ports; an unknown id (gc of a lost record) is looked up by comment.
  const rulesDeleted = ep && ep.ports.length === 0 ? 0 : unpublishPorts(settings.nftTable, id, ep?.nftRules ?? []);
  const addressesReleased = withNetworkLock(settings.root, () => {
    let released: string[] = [];
    const current = readEndpoint(settings.root, id);
    if (current) {
      released = release(settings.root, current.network, networkSubnet(settings, current), id);
      removeEndpoint(settings.root, id);
      const net = safeNetwork(settings, current.network);
      if (net?.userDefined) refreshHosts(membersOf(settings, net));
    }
    removeContainerFiles(settings.root, id);
    return released;
  });
  tracer.point('info', 'network.detached', { container: id, veth: vethDeleted ? hostVeth : null, rules: rulesDeleted,
    released: addressesReleased }, `network: detached ${id} (${addressesReleased.join(', ') || 'no lease'})`);
  return { id, found: ep !== undefined, vethDeleted, rulesDeleted, addressesReleased };
}

/** `--network none`: the container keeps its own netns with only lo, which we bring up (as docker does). */
export function setupLoopbackOnly(pid: number): void {
  const path = netnsPathOfPid(pid);
  const fd = openSync(path, 'r');
  try {
    inNetnsFd(fd, path, () => withNetlink((nl) => rtnl.setLink(nl, { name: 'lo' }, { up: true })));
  } finally {
    closeSync(fd);
  }
}


