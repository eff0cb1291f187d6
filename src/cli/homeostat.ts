// The `homeostat` command, once main.ts has checked the Node version. Each subcommand is a file
// in this folder exporting `register(program, cli)`; wiring one in is one line in COMMANDS.
import { readFileSync } from 'node:fs';
import { type CliCommand, processIo, runCli } from './program.js';
import * as controller from './controller.js';
import * as dev from './dev.js';
import * as explain from './explain.js';
import * as get from './get.js';
import * as graph from './graph.js';
import * as sources from './sources.js';
import * as validate from './validate.js';

const COMMANDS: readonly CliCommand[] = [
  validate,
  dev,
  get,
  graph,
  explain,
  sources,
  controller,
];

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
process.exitCode = await runCli(process.argv.slice(2), COMMANDS, processIo, { version });
// A command that has returned has nothing left to do. Should something still hold the event loop
// (a request cut off when the controller lost its Lease), exit anyway rather than linger: a Pod
// that lost its Lease must restart to stand again.
setTimeout(() => process.exit(), 10_000).unref();
