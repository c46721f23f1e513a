// The Dockerfile parser: lines (with `\` continuations and the `# escape=` directive) into
// instructions, each with its line, its --flags and its arguments in shell or JSON (exec) form.
// Every error names the file, the line and the instruction: `Dockerfile:7: COPY needs …`.
import { UsageError } from '../errors.js';

export const INSTRUCTIONS = [
  'FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'USER', 'EXPOSE', 'LABEL', 'VOLUME',
  'SHELL', 'STOPSIGNAL', 'MAINTAINER',
] as const;
export type InstructionName = (typeof INSTRUCTIONS)[number];

/** Docker instructions tslab knows but does not build, with the reason. */
const REFUSED: Record<string, string> = {
  HEALTHCHECK: 'OCI image configs have no health check; run the check from CMD or a test instead',
  ONBUILD: 'triggers for later builds are not supported; put the steps in the Dockerfile that needs them',
};

export interface Instruction {
  name: InstructionName;
  /** 1-based line where the instruction starts. */
  line: number;
  /** The instruction as written (continuations joined), for history and the cache key. */
  original: string;
  /** --name=value flags before the arguments. */
  flags: Record<string, string>;
  /** The arguments after the flags, unparsed. */
  rest: string;
  /** The JSON array form (RUN/CMD/ENTRYPOINT/SHELL/COPY/ADD/VOLUME), when used. */
  json?: string[];
}

export class DockerfileError extends UsageError {
  constructor(file: string, line: number, what: string, message: string) {
    super(`${file}:${line}: ${what ? `${what}: ` : ''}${message}`);
  }
}

/** Levenshtein distance ≤ 2 against the known names, for "did you mean". */
function suggestion(word: string): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
    }
    return d[a.length]![b.length]!;
  };
  return INSTRUCTIONS.find((n) => dist(word, n) <= 2);
}

function parseJsonArray(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch {
    // not JSON: docker then takes the text as the shell form
  }
  return undefined;
}

const JSON_FORMS = new Set<InstructionName>(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME']);
const FLAGS: Partial<Record<InstructionName, string[]>> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod'],
  ADD: ['chown', 'chmod'],
  RUN: [],
};

/** Parses a Dockerfile's text; `file` is the name errors show. */
export function parseDockerfile(text: string, file = 'Dockerfile'): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  // parser directives: only at the very top, before any instruction or other comment
  for (const l of lines) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(l);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileError(file, lines.indexOf(l) + 1, '', `escape must be \\ or \`, not ${m[2]}`);
      escape = m[2]!;
    }
  }
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    const start = i + 1;
    // continuations: a line ending in the escape character goes on; comment lines inside are dropped
    const parts: string[] = [];
    while (line.trimEnd().endsWith(escape) && i + 1 < lines.length) {
      parts.push(line.trimEnd().slice(0, -1));
      i++;
      line = lines[i]!;
      while (/^\s*#/.test(line) && i + 1 < lines.length) line = lines[++i]!;
    }
    parts.push(line.trimEnd().endsWith(escape) ? line.trimEnd().slice(0, -1) : line);
    const full = parts.join('').trim();
    const m = /^(\S+)\s*([\s\S]*)$/.exec(full)!;
    const word = m[1]!.toUpperCase();
    let rest = m[2]!;
    if (word in REFUSED) throw new DockerfileError(file, start, word, `not supported: ${REFUSED[word]}`);
    if (!(INSTRUCTIONS as readonly string[]).includes(word)) {
      const near = suggestion(word);
      throw new DockerfileError(file, start, '', `unknown instruction "${m[1]}"${near ? ` (did you mean ${near}?)` : ''}; see https://docs.docker.com/reference/dockerfile/`);
    }
    const name = word as InstructionName;
    if (rest.startsWith('<<')) throw new DockerfileError(file, start, name, 'here-documents (<<EOF) are not supported: write the lines out, or COPY a script');
    const flags: Record<string, string> = {};
    const allowed = FLAGS[name];
    while (allowed && /^--[a-z-]+(=\S*)?(\s|$)/.test(rest)) {
      const f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)!;
      if (!allowed.includes(f[1]!)) {
        throw new DockerfileError(file, start, name, `unknown flag --${f[1]}${allowed.length ? ` (${name} takes ${allowed.map((a) => `--${a}`).join(', ')})` : ''}`);
      }
      if (f[2] === undefined || f[2] === '') throw new DockerfileError(file, start, name, `--${f[1]} needs a value (--${f[1]}=VALUE)`);
      flags[f[1]!] = f[2];
      rest = rest.slice(f[0].length);
    }
    rest = rest.trim();
    const json = JSON_FORMS.has(name) ? parseJsonArray(rest) : undefined;
    const instruction: Instruction = { name, line: start, original: full, flags, rest, ...(json ? { json } : {}) };
    checkArguments(instruction, file, out.length === 0 || out.every((o) => o.name === 'ARG'));
    out.push(instruction);
  }
  if (!out.some((o) => o.name === 'FROM')) throw new DockerfileError(file, 1, '', 'no FROM instruction: a Dockerfile starts with FROM IMAGE (or FROM scratch)');
  const first = out.find((o) => o.name !== 'ARG');
  if (first && first.name !== 'FROM') throw new DockerfileError(file, first.line, first.name, 'comes before the first FROM: only ARG may');
  return out;
}

function checkArguments(ins: Instruction, file: string, _beforeFrom: boolean): void {
  const fail = (msg: string): never => {
    throw new DockerfileError(file, ins.line, ins.name, msg);
  };
  const noArgs = ins.rest === '' && !ins.json;
  switch (ins.name) {
    case 'FROM': {
      const words = ins.rest.split(/\s+/).filter(Boolean);
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === 'AS')) fail('use FROM IMAGE or FROM IMAGE AS NAME');
      if (words.length === 3 && !/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(words[2]!)) fail(`stage name "${words[2]}": use letters, digits, _ . - and start with a letter`);
      break;
    }
    case 'COPY':
    case 'ADD': {
      const n = ins.json ? ins.json.length : ins.rest.split(/\s+/).filter(Boolean).length;
      if (n < 2) fail(`needs a source and a destination (${ins.name} SRC… DEST)`);
      break;
    }
    case 'SHELL':
      if (!ins.json || ins.json.length === 0) fail('needs the JSON form, e.g. SHELL ["/bin/sh", "-c"]');
      break;
    case 'ENV':
    case 'LABEL':
    case 'ARG':
    case 'WORKDIR':
    case 'USER':
    case 'EXPOSE':
    case 'VOLUME':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
    case 'RUN':
      if (noArgs) fail('needs an argument');
      break;
    case 'CMD':
    case 'ENTRYPOINT':
      break;
  }
}

/** FROM's parts. */
export function fromParts(ins: Instruction): { image: string; alias?: string } {
  const words = ins.rest.split(/\s+/).filter(Boolean);
  return { image: words[0]!, ...(words[2] ? { alias: words[2] } : {}) };
}
