// The entry point of bin/tslab-runtime, bundled into dist/runtime.cjs: the runtime's commands only.
import { runProgram } from './program.js';
import { registerOci } from './commands/oci.js';

export function main(argv: string[]): Promise<void> {
  return runProgram(argv, 'tslab-runtime', [registerOci]);
}
