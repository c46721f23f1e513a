// `tslab network create|ls|rm|inspect` for user-defined bridges, plus the low-level
// `connect|disconnect|gc` that put an existing container's init on a network (labs and tests use
// them; `tslab container run --network` calls the same API).
import type { Command } from 'commander';
import { requireRoot, UsageError } from '../../errors.js';
import {
  attachContainer, createNetwork, detachContainer, formatPort, gcNetworks, listEndpoints, listNetworks, loadSettings,
  removeNetwork, findNetwork, DEFAULT_NETWORK,
} from '../../net/index.js';
import { writeOut } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as Error & { errno?: string };
    // Kernel refusals keep their errno for the trace; user mistakes become one-line usage errors.
    if (e.errno) throw err;
    throw new UsageError(e.message);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd()).join('\n') + '\n';
}

export function registerNetwork(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const network = program.command('network').description('container networks: bridges, addresses, published ports');

  network.command('create')
    .description('create a user-defined bridge network; its containers reach each other by name')
    .argument('<name>', 'network name')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.88.5.0/24 (default: the next free /24 of 10.88.0.0/16)')
    .option('--bridge <link>', 'name of the Linux bridge (default: derived from the name)')
    .action((name: string, opts: { subnet?: string; bridge?: string }) => {
      requireRoot('tslab network create');
      const net = usage(() => createNetwork({ name, ...opts }));
      writeOut(`${net.name}\t${net.bridge}\t${net.subnet}\tgateway ${net.gateway}\n`);
    });

  network.command('ls')
    .description('list networks')
    .option('--format <format>', 'table | json', 'table')
    .action((opts: { format: string }) => {
      const settings = loadSettings();
      const endpoints = listEndpoints(settings.root);
      const nets = listNetworks(settings).map((n) => ({ ...n, containers: endpoints.filter((e) => e.network === n.name).length }));
      if (opts.format === 'json') {
        writeOut(JSON.stringify(nets, null, 2) + '\n');
        return;
      }
      const rows = [['NAME', 'BRIDGE', 'SUBNET', 'GATEWAY', 'CONTAINERS']];
      for (const n of nets) rows.push([n.name, n.bridge, n.subnet, n.gateway, String(n.containers)]);
      writeOut(table(rows));
    });

  network.command('inspect')
    .description('show networks as JSON, with their containers, addresses and published ports')
    .argument('<names...>', 'network names')
    .action((names: string[]) => {
      const settings = loadSettings();
      const endpoints = listEndpoints(settings.root);
      const out = names.map((name) => {
        const net = findNetwork(settings, name);
        if (!net) throw new UsageError(`no network named "${name}" (see tslab network ls)`);
        const containers = endpoints.filter((e) => e.network === name).map((e) => ({
          id: e.id, name: e.name, address: `${e.address}/${e.prefix}`, hostVeth: e.hostVeth, state: e.state,
          ports: e.ports.map(formatPort),
        }));
        return { ...net, containers };
      });
      writeOut(JSON.stringify(out, null, 2) + '\n');
    });

  network.command('rm')
    .description('remove user-defined networks (they must have no containers)')
    .argument('<names...>', 'network names')
    .action((names: string[]) => {
      requireRoot('tslab network rm');
      for (const name of names) {
        usage(() => removeNetwork(name));
        writeOut(`${name}\n`);
      }
    });

  network.command('connect')
    .description('attach a created container (its init pid) to a network: veth pair, address, route, ports')
    .argument('<network>', `network name (${DEFAULT_NETWORK} is the default bridge)`)
    .argument('<id>', 'container id')
    .requiredOption('--pid <pid>', 'pid of the container\'s init, as the host sees it')
    .option('--name <name>', 'name peers resolve (user-defined networks)')
    .option('--hostname <hostname>', 'written to the container\'s /etc/hostname and /etc/hosts')
    .option('-p, --publish <spec>', 'publish a port: [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp] (repeatable)', collect, [])
    .option('--format <format>', 'text | json', 'text')
    .action((net: string, id: string, opts: { pid: string; name?: string; hostname?: string; publish: string[]; format: string }) => {
      requireRoot('tslab network connect');
      if (!/^\d+$/.test(opts.pid)) throw new UsageError(`--pid ${opts.pid}: expected a process id`);
      const a = usage(() => attachContainer({
        id, pid: Number(opts.pid), network: net, ports: opts.publish,
        ...(opts.name ? { name: opts.name } : {}), ...(opts.hostname ? { hostname: opts.hostname } : {}),
      }));
      if (opts.format === 'json') writeOut(JSON.stringify(a, null, 2) + '\n');
      else writeOut(`${a.id}\t${a.network}\t${a.address}/${a.prefix}\tgateway ${a.gateway}\t${a.hostVeth}\n`);
    });

  network.command('disconnect')
    .description('detach containers: delete their veth pair, published ports, address lease and files')
    .argument('<ids...>', 'container ids')
    .action((ids: string[]) => {
      requireRoot('tslab network disconnect');
      for (const id of ids) {
        const r = detachContainer(id);
        writeOut(`${id}${r.found ? '' : ' (was not attached)'}\n`);
      }
    });

  network.command('gc')
    .description('remove leases, veths and firewall rules left by containers that died without cleanup')
    .action(() => {
      requireRoot('tslab network gc');
      const r = gcNetworks();
      writeOut(`endpoints: ${r.endpoints.length}, links: ${r.links.length}, rule sets: ${r.rules.length}, leases: ${r.leases.length}\n`);
    });
}
