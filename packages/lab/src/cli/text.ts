// Text for the terminal: the width the commands keep to, and word wrap.

/** Terminal width the commands' text keeps to. */
export const SUMMARY_WIDTH = 100;

/** Columns a string takes (code points). */
export const width = (s: string) => [...s].length;

/** Greedy word wrap to `cols` columns: the first line after `first`, the rest after `rest`. */
export function wrapText(text: string, cols: number, first = '', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w)) {
    const sep = empty ? '' : ' ';
    if (!empty && width(line) + 1 + width(word) > cols) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    let w = word;
    // A word longer than a line is cut.
    while (empty && width(line) + width(w) > cols && cols - width(line) > 0) {
      const room = cols - width(line);
      lines.push(line + [...w].slice(0, room).join(''));
      w = [...w].slice(room).join('');
      line = rest;
    }
    line += (empty ? '' : sep) + w;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}
