/**
 * The audio.* processors: registered when @inproc/audio is imported, created from
 * manifest data, composed with chain() into WAV bytes -> features.
 */
import { describe, expect, it } from 'vitest';
import { InprocError, chain, createProcessor, listProcessors, type ProcessorContext } from '@inproc/core';
import { type AudioClip, decodeWavProcessor, encodeWav, logMelProcessor, logMelSpectrogram, resample, resampleProcessor, toTensorProcessor } from '@inproc/audio';

const ctx: ProcessorContext = { signature: { inputs: [], outputs: [] }, signal: undefined };
const wav = encodeWav([Float32Array.from({ length: 4410 }, (_, n) => 0.5 * Math.sin((2 * Math.PI * 440 * n) / 44100))], { sampleRate: 44100, bitDepth: '24' });

describe('audio processors', () => {
  it('are registered and build a typed chain from WAV bytes to a log-mel tensor', async () => {
    const names = listProcessors().map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['audio.decode-wav', 'audio.resample', 'audio.to-tensor', 'audio.log-mel']));
    const features = chain(decodeWavProcessor(), resampleProcessor({ rate: 16000 }), logMelProcessor({ nFft: 400, hopLength: 160, nMels: 80 }));
    const tensor = await features.process(wav, ctx);
    expect(tensor.dtype).toBe('float32');
    expect(tensor.shape).toEqual([1, 80, 11]); // 1600 samples at 16 kHz, centred frames every 160
    // Same numbers as the functions, transposed to mels-first.
    const clip: AudioClip = resample(await decodeWavProcessor().process(wav, ctx), 16000);
    const direct = logMelSpectrogram(clip, { nFft: 400, hopLength: 160, nMels: 80 });
    expect(tensor.data[5 * 11 + 3]).toBe(direct.data[3 * 80 + 5]);
  });

  it('are created from manifest data, with their parameters checked', async () => {
    const steps = [createProcessor({ name: 'audio.decode-wav' }), createProcessor({ name: 'audio.resample', params: { rate: 8000, quality: 'fast' } }), createProcessor({ name: 'audio.to-tensor' })];
    let value: unknown = wav;
    for (const step of steps) value = await step.process(value, ctx);
    expect((value as { shape: number[] }).shape).toEqual([1, 800]);
    const frames = createProcessor({ name: 'audio.log-mel', params: { nFft: 256, nMels: 20, layout: 'frames-first' } });
    const out = (await frames.process({ samples: new Float32Array(1024), sampleRate: 8000 }, ctx)) as { shape: number[] };
    expect(out.shape).toEqual([1, 17, 20]);
    for (const bad of [
      { name: 'audio.resample', params: { rate: -1 } },
      { name: 'audio.resample', params: { rate: 16000, quality: 'ultra' } },
      { name: 'audio.log-mel', params: { nMels: 80 } },
      { name: 'audio.log-mel', params: { nFft: 400, nMels: 80, layout: 'sideways' } },
      { name: 'audio.decode-wav', params: { strict: true } },
    ]) {
      expect(() => createProcessor(bad)).toThrow(InprocError);
    }
    expect(() => decodeWavProcessor().process(new Uint8Array(0), ctx)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }) as Error);
    expect(toTensorProcessor().name).toBe('audio.to-tensor');
  });
});
