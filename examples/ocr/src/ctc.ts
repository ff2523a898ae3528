/**
 * CTC decoding of the PP-OCR recogniser's output: per time step the most probable
 * class, repeats merged, blanks dropped; the score is the mean probability of the
 * characters kept (as PaddleOCR's CTCLabelDecode computes it).
 */
import { readFile } from 'node:fs/promises';

/** Class 0 is the CTC blank; then the dictionary's lines; then a space (PP-OCR's `use_space_char`). */
export async function loadDictionary(path: string): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines, ' '];
}

export interface Decoded {
  readonly text: string;
  readonly score: number;
}

/** Greedy CTC decode of `probs`, shaped [batch, steps, classes]. */
export function ctcDecode(probs: Float32Array, shape: readonly number[], dictionary: readonly string[]): Decoded[] {
  const [batch, steps, classes] = shape as [number, number, number];
  if (classes !== dictionary.length) throw new Error(`recogniser has ${classes} classes but the dictionary ${dictionary.length}`);
  const out: Decoded[] = [];
  for (let b = 0; b < batch; b++) {
    let text = '';
    let sum = 0;
    let kept = 0;
    let previous = -1;
    for (let t = 0; t < steps; t++) {
      const row = (b * steps + t) * classes;
      let best = 0;
      let p = probs[row]!;
      for (let c = 1; c < classes; c++) {
        if (probs[row + c]! > p) {
          p = probs[row + c]!;
          best = c;
        }
      }
      if (best !== 0 && best !== previous) {
        text += dictionary[best];
        sum += p;
        kept++;
      }
      previous = best;
    }
    out.push({ text, score: kept === 0 ? 0 : sum / kept });
  }
  return out;
}
