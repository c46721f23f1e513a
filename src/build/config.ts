// The instructions that change only the image config (ENV, LABEL, USER, CMD, ENTRYPOINT, …): one
// implementation for `build` and for `container commit --change`.
import type { Instruction } from './dockerfile.js';
import { runtimeConfig, type StageImage } from './image.js';
import { keyValues, word, words, type Vars } from './words.js';

/** Docker's shell form: SHELL's prefix + the text, or the JSON form as written. */
export function shellForm(shell: string[], ins: Instruction): string[] {
  return ins.json ?? [...shell, ins.rest];
}

export function envMap(image: StageImage): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of runtimeConfig(image).Env ?? []) {
    const eq = e.indexOf('=');
    m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return m;
}

function setEnv(image: StageImage, key: string, value: string): void {
  const cfg = runtimeConfig(image);
  const env = (cfg.Env ?? []).filter((e) => !e.startsWith(`${key}=`) && e !== key);
  env.push(`${key}=${value}`);
  cfg.Env = env;
}

export const CONFIG_INSTRUCTIONS = new Set(['ENV', 'LABEL', 'MAINTAINER', 'USER', 'STOPSIGNAL', 'EXPOSE', 'VOLUME', 'SHELL', 'CMD', 'ENTRYPOINT', 'WORKDIR']);

/**
 * Applies a config instruction to `image`; returns docker's history text for it (undefined: keep
 * the default). `cmdSetHere`: whether this stage set CMD already (an ENTRYPOINT resets only an
 * inherited CMD). Throws an Error with the message for bad arguments.
 */
export function applyConfig(image: StageImage, ins: Instruction, v: Vars, cmdSetHere: boolean): string | undefined {
  const cfg = runtimeConfig(image);
  const nop = '/bin/sh -c #(nop) ';
  switch (ins.name) {
    case 'ENV': {
      const pairs = keyValues(ins.rest, v, true);
      for (const [k, val] of pairs) setEnv(image, k, val);
      return `${nop} ENV ${pairs.map(([k, val]) => `${k}=${val}`).join(' ')}`;
    }
    case 'LABEL': {
      const pairs = keyValues(ins.rest, v, false);
      cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(pairs) };
      return `${nop} LABEL ${pairs.map(([k, val]) => `${k}=${val}`).join(' ')}`;
    }
    case 'MAINTAINER':
      image.config.author = word(ins.rest, v);
      return undefined;
    case 'USER':
      cfg.User = word(ins.rest, v);
      return undefined;
    case 'WORKDIR':
      cfg.WorkingDir = word(ins.rest, v);
      return undefined;
    case 'STOPSIGNAL': {
      const sig = word(ins.rest, v).toUpperCase();
      if (!/^(SIG[A-Z0-9+-]+|\d+)$/.test(sig)) throw new Error(`"${ins.rest}" is not a signal (e.g. SIGTERM or 15)`);
      cfg.StopSignal = sig;
      return undefined;
    }
    case 'EXPOSE': {
      const ports: Record<string, object> = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of words(ins.rest, v)) {
        const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m || Number(m[1]) > 65535) throw new Error(`"${p}" is not a port (PORT or PORT/tcp|udp)`);
        ports[`${m[1]}${m[2] ? `-${m[2]}` : ''}/${(m[3] ?? 'tcp').toLowerCase()}`] = {};
      }
      cfg.ExposedPorts = ports;
      return undefined;
    }
    case 'VOLUME': {
      const paths = ins.json ?? words(ins.rest, v);
      if (paths.length === 0) throw new Error('needs a path');
      cfg.Volumes = { ...(cfg.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) };
      return undefined;
    }
    case 'SHELL':
      image.shell = ins.json!;
      return undefined;
    case 'CMD':
      cfg.Cmd = shellForm(image.shell, ins);
      return `${nop} CMD ${JSON.stringify(cfg.Cmd)}`;
    case 'ENTRYPOINT':
      cfg.Entrypoint = ins.rest === '' && !ins.json ? null : shellForm(image.shell, ins);
      // docker: an ENTRYPOINT resets the CMD the base image gave, not one this stage set
      if (!cmdSetHere) cfg.Cmd = null;
      return `${nop} ENTRYPOINT ${JSON.stringify(cfg.Entrypoint)}`;
    default:
      throw new Error(`${ins.name} cannot be applied as a config change (use one of ${[...CONFIG_INSTRUCTIONS].join(', ')})`);
  }
}
