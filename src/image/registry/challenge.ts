// WWW-Authenticate challenges: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one or more challenges from a header value (quoted strings may hold commas). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  const out: Challenge[] = [];
  for (const value of values) {
    const re = /\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+|$)|\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;
    let current: Challenge | undefined;
    let pos = 0;
    while (pos < value.length) {
      re.lastIndex = pos;
      const m = re.exec(value);
      if (!m || m[0] === '') break;
      pos = re.lastIndex;
      if (m[1] !== undefined && !value.slice(pos).trimStart().startsWith('=')) {
        current = { scheme: m[1].toLowerCase(), params: {} };
        out.push(current);
      } else if (m[2] !== undefined && current) {
        current.params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
      } else if (m[1] !== undefined) {
        // a token followed by '=' is a parameter with a token68 value; treat as param start
        pos = pos - m[0].length;
        const eq = /\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;
        eq.lastIndex = pos;
        const p = eq.exec(value);
        if (!p || !current) break;
        current.params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
        pos = eq.lastIndex;
      }
    }
  }
  return out;
}
