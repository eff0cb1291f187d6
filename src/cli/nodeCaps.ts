import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MAX_NODES_PER_OBJECT, DEFAULT_MAX_NODES_TOTAL } from '../engine/nodeCount.js';

/** The node caps as flags give them (shared by `controller` and `dev`). */
export interface NodeCapFlags {
  /** Above it an Expectation or Dag is Valid=False (TooManyNodes), refused before it is built. */
  maxNodesPerObject?: number;
  /** Objects that would pass it are Valid=False (TotalNodeCapReached); those admitted first keep their nodes. */
  maxNodesTotal?: number;
}

/** A commander parser of a positive whole number (`1_000` too); the error names the flag. */
export function positiveInteger(flag: string): (text: string) => number {
  return (text) => {
    const value = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`${flag}: ${JSON.stringify(text)} is not a positive whole number`);
    return value;
  };
}

/** Adds --max-nodes-per-object and --max-nodes-total. */
export function nodeCapOptions(command: Command): Command {
  return command
    .option('--max-nodes-per-object <n>', `the most nodes (partitions, or tasks x periods) one Expectation or Dag may have; above it the object is Valid=False, refused before it is built (default: ${DEFAULT_MAX_NODES_PER_OBJECT})`, positiveInteger('--max-nodes-per-object'))
    .option('--max-nodes-total <n>', `the most nodes all objects together may have; objects that would pass it are Valid=False, those admitted first keep theirs (default: ${DEFAULT_MAX_NODES_TOTAL})`, positiveInteger('--max-nodes-total'));
}

/** The flags given, as reconciler options (unset ones left out: the engine's defaults apply). */
export function nodeCaps(flags: NodeCapFlags): NodeCapFlags {
  return {
    ...(flags.maxNodesPerObject !== undefined ? { maxNodesPerObject: flags.maxNodesPerObject } : {}),
    ...(flags.maxNodesTotal !== undefined ? { maxNodesTotal: flags.maxNodesTotal } : {}),
  };
}
