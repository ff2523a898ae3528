/**
 * The AudioWorklet of the page: collects the microphone's samples (128 per render
 * quantum, at the context's 16 kHz) into chunks of `chunk` samples and posts each chunk
 * to the page, its buffer transferred (no copy). Runs on the audio rendering thread, so
 * it does nothing else: the models run on the page's side.
 */

// The AudioWorkletGlobalScope's names, which no TypeScript lib declares.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: { processorOptions?: unknown });
}
declare function registerProcessor(name: string, processor: new (options: { processorOptions?: { chunk?: number } }) => AudioWorkletProcessor): void;

class CaptureProcessor extends AudioWorkletProcessor {
  readonly #size: number;
  #chunk: Float32Array;
  #filled = 0;

  constructor(options: { processorOptions?: { chunk?: number } }) {
    super();
    this.#size = options.processorOptions?.chunk ?? 1280;
    this.#chunk = new Float32Array(this.#size);
    this.port.postMessage({ type: 'ready', sampleRate });
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true;
    let at = 0;
    while (at < channel.length) {
      const n = Math.min(channel.length - at, this.#size - this.#filled);
      this.#chunk.set(channel.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === this.#size) {
        this.port.postMessage({ type: 'chunk', samples: this.#chunk }, [this.#chunk.buffer]);
        this.#chunk = new Float32Array(this.#size);
        this.#filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('inproc-capture', CaptureProcessor);
