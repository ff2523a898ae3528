/**
 * `top-k`: the `k` best classes of each row of scores, with their labels, best first:
 * the usual end of a classifier.
 * @module
 */
import { InprocError } from '../../errors.js';
import type { Processor } from '../processor.js';
import type { ProcessorFactory } from '../processor-registry.js';
import { describe } from '../../tensor.js';
import { type TensorSource, integerParam, optionalString, optionsObject, pickTensor, readNumbers } from './values.js';

/** One scored class. */
export interface ScoredLabel {
  /** Index along the class axis. */
  readonly index: number;
  /** `labels[index]`, or the index as a string when no labels were given. */
  readonly label: string;
  readonly score: number;
}

/** Options of {@link topK}. */
export interface TopKOptions {
  /** How many classes per row; more than there are classes gives all of them. */
  readonly k: number;
  /** Class names, one per entry of the last axis. */
  readonly labels?: readonly string[];
  /** Leave out classes scoring below this. */
  readonly minScore?: number;
  /** Which output to read when the input is a model's outputs (default: the only one). */
  readonly output?: string;
}

/**
 * A processor from scores `[..., classes]` (or a model's outputs) to one list per row
 * (every leading dimension flattened; a rank-1 input is one row) of the `k` best
 * classes, best first; equal scores keep index order and NaN scores are left out.
 * @throws InprocError `INPUT_INVALID` for bad options; when run: `INPUT_DTYPE` for a string tensor, `INPUT_SHAPE` for a scalar or when the class axis and `labels` differ in length
 */
export function topK(options: TopKOptions): Processor<TensorSource, ScoredLabel[][]> {
  const who = 'top-k';
  const o = optionsObject(who, options);
  const k = integerParam(who, 'k', o.k, 1);
  const output = optionalString(who, 'output', o.output);
  const minScore = o.minScore === undefined ? -Infinity : o.minScore;
  if (typeof minScore !== 'number' || Number.isNaN(minScore)) throw new InprocError('INPUT_INVALID', `${who}: minScore must be a number, got ${describe(minScore)}`);
  const labels = o.labels;
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) {
    throw new InprocError('INPUT_INVALID', `${who}: labels must be an array of strings, got ${describe(labels)}`);
  }
  return {
    name: who,
    async process(input) {
      const tensor = pickTensor(input, output, who);
      const { shape } = tensor;
      if (shape.length === 0) throw new InprocError('INPUT_SHAPE', `${who}: expected scores [..., classes], got a scalar`);
      const classes = shape[shape.length - 1]!;
      if (labels !== undefined && labels.length !== classes) {
        throw new InprocError('INPUT_SHAPE', `${who}: ${labels.length} labels for ${classes} classes (tensor [${shape.join(', ')}])`);
      }
      const values = await readNumbers(tensor, who);
      const rows = classes === 0 ? 0 : values.length / classes;
      const take = Math.min(k, classes);
      const result: ScoredLabel[][] = [];
      const order = new Array<number>(classes);
      for (let r = 0; r < rows; r++) {
        const base = r * classes;
        for (let j = 0; j < classes; j++) order[j] = j;
        // NaN sorts last (and is dropped below); ties keep index order (Array.prototype.sort is stable).
        const key = (j: number): number => {
          const v = values[base + j]!;
          return Number.isNaN(v) ? -Infinity : v;
        };
        order.sort((a, b) => key(b) - key(a) || 0);
        const row: ScoredLabel[] = [];
        for (let t = 0; t < take; t++) {
          const index = order[t]!;
          const score = values[base + index]!;
          if (!(score >= minScore)) break;
          row.push({ index, label: labels?.[index] ?? String(index), score });
        }
        result.push(row);
      }
      return result;
    },
  };
}

export const topKFactory: ProcessorFactory = {
  name: 'top-k',
  description: 'the k best classes of each row, with labels, best first; params: k, labels, minScore, output',
  params: ['k', 'labels', 'minScore', 'output'],
  create: (params) => topK(params as unknown as TopKOptions),
};
