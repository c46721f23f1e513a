import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Hands a command over to the TUI (src/tui) with --step/--tui removed from its arguments.
export async function runUnderTuiFromCli(argv: string[], opts: { step: boolean; title: string }): Promise<number> {
  const args = argv.filter((a) => a !== '--step' && a !== '--tui');
  // resolved at run time: the TUI loads only when asked for, from dist/src even inside the bundle
  const local = new URL('../tui/index.js', import.meta.url);
  const modulePath = existsSync(fileURLToPath(local)) ? local.href : new URL('./src/tui/index.js', import.meta.url).href;
  const tui = (await import(modulePath)) as {
    runUnderTui(argv: string[], o: { step: boolean; title?: string }): Promise<number>;
  };
  return tui.runUnderTui(args, opts);
}
