// Loaded with `node --import` into every process the cold-start benchmark starts: at exit,
// writes the process's own CPU time and peak memory (getrusage) to the file named by
// COLD_START_USAGE. The same hook runs in Inproc's processes and in the raw ones.
// node:fs as its CommonJS object, not an ESM import: the namespace an ESM import builds (~4 ms on a
// slow machine) would be paid by every process measured, hiding what Inproc itself loads.
const { writeFileSync } = process.getBuiltinModule('node:fs');

const file = process.env.COLD_START_USAGE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, maxRssKiB: u.maxRSS }));
  });
}
