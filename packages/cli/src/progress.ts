/**
 * A one-line progress bar on a terminal (stderr), redrawn at most every 80 ms; on
 * anything else (a pipe, a CI log) it stays silent, so captured output holds only results.
 * @module
 */
import type { OutStream, Style } from './io.js';

export interface Progress {
  /** Sets the label and total of a new phase. */
  start(label: string, total: number): void;
  tick(done: number): void;
  /** Clears the line. */
  end(): void;
}

export function progressBar(stream: OutStream, s: Style): Progress {
  if (stream.isTTY !== true) return { start: () => undefined, tick: () => undefined, end: () => undefined };
  let label = '';
  let total = 1;
  let last = 0;
  const draw = (done: number): void => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 20));
    const filled = Math.round((done / total) * width);
    stream.write(`\r${label} ${s.cyan('█'.repeat(filled))}${s.dim('░'.repeat(width - filled))} ${done}/${total}\u001b[K`);
  };
  return {
    start(l, t) {
      label = l;
      total = Math.max(1, t);
      last = 0;
      draw(0);
    },
    tick(done) {
      const now = performance.now();
      if (done < total && now - last < 80) return;
      last = now;
      draw(done);
    },
    end() {
      stream.write('\r\u001b[K');
    },
  };
}
