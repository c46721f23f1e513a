// The tslab CLI. `tslab-runtime` is the same program with runc's command line at the top level.
import { runProgram } from './program.js';
export { VERSION } from './version.js';

export async function main(argv: string[], binName: 'tslab' | 'tslab-runtime'): Promise<void> {
  // tslab-runtime loads only the runtime's commands: engines call it for every container operation,
  // so its start-up time is the runtime's start-up time.
  if (binName === 'tslab-runtime') {
    const { registerOci } = await import('./commands/oci.js');
    return runProgram(argv, binName, [registerOci]);
  }
  // only the command being run is loaded (src/cli/commands/index.ts)
  const { registrarsFor } = await import('./commands/index.js');
  return runProgram(argv, binName, await registrarsFor(argv));
}
