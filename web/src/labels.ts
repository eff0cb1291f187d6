/** What a node shows, shared by the page and the layout worker (which sizes nodes by it). */
import type { Graph } from './api.js';

export type GraphNode = Graph['nodes'][number];
export type GraphEdge = Graph['edges'][number];
export type Placed = { node: GraphNode; x: number; y: number; width: number; height: number };
export type Routed = { edge: GraphEdge; points: { x: number; y: number }[] };
export type Layout = { nodes: Placed[]; edges: Routed[]; width: number; height: number };

export const NODE_HEIGHT = 38;

/** The name a node shows: a task as `dag/task`, the rest by name. */
export const label = (n: GraphNode): string => (n.task !== undefined ? `${n.name}/${n.task}` : n.name);
export const kindLabel = (n: GraphNode): string => (n.kind === 'DagTask' ? 'task' : n.kind === 'DefinitionSource' ? 'source' : n.kind);
export const phaseOf = (n: GraphNode): string => n.phase ?? 'Unknown';
