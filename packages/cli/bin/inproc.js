#!/usr/bin/env node
// The `inproc` executable. A committed file rather than dist/main.js itself: npm links a
// workspace's bin at install time only when the file exists, which dist/main.js does not
// before the first build (`npm ci && npm run build` must give a working `npx inproc`).
// Node 22.1+ keeps V8's compiled code of the modules this command loads on disk (the OS's temporary
// directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so that the next
// start does not compile them again; a no-op on older Node. Only here: a library must not change
// its host process.
process.getBuiltinModule?.('node:module').enableCompileCache?.();
import('../dist/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('inproc: @inproc/cli is not built yet: run "npm run build" in the repository first\n');
    process.exitCode = 1;
    return;
  }
  throw error;
});
