/** The oldest Node.js major the CLI runs on (package.json `engines`). */
export const MIN_NODE_MAJOR = 22;

/**
 * What to tell the user when `version` (`process.versions.node`) is older than MIN_NODE_MAJOR;
 * undefined when it will do. Older Nodes fail deep inside a dependency (undici: "Cannot read
 * properties of undefined (reading 'bind')"), which says nothing about the cause.
 * Imports nothing, so main.ts can run it before anything else is loaded.
 */
export function nodeVersionProblem(version: string, execPath: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return [
    `homeostat needs Node.js ${MIN_NODE_MAJOR} or newer; ${execPath} is Node.js ${version}.`,
    'In a checkout of Homeostat, run bin/homeostat: it finds a Node that fits (scripts/node-bin.sh installs Node 24 into .tools/ when the machine has none).',
    '',
  ].join('\n');
}
