// Just enough of source maps to turn a line:column of a compiled lab back into lab.ts's, whatever
// the host's stack-trace machinery does (Node's --enable-source-maps, or a test runner's own).

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let shift = 0;
  let value = 0;
  for (const ch of segment) {
    const digit = B64.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** For each generated line (0-based): segments [generatedColumn, sourceLine, sourceColumn], 0-based. */
export type LineMap = [number, number, number][][];

export function decodeMappings(mappings: string): LineMap {
  const lines: LineMap = [];
  let srcLine = 0;
  let srcCol = 0;
  let srcIdx = 0;
  for (const line of mappings.split(';')) {
    let genCol = 0;
    const segments: [number, number, number][] = [];
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const v = decodeVlq(seg);
      genCol += v[0] ?? 0;
      if (v.length >= 4) {
        srcIdx += v[1]!;
        srcLine += v[2]!;
        srcCol += v[3]!;
        segments.push([genCol, srcLine, srcCol]);
      }
    }
    void srcIdx;
    lines.push(segments);
  }
  return lines;
}

/** 1-based line and column in, 1-based out; undefined when the position maps to nothing. */
export function originalPosition(map: LineMap, line: number, column: number): { line: number; column: number } | undefined {
  const segments = map[line - 1];
  if (!segments || segments.length === 0) return undefined;
  let best = segments[0]!;
  for (const s of segments) if (s[0] <= column - 1) best = s;
  return { line: best[1] + 1, column: best[2] + 1 };
}
