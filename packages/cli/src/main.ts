/**
 * The `inproc` executable: runs the CLI on this process's arguments and streams, and
 * exits with its code once output has drained.
 * @module
 */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
