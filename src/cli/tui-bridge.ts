// Hands a command over to the TUI (src/tui) with --step/--tui removed from its arguments.
export async function runUnderTuiFromCli(argv: string[], opts: { step: boolean; title: string }): Promise<number> {
  const args = argv.filter((a) => a !== '--step' && a !== '--tui');
  const modulePath = '../tui/index.js'; // resolved at run time: the TUI loads only when asked for
  const tui = (await import(modulePath)) as {
    runUnderTui(argv: string[], o: { step: boolean; title?: string }): Promise<number>;
  };
  return tui.runUnderTui(args, opts);
}
