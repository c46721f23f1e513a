// Loading a lab definition. lab.ts is compiled on its own with TypeScript's transpiler (it imports
// only types), with a source map, so a syntax error and a throwing check both name lab.ts:line.
// A shipped lab that the build compiled and that is unchanged since (or any, without the typescript
// package) loads from the build's dist/labs/**/lab.js instead. Positions are mapped back here
// (locate), not by Node's source-map support, which would read the map of every lab on load.
import { readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { LabRef } from './catalog.js';
import type { LabDefinition } from './format.js';
import { packageRoot } from '../oci/runtime-cli.js';
import { decodeMappings, originalPosition, type LineMap } from './sourcemap.js';

/** A lab that cannot be used: says which lab, and where in its file when known. */
export class LabError extends Error {
  constructor(readonly lab: string, readonly where: string | undefined, message: string) {
    super(`${lab}: ${where ? `${where}: ` : ''}${message}`);
    this.name = 'LabError';
  }
}

type Ts = typeof import('typescript');
let typescript: Ts | null | undefined;

async function loadTypescript(): Promise<Ts | null> {
  if (typescript === undefined) {
    try {
      const mod = (await import('typescript')) as unknown as { default?: Ts } & Ts;
      typescript = mod.default ?? mod;
    } catch {
      typescript = null;
    }
  }
  return typescript;
}

let loads = 0;

/** compiled file → the lab it came from and its decoded source map */
const compiled = new Map<string, { source: string; map: LineMap }>();

function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

async function compile(ref: LabRef, ts: Ts, target: string): Promise<string> {
  const source = readFileSync(ref.file, 'utf8');
  const output = ts.transpileModule(source, {
    fileName: ref.file,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: true,
      verbatimModuleSyntax: false,
    },
  });
  const problem = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (problem) {
    const message = ts.flattenDiagnosticMessageText(problem.messageText, '\n');
    let where: string | undefined;
    if (problem.file && problem.start !== undefined) {
      const { line, character } = problem.file.getLineAndCharacterOfPosition(problem.start);
      where = `${shown(ref.file)}:${line + 1}:${character + 1}`;
    }
    throw new LabError(ref.id, where ?? shown(ref.file), `syntax error: ${message}`);
  }
  const map = JSON.parse(output.sourceMapText!) as { sources: string[]; file?: string; mappings: string };
  map.sources = [ref.file];
  compiled.set(target, { source: ref.file, map: decodeMappings(map.mappings) });
  const code = output.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  return `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

/** dist/labs/<…>/lab.js built by tsc, when it is at least as new as the source. */
function builtCopy(file: string): string | undefined {
  const root = packageRoot();
  const rel = relative(root, file);
  if (rel.startsWith('..')) return undefined;
  const built = join(root, 'dist', rel.replace(/\.m?ts$/, '.js'));
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs) return undefined;
  return built;
}

/** The build's copy of `file` at `path` with tsc's map beside it, read once a stack names it. */
function builtCopyMap(path: string, file: string): { source: string; map: LineMap } | undefined {
  if (!file.endsWith('ts') || builtCopy(file) !== path) return undefined;
  try {
    const entry = { source: file, map: decodeMappings((JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { mappings: string }).mappings) };
    compiled.set(path, entry);
    return entry;
  } catch {
    return undefined;
  }
}

function validate(ref: LabRef, value: unknown): LabDefinition {
  const where = shown(ref.file);
  if (!value || typeof value !== 'object') {
    throw new LabError(ref.id, where, 'has no default export: write `export default { title, summary, containers, steps }`');
  }
  const lab = value as Partial<LabDefinition>;
  for (const field of ['title', 'summary'] as const) {
    if (typeof lab[field] !== 'string' || lab[field] === '') throw new LabError(ref.id, where, `"${field}" must be a non-empty string`);
  }
  if (!lab.containers || typeof lab.containers !== 'object') throw new LabError(ref.id, where, '"containers" must be an object');
  for (const [name, c] of Object.entries(lab.containers)) {
    if (!/^[a-z][a-z0-9]*$/.test(name)) throw new LabError(ref.id, where, `container name "${name}" must be lower-case letters and digits`);
    if (!c || typeof c.image !== 'string') throw new LabError(ref.id, where, `container "${name}" needs an "image"`);
  }
  if (!Array.isArray(lab.steps) || lab.steps.length === 0) throw new LabError(ref.id, where, '"steps" must be a non-empty list');
  if (!Array.isArray(lab.controls)) {
    throw new LabError(ref.id, where, '"controls" must be a list of negative controls: `controls: [{ wrapper, mustFail }]` (see docs/labs.md)');
  }
  lab.steps.forEach((step, i) => {
    if (!step || typeof step.title !== 'string') throw new LabError(ref.id, where, `step ${i + 1} needs a "title"`);
    for (const check of step.checks ?? []) {
      if (typeof check.verify !== 'function') {
        throw new LabError(ref.id, where, `check "${check.title}" of step "${step.title}" needs a verify function`);
      }
    }
    const task = step.task;
    if (task) {
      for (const field of ['instruction', 'command', 'solution'] as const) {
        if (typeof task[field] !== 'string' || task[field] === '') throw new LabError(ref.id, where, `the task of step "${step.title}" needs "${field}" (a non-empty string)`);
      }
      if (typeof task.check?.verify !== 'function') throw new LabError(ref.id, where, `the task of step "${step.title}" needs a check with a verify function`);
    }
  });
  return lab as LabDefinition;
}

export async function loadLab(ref: LabRef): Promise<LabDefinition> {
  let module: { default?: unknown };
  // a shipped lab the build compiled, unchanged since: loading TypeScript alone costs ~1 s
  const built = ref.file.endsWith('ts') ? builtCopy(ref.file) : undefined;
  const ts = ref.file.endsWith('ts') && !built ? await loadTypescript() : null;
  if (ts) {
    const tmp = join(tmpdir(), `tslab-lab-load-${process.pid}-${++loads}.mjs`);
    const code = await compile(ref, ts, tmp);
    writeFileSync(tmp, code);
    try {
      module = (await import(pathToFileURL(tmp).href)) as { default?: unknown };
    } catch (err) {
      throw new LabError(ref.id, locate(err, ref.file) ?? shown(ref.file), (err as Error).message);
    } finally {
      rmSync(tmp, { force: true });
    }
  } else {
    const file = ref.file.endsWith('ts') ? built : ref.file;
    if (!file) throw new LabError(ref.id, shown(ref.file), 'cannot compile lab.ts: the typescript package is missing and dist/ has no build of it');
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (err) {
      throw new LabError(ref.id, locate(err, ref.file) ?? shown(ref.file), (err as Error).message);
    }
  }
  return validate(ref, module.default);
}

/** `lab.ts:LINE:COL` of the first stack frame in the lab's file, when the error passed through it. */
export function locate(err: unknown, file: string): string | undefined {
  const stack = (err as Error | undefined)?.stack ?? '';
  const url = pathToFileURL(file).href;
  for (const line of stack.split('\n')) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const path = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (path === file || m[1] === url || path.endsWith(`:${file}`)) return `${shown(file)}:${m[2]}:${m[3]}`;
    // a frame in the compiled or the built copy (source maps not applied by whoever printed the stack)
    const copy = compiled.get(path) ?? builtCopyMap(path, file);
    if (copy?.source === file) {
      const at = originalPosition(copy.map, Number(m[2]), Number(m[3]));
      if (at) return `${shown(file)}:${at.line}:${at.column}`;
    }
  }
  return undefined;
}
