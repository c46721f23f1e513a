// tslab networking, the API the rest of tslab uses (see docs/networking.md):
//   prepareContainer   before the runtime's create: lease an address, write hosts/hostname/resolv.conf
//   attachContainer    after create, before start: veth pair, eth0 + lo + default route, published ports
//   detachContainer    on rm (and on any failure): veth, rules, lease and files go away
//   gcNetworks         remove what dead containers (kill -9, reboot) left behind
export {
  prepareContainer, attachContainer, detachContainer, setupLoopbackOnly, containerNetwork, hostVethName, describePorts,
  type PrepareOptions, type AttachOptions, type Attachment, type DetachResult, type FileMount,
} from './attach.js';
export { gcNetworks, endpointAlive, type GcOptions, type GcResult } from './gc.js';
export { createNetwork, removeNetwork, resetNetworking, type CreateOptions } from './manage.js';
export { listNetworks, findNetwork, getNetwork, type NetworkDef } from './networks.js';
export { listEndpoints, readEndpoint, type Endpoint } from './endpoints.js';
export { parsePortSpec, formatPort, type PortMapping } from './ports.js';
export { loadSettings, networkRoot, DEFAULT_NETWORK, type NetworkSettings } from './settings.js';
