/**
 * `homeostat dev --ui-addr 127.0.0.1:0` in-process, for the browser tests and the web benchmarks:
 * resolves once the page is served, with the stop that ends the dev loop (its exit code).
 */
import { runDev } from '../../src/cli/dev.js';
import type { ExitCode } from '../../src/cli/program.js';

export interface DevServer {
  base: string;
  stop: () => Promise<ExitCode>;
}

/** `output` gets what dev prints (nothing is kept without it). */
export async function serveDev(dir: string, output: (text: string) => void = () => undefined): Promise<DevServer> {
  let interrupt = () => undefined as void;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  let served: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (served = resolve));
  const running = runDev(dir, { uiAddr: '127.0.0.1:0', interrupted, onServing: served }, { out: output, err: output });
  return { base: await url, stop: async () => (interrupt(), running) };
}
