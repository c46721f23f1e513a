// nftables through the nft(8) tool. Writing nf_tables netlink by hand (batches, expressions,
// registers) would hide the lesson under encoding; nft's own language is what people will type.
// So: every rule is one traced event with its text, and the batch goes to `nft -f -` as one
// transaction (all rules or none).
import { spawnSync } from 'node:child_process';
import { tracer } from '../tracer/tracer.js';

export interface NftRule {
  table?: string;
  chain: string;
  rule: string;
  why?: string;
}

export type NftLine = NftRule | { line: string; why?: string };

function lineOf(r: NftLine): string {
  return 'line' in r ? r.line : `add rule ip ${r.table} ${r.chain} ${r.rule}`;
}

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync('nft', args, { input, encoding: 'utf8' });
  if (res.error) {
    const code = (res.error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT'
      ? 'nft is not installed: published ports need nftables (apt-get install nftables)'
      : `nft failed to start: ${res.error.message}`);
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Applies the lines in one transaction; each line is its own traced event before the batch runs.
 * With echo, nft prints what it added with the rule handles (`… # handle 7`), returned as text.
 */
export function nftApply(what: string, lines: NftLine[], echo = false): string {
  const text = lines.map(lineOf);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    tracer.point('exec', 'nft.rule', { rule: text[i]!, ...(l.why ? { why: l.why } : {}) }, `nft ${text[i]!}`);
  }
  const argv = echo ? ['-e', '-a', '-f', '-'] : ['-f', '-'];
  return tracer.step({ kind: 'exec', step: 'nft', args: { argv: ['nft', ...argv], script: text }, summary: `nft ${argv.join(' ')} (${what})` }, () => {
    const res = run(argv, text.join('\n') + '\n');
    if (res.status !== 0) {
      const err = new Error(`nft refused "${what}": ${res.stderr.trim()}`) as Error & { errno?: string };
      err.errno = 'ENFT';
      throw err;
    }
    return res.stdout;
  });
}

/** `nft -a list table ip <table>` (with rule handles), or undefined when the table does not exist. */
export function nftList(table: string): string | undefined {
  const res = run(['-a', 'list', 'table', 'ip', table]);
  if (res.status === 0) return res.stdout;
  if (/No such file or directory/.test(res.stderr)) return undefined;
  throw new Error(`nft list table ip ${table} failed: ${res.stderr.trim()}`);
}
