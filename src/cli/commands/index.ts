// Every top-level command registers here, one line each, and loads only when it is run.
//
// How to add a command: put it in its own file under src/cli/commands/ exporting a Registrar, and
// add a line below naming the top-level words it registers and how to import it. `tslab WORD …`
// imports only the file whose `names` hold WORD (main.ts picks it); `tslab --help`, `tslab help`
// and an unknown word load them all, so help and "did you mean" still list everything.
// Keep each file's top-level imports to what registration needs (commander, option parsers): the
// heavy parts — the TUI (ink, react), the registry client, the builder, the labs — go in
// `await import(…)` inside the action that uses them, so that other commands never load them.
// The whole CLI is one CommonJS bundle (scripts/bundle.mjs, dist/tslab.cjs); an `import()` there
// runs the module's top level on first use only.
import { commandWord, type Registrar } from '../program.js';

export type { Registrar };
export { commandWord };

export interface CommandGroup {
  /** the top-level words the registrar adds to the program */
  names: string[];
  load(): Promise<Registrar>;
}

export const commandGroups: CommandGroup[] = [
  { names: ['oci'], load: async () => (await import('./oci.js')).registerOci },
  { names: ['run', 'test', 'lab'], load: async () => (await import('./lab.js')).registerLab },
  { names: ['network'], load: async () => (await import('./network.js')).registerNetwork },
  // `image build` is the builder's: it adds itself to the image command, which must come first
  { names: ['image', 'build'], load: async () => both((await import('./image.js')).registerImage, (await import('./build.js')).registerBuild) },
  { names: ['login', 'logout'], load: async () => (await import('./image.js')).registerLogin },
  { names: ['trace'], load: async () => (await import('./trace.js')).registerTrace },
  { names: ['container'], load: async () => both((await import('./container.js')).registerContainer, (await import('./container-more.js')).registerContainerMore) },
  { names: ['volume'], load: async () => (await import('./volume.js')).registerVolume },
  { names: ['version', 'info', 'search'], load: async () => (await import('./system.js')).registerSystem },
  { names: ['explain'], load: async () => (await import('./explain.js')).registerExplain },
];

/** Two registrars of one command group, in order. */
function both(first: Registrar, second: Registrar): Registrar {
  return (program, binName) => {
    first(program, binName);
    second(program, binName);
  };
}

/** The registrars `tslab ARGV` needs: its command's, none for a bare --version, else all. */
export async function registrarsFor(argv: string[]): Promise<Registrar[]> {
  const word = commandWord(argv);
  const group = word === undefined ? undefined : commandGroups.find((g) => g.names.includes(word));
  if (group) return [await group.load()];
  if (word === undefined && argv.some((a) => a === '-V' || a === '--version')) return [];
  return Promise.all(commandGroups.map((g) => g.load()));
}
