/**
 * @inproc/audio: WAV decoding (wavefile), channel mixing, resampling, framing and
 * windows, STFT and log-mel features (fft.js), streaming through stateful models, and
 * speech segments from VAD probabilities. Importing it registers the `audio.*`
 * processors for model manifests.
 * @module
 */
export type { AudioClip, DecodedWav, DecodedWavChannels, WavEncoding, WindowName, FrameOptions, StftOptions, Spectrogram, MelOptions, LogMelOptions } from './types.js';
export { decodeWav, decodeWavChannels, mixToMono, encodeWav, type EncodeWavOptions } from './wav.js';
export { readWav } from './read-wav.js';
export { resample, type ResampleOptions, type ResampleQuality } from './resample.js';
export { windowFunction } from './window.js';
export { frames, type Frames } from './frames.js';
export { stft, spectrogram, type ComplexSpectrogram } from './stft.js';
export { hzToMel, melToHz, melFilterBank, logMelSpectrogram } from './mel.js';
export { StreamGraph, type StreamGraphOptions, type GraphStage, type GraphModel, type GraphResult } from './stream-graph.js';
export { AudioStream, type AudioStreamOptions, type StateBinding, type ChunkResult, type StreamModel } from './stream.js';
export { speechSegments, type SpeechSegmentOptions, type SampleSegment } from './segments.js';
export { AUDIO_PROCESSORS, decodeWavProcessor, resampleProcessor, toTensorProcessor, logMelProcessor, type LogMelProcessorOptions } from './processors.js';
