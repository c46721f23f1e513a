// Ink decides once, when it is first imported, whether it runs "in CI" (the package is-in-ci reads the
// CI and CONTINUOUS_INTEGRATION variables) and if so draws only the final frame: a step-through TUI
// would show a blank screen until the end. tslab draws a TUI only when stdin and stdout are a terminal
// (and `--plain` was not given), so a CI variable inherited by that terminal must not blank it.
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

/** Imports ink (before anything else does) with the CI variables hidden, then puts them back. */
export async function loadInkForTerminal(): Promise<typeof import('ink')> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await import('ink');
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
