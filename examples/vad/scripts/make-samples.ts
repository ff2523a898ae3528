/**
 * Makes the bundled WAV inputs of this example (run once; the outputs are committed):
 * speech synthesised by Debian's espeak-ng (`apt-get install espeak-ng`; its output
 * carries no licence restriction) placed between stretches of silence or faint noise,
 * in several rates, bit depths and channel layouts. `samples/truth.json` records where
 * each utterance was placed, so tests can check answers against the placement.
 *
 *   npm run make-samples -w examples/vad
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EncodeWavOptions, decodeWav, encodeWav, resample } from '@inproc/audio';

type Part = { readonly silence: number } | { readonly text: string; readonly voice: string; readonly speed?: number };

interface Sample {
  readonly file: string;
  readonly rate: number;
  readonly bitDepth: NonNullable<EncodeWavOptions['bitDepth']>;
  readonly channels: 1 | 2;
  /** Level of white noise under everything (0: digital silence). */
  readonly noise: number;
  readonly parts: readonly Part[];
  /** Tuned: the demo input. Others are only checked against truth.json. */
  readonly note: string;
}

const SAMPLES: readonly Sample[] = [
  {
    file: 'speech.wav',
    rate: 22050,
    bitDepth: '16',
    channels: 1,
    noise: 0,
    note: 'the demo input: two utterances, US and British English voices',
    parts: [{ silence: 0.8 }, { text: 'Hello. This is a short test of voice activity detection.', voice: 'en-us' }, { silence: 1.5 }, { text: 'Speech, then silence, then speech again.', voice: 'en-gb' }, { silence: 1.0 }],
  },
  {
    file: 'female-32k-stereo.wav',
    rate: 32000,
    bitDepth: '16',
    channels: 2,
    noise: 0.003,
    note: 'untuned: female variant, faster, 32 kHz stereo (right channel quieter), faint noise',
    parts: [{ silence: 1.2 }, { text: 'The quick brown fox jumps over the lazy dog.', voice: 'en-us+f3', speed: 190 }, { silence: 1.6 }, { text: 'Pack my box with five dozen liquor jugs.', voice: 'en-us+f3', speed: 190 }, { silence: 0.5 }],
  },
  {
    file: 'scottish-8k-8bit.wav',
    rate: 8000,
    bitDepth: '8',
    channels: 1,
    noise: 0.002,
    note: 'untuned: Scottish English, slow, 8 kHz unsigned 8-bit, three utterances',
    parts: [
      { silence: 0.5 },
      { text: 'Good morning.', voice: 'en-gb-scotland', speed: 130 },
      { silence: 1.0 },
      { text: 'It is raining again today.', voice: 'en-gb-scotland', speed: 130 },
      { silence: 1.3 },
      { text: 'See you tomorrow.', voice: 'en-gb-scotland', speed: 130 },
      { silence: 0.6 },
    ],
  },
  {
    file: 'german-44k-24bit.wav',
    rate: 44100,
    bitDepth: '24',
    channels: 1,
    noise: 0,
    note: 'untuned: German, 44.1 kHz 24-bit',
    parts: [{ silence: 0.4 }, { text: 'Guten Tag. Heute ist ein schöner Tag für einen Spaziergang.', voice: 'de' }, { silence: 0.9 }],
  },
  {
    file: 'noise-16k-float.wav',
    rate: 16000,
    bitDepth: '32f',
    channels: 1,
    noise: 0.01,
    note: 'untuned: two seconds of faint white noise, no speech',
    parts: [{ silence: 2.0 }],
  },
];

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'samples');
const work = mkdtempSync(join(tmpdir(), 'inproc-vad-samples-'));

function speak(text: string, voice: string, speed: number | undefined, rate: number): Float32Array {
  const file = join(work, 'speech.wav');
  execFileSync('espeak-ng', ['-v', voice, ...(speed === undefined ? [] : ['-s', String(speed)]), '-w', file, text]);
  const clip = decodeWav(readFileSync(file));
  return resample(clip, rate).samples;
}

// A fixed LCG, so that the noise (and the files) are the same on every run.
let seed = 12345;
const noise = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 1073741824 - 1;
};

const truth: Record<string, { note: string; duration: number; speech: { start: number; end: number; text: string }[] }> = {};
try {
  for (const sample of SAMPLES) {
    const pieces: Float32Array[] = [];
    const speech: { start: number; end: number; text: string }[] = [];
    let at = 0;
    for (const part of sample.parts) {
      const piece = 'silence' in part ? new Float32Array(Math.round(part.silence * sample.rate)) : speak(part.text, part.voice, part.speed, sample.rate);
      if ('text' in part) speech.push({ start: +(at / sample.rate).toFixed(3), end: +((at + piece.length) / sample.rate).toFixed(3), text: part.text });
      pieces.push(piece);
      at += piece.length;
    }
    const mono = new Float32Array(at);
    let offset = 0;
    for (const p of pieces) {
      mono.set(p, offset);
      offset += p.length;
    }
    const channels = Array.from({ length: sample.channels }, (_, c) => Float32Array.from(mono, (v) => (c === 1 ? 0.8 * v : v) + sample.noise * noise()));
    writeFileSync(join(out, sample.file), encodeWav(channels, { sampleRate: sample.rate, bitDepth: sample.bitDepth }));
    truth[sample.file] = { note: sample.note, duration: +(at / sample.rate).toFixed(3), speech };
    console.error(`${sample.file}: ${(at / sample.rate).toFixed(2)} s, ${speech.length} utterances`);
  }
  writeFileSync(join(out, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
