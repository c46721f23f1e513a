// What tslab networking holds for a container, read from its endpoint file: no netlink, no nft
// rules, so listings (`container ls`, `port`) load only this and not the code that attaches.
import { readEndpoint, type Endpoint } from './endpoints.js';
import { formatPort, type PortMapping } from './ports.js';
import { loadSettings } from './settings.js';

/** An OCI mount (config.json "mounts" entry) for one of the files tslab writes. */
export interface FileMount {
  destination: string;
  type: 'bind';
  source: string;
  options: string[];
}

export interface Attachment {
  id: string;
  network: string;
  bridge: string;
  /** the container's address on eth0 */
  address: string;
  prefix: number;
  gateway: string;
  /** the host end of the veth pair */
  hostVeth: string;
  /** the container end, inside its netns */
  containerInterface: 'eth0';
  mac?: string;
  ports: PortMapping[];
  files: Endpoint['files'];
  /** add these to config.json so the container sees its hosts, hostname and resolv.conf */
  mounts: FileMount[];
}

export function toAttachment(ep: Endpoint, mac?: string): Attachment {
  const bind = (destination: string, source: string): FileMount =>
    ({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  return {
    id: ep.id, network: ep.network, bridge: ep.bridge, address: ep.address, prefix: ep.prefix, gateway: ep.gateway,
    hostVeth: ep.hostVeth, containerInterface: 'eth0', ...(mac ? { mac } : {}), ports: ep.ports, files: ep.files,
    mounts: [bind('/etc/hosts', ep.files.hosts), bind('/etc/hostname', ep.files.hostname), bind('/etc/resolv.conf', ep.files.resolvConf)],
  };
}

/** The endpoint of a container, for `container inspect` and `container port`. */
export function containerNetwork(id: string, settings = loadSettings()): Attachment | undefined {
  const ep = readEndpoint(settings.root, id);
  return ep ? toAttachment(ep) : undefined;
}

export function describePorts(ports: PortMapping[]): string[] {
  return ports.map(formatPort);
}
