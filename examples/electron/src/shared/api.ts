/**
 * What the preload script exposes to the renderer (`window.inprocMain`): the main
 * process runs the same model on onnxruntime-node, so the renderer can compare.
 */
export interface MainProcessApi {
  /** Speech probabilities of Silero VAD in the main process (onnx-node, CPU), one per 512-sample chunk. */
  vadProbabilities(samples: Float32Array): Promise<number[]>;
}

/** The IPC channel behind {@link MainProcessApi.vadProbabilities}. */
export const VAD_CHANNEL = 'inproc:vad-probabilities';
