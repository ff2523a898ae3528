// (a) Import only: `node import.mjs <specifier>` imports the package and prints how long the import took.
const specifier = process.argv[2];
const started = performance.now();
if (specifier !== 'none') await import(specifier);
console.log(JSON.stringify({ importMs: performance.now() - started }));
