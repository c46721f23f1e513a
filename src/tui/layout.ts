// How the screen is shared. Narrow (80×24): list, detail and one tabbed bottom pane stacked.
// Wide (≥120 columns): list beside detail, and namespaces, cgroup and output side by side below.
export interface Layout {
  wide: boolean;
  width: number;
  listWidth: number;
  detailWidth: number;
  listHeight: number;
  detailHeight: number;
  bottomHeight: number;
}

export function computeLayout(columns: number, rows: number): Layout {
  const width = Math.max(40, columns);
  // One row spare: Ink clears the whole screen when a frame is as tall as the terminal.
  const usable = Math.max(14, rows - 1) - 3; // header (2) + footer (1)
  const wide = width >= 120 && usable >= 20;
  const bottomHeight = wide ? Math.min(10, Math.max(5, Math.floor(usable / 4))) : 5;
  const main = usable - bottomHeight;
  if (wide) {
    const listWidth = Math.floor(width * 0.5);
    return { wide, width, listWidth, detailWidth: width - listWidth - 1, listHeight: main, detailHeight: main, bottomHeight };
  }
  const detailHeight = Math.max(5, Math.floor(main / 2));
  return { wide, width, listWidth: width, detailWidth: width, listHeight: main - detailHeight, detailHeight, bottomHeight };
}
