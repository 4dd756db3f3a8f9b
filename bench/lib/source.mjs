/** Starts source-server.mjs (a loopback origin for a directory) as a helper process. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstJsonLine, startHelper } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startSource(dir) {
  const helper = startHelper('source server', process.execPath, [
    path.join(here, 'source-server.mjs'),
    '--dir',
    dir,
  ]);
  const { port } = await firstJsonLine(helper);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    url: (name) => `${baseUrl}/${encodeURIComponent(name)}`,
    pid: helper.pid,
    stop: () => helper.stop(),
  };
}
