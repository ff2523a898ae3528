#!/usr/bin/env node
// The `inproc` executable. A committed file rather than dist/main.js itself: npm links a
// workspace's bin at install time only when the file exists, which dist/main.js does not
// before the first build (`npm ci && npm run build` must give a working `npx inproc`).
import('../dist/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('inproc: @inproc/cli is not built yet: run "npm run build" in the repository first\n');
    process.exitCode = 1;
    return;
  }
  throw error;
});
