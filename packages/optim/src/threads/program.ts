import { JOB, PART, callKernel, helperEnded, serveJobs } from '../kernels/thread-pool.ts';

/**
 * A helper thread's whole program: the browser-safe serving loop of kernels/thread-pool.ts, by its
 * source, so that it runs the same from TypeScript sources (tests) and from dist/ with no file to
 * find. `wrapKernels`, JavaScript source of a function `(kernels, memory) => kernels`, is for
 * tests that need a helper to fail (the table is wrapped before any part is served).
 */
export function helperProgram(wrapKernels?: string): string {
  return `
// tsx (the tests' loader) wraps inner functions in __name(); here it has nothing to do.
const __name = (f) => f;
const JOB = ${JSON.stringify(JOB)};
const PART = ${JSON.stringify(PART)};
${callKernel.toString()}
${helperEnded.toString()}
${serveJobs.toString()}
// A dynamic import works whether the worker inherits a CommonJS or an ES module default.
import('node:worker_threads').then(({ workerData, parentPort }) => {
  const { module, memory, job, names } = workerData;
  // Whatever ends this thread from inside (process.exit, an uncaught error) runs this first, so
  // the caller hears of it at once and runs a part this thread held or had not claimed.
  process.on('exit', (code) => helperEnded(job, 'exited with code ' + code));
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  let fns = names.map((name) => (name ? kernels[name] : undefined));
  ${wrapKernels === undefined ? '' : `fns = (${wrapKernels})(fns, memory);`}
  // Serve from the event loop's first turn: Node reports on a thread (its event-loop idle time,
  // which the caller reads to learn that a thread is gone) only once its loop has started.
  setImmediate(() => {
    parentPort.postMessage('ready');
    serveJobs(fns, job);
  });
});
`;
}
