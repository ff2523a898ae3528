/**
 * The wake-word page (examples/wakeword/web) in Chromium, served by the Vite dev server
 * as `npm run dev -w examples/wakeword` serves it. Chromium's fake microphone plays a WAV
 * file (espeak-ng: "hey jarvis", then "alexa", inside other speech) into getUserMedia, so
 * the audio takes the page's real path: AudioContext at 16 kHz → the capture AudioWorklet
 * → the streaming graph on onnxruntime-web. The page must hear the same wake words as
 * Node does on the same file, the same time apart, and free every model when stopped.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, launchChromium } from '@inproc/testkit/browser/harness';
import { openWakeWordModels, recording, type Recording } from '@inproc/testkit/openwakeword';
import { type Detection, detectWakeWords } from '../../examples/wakeword/src/wakeword.js';
import { describeInChromium } from './chromium.js';

const WEB = join(REPO_ROOT, 'examples/wakeword/web');

describeInChromium('examples/wakeword/web in Chromium, from a fake microphone', { timeout: 240_000 }, () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url: string;
  let rec: Recording;
  let dir: string;

  beforeAll(async () => {
    dir = await openWakeWordModels();
    rec = await recording({
      parts: [
        { silence: 1.5 },
        { text: 'Good morning, it is a lovely day.', voice: 'en-gb' },
        { silence: 0.4 },
        { text: 'hey jarvis', voice: 'en-gb', speed: 140 },
        { silence: 0.6 },
        { text: 'Please turn on the lights in the kitchen.', voice: 'en-us' },
        { silence: 0.4 },
        { text: 'alexa', voice: 'en-gb+f2', speed: 140 },
        { silence: 2 },
      ],
    });
    // The models from the testkit's cache (the same pinned package the example fetches into its models/).
    server = await createServer({ configFile: join(WEB, 'vite.config.ts'), publicDir: dir, logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
    await server.listen();
    const address = server.httpServer?.address();
    if (address === null || typeof address !== 'object' || address === undefined) throw new Error('the dev server has no port');
    url = `http://localhost:${address.port}/`;
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${rec.path}%noloop`, '--autoplay-policy=no-user-gesture-required']);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('hears the wake words of the WAV file as Node does, then frees its models', async () => {
    const node = (await detectWakeWords(rec.path, { modelDir: dir })).detections;
    expect(node.map((d) => d.keyword)).toEqual(['hey_jarvis', 'alexa']);

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    try {
      await page.goto(`${url}?autostart`);
      await page.waitForFunction(() => ['listening', 'failed'].includes(document.body.dataset['state'] ?? ''), undefined, { timeout: 120_000 });
      expect(await page.locator('#error').textContent()).toBe('');
      // The fake microphone plays the file in real time: wait for both detections to end, or for the file (and a margin) to pass.
      const read = async (): Promise<Detection[]> => JSON.parse((await page.locator('#detections').textContent()) ?? '[]') as Detection[];
      const deadline = Date.now() + (rec.duration + 30) * 1000;
      while (Date.now() < deadline) {
        const seen = await read();
        if (seen.length >= 2 && seen.every((d) => d.end !== undefined)) break;
        if ((await page.locator('body').getAttribute('data-state')) === 'failed') break;
        await page.waitForTimeout(250);
      }
      const heard = await read();
      expect(await page.locator('#error').textContent()).toBe('');
      expect(heard.map((d) => d.keyword)).toEqual(node.map((d) => d.keyword));
      // The page's clock starts when the microphone does: compare the time between the two.
      const gap = (ds: readonly Detection[]): number => ds[1]!.start - ds[0]!.start;
      // At most three 80 ms steps apart (times are sums of 0.08 s steps: three of them can read 0.24000000000000002).
      expect(Math.abs(gap(heard) - gap(node))).toBeLessThanOrEqual(0.24 + 1e-9);
      for (const d of heard) expect(d.score).toBeGreaterThan(0.5);

      await page.locator('#stop').click();
      await page.waitForFunction(() => document.body.dataset['state'] === 'stopped', undefined, { timeout: 30_000 });
      expect(await page.locator('#state').textContent()).toBe('stopped (0 models, 0 sessions still loaded)');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
