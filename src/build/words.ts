// Docker's word processing for instruction arguments: quotes ('…' literal, "…" with escapes and
// variables), backslash escapes, and $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}
// from the build's ARG and ENV values. RUN, CMD and ENTRYPOINT are left to the shell.

export type Vars = ReadonlyMap<string, string>;

/** Splits `text` into words (whitespace outside quotes separates), expanding variables. */
export function words(text: string, vars: Vars): string[] {
  return lex(text, vars, true);
}

/** One word: quotes removed, variables expanded, whitespace kept. */
export function word(text: string, vars: Vars): string {
  return lex(text, vars, false).join('');
}

function lex(text: string, vars: Vars, split: boolean): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const variable = (): string => {
    // at text[i] === '$'
    i++;
    if (text[i] === '{') {
      const close = text.indexOf('}', i);
      if (close < 0) throw new Error(`missing } in "${text}"`);
      const body = text.slice(i + 1, close);
      i = close + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new Error(`bad substitution \${${body}}: use \${NAME}, \${NAME:-default} or \${NAME:+alternative}`);
      const value = vars.get(m[1]!);
      if (m[2] === '-') return value ? value : word(m[3]!, vars);
      if (m[2] === '+') return value ? word(m[3]!, vars) : '';
      return value ?? '';
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!m) return '$';
    i += m[0].length;
    return vars.get(m[0]) ?? '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (split && /\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[i + 1];
      i += 2;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unmatched ' in "${text}"`);
      cur += text.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$'.includes(text[i + 1]!)) {
          cur += text[i + 1];
          i += 2;
        } else if (text[i] === '$') {
          cur += variable();
        } else {
          cur += text[i++];
        }
      }
      if (i >= text.length) throw new Error(`unmatched " in "${text}"`);
      i++;
    } else if (c === '$') {
      cur += variable();
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** ENV and LABEL: `K=V K2="v 2"` pairs, or the legacy `K value with spaces` form. */
export function keyValues(text: string, vars: Vars, legacy: boolean): Array<[string, string]> {
  const first = /^\S+/.exec(text)?.[0] ?? '';
  if (legacy && !first.includes('=')) {
    const value = text.slice(first.length).trim();
    return [[word(first, vars), word(value, vars)]];
  }
  return words(text, vars).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`"${w}" is not KEY=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
