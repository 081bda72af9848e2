/**
 * Process entry of the `nnmodel` command (bundled to dist/cli.js, required by
 * bin/nnmodel.js). Everything else lives in cli.ts so tests can call `main`.
 */
import { main } from './cli';

// Writing through process.stdout keeps ordering with any other output, and
// setting exitCode (rather than process.exit) lets buffered pipes drain.
main(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`nnmodel: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);

// `nnmodel summary x | head` closes the pipe early; that is not an error. Nor is `2>&1 | head` closing stderr's:
// either way the process exits through `process.exit`, so its exit handlers run (a training's folder lock is released).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
