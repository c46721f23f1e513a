import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

const conf = (lab: LabContext, jq: string): Promise<string> => lab.outside(`jq -r '${jq}' "$BUNDLE_C/config.json"`).then((r) => r.out);
const HOST_NS: Record<string, string> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup' };

export default {
  title: 'The OCI bundle: config.json is the whole contract',
  summary: 'An OCI runtime is given a folder: config.json and a root file system. Everything the container is ' +
    'comes from that file: the program and its arguments, environment, working directory, hostname, root, and ' +
    'the namespaces to create. The host can read each one back from the kernel.',
  containers: {
    c: {
      image: 'busybox',
      hostname: 'bundle-box',
      env: ['GREETING=hello-from-config'],
      args: ['sleep', '424242'],
      editSpec: (spec) => { spec.process!.cwd = '/tmp'; },
    },
  },
  steps: [
    {
      title: 'Read config.json',
      say: 'The bundle the runner wrote for this container: process (args, env, cwd, user, capabilities), root (path, ' +
        'readonly), hostname, mounts and linux (namespaces, cgroupsPath, resources, masked paths). engine → shim → ' +
        'runtime: whatever docker run\'s flags were, this is what reaches runc.',
      run: [{ sh: 'ls "$BUNDLE_C"; jq -c "{args: .process.args, env: .process.env, cwd: .process.cwd, hostname, root, namespaces: [.linux.namespaces[].type]}" "$BUNDLE_C/config.json"' }],
      checks: [
        {
          title: 'the container\'s process runs exactly process.args',
          from: 'outside',
          hint: (seen) => `The process runs "${seen}".`,
          verify: async (lab) => lab.expect.equal(lab.readFile(`/proc/${lab.container('c').pid}/cmdline`).split('\0').filter(Boolean).join(' '),
            await conf(lab, '.process.args | join(" ")')),
        },
        {
          title: 'its environment has process.env',
          from: 'outside',
          hint: 'GREETING is missing from /proc/<pid>/environ.',
          verify: (lab) => lab.expect.includes(lab.readFile(`/proc/${lab.container('c').pid}/environ`).split('\0').join(' '), 'GREETING=hello-from-config'),
        },
        {
          title: 'inside, the working directory is process.cwd and the hostname is hostname',
          from: 'inside',
          hint: (seen) => `Inside: ${seen}.`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'echo "$(readlink /proc/1/cwd) $(hostname)"')).out, '/tmp bundle-box'),
        },
        {
          title: 'every namespace the config asks for is a new one, not the host\'s',
          from: 'outside',
          hint: (seen) => `Shared with the host: ${seen}.`,
          verify: async (lab) => {
            // the six this lab's config asks for (runc's default list); not re-read from config.json, which
            // a runtime (or a wrapper) may have rewritten in place
            const types = Object.keys(HOST_NS);
            const shared: string[] = [];
            for (const t of types) {
              const link = HOST_NS[t];
              if (!link) continue;
              const r = (await lab.outside(`readlink /proc/self/ns/${link} /proc/$PID_C/ns/${link}`)).out.split('\n');
              if (r[0] === r[1]) shared.push(t);
            }
            return lab.expect.that(shared.length === 0 && types.length >= 5, 'none shared', shared.join(', ') || `none of ${types.join(', ')}`);
          },
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'no-uts-ns', mustFail: ['inside, the working directory is process.cwd and the hostname is hostname'] },
    { wrapper: 'no-ipc-ns', mustFail: ['every namespace the config asks for is a new one, not the host\'s'] },
  ],
} satisfies LabDefinition;
