/**
 * The ws package, loaded with require. Node's ESM loader costs about 60 ms
 * more CPU for it (measured on Node 20: its ESM wrapper imports each of its
 * CommonJS files on its own, and each is lexed for its exports): a third of
 * a warm command's own start-up. The single executable's bundle replaces
 * this module with a plain import of ws (scripts/release.d/bundle.mjs), as its
 * require loads Node's built-in modules only.
 */
import { createRequire } from 'node:module';
import type WS from 'ws';

const WebSocket = createRequire(import.meta.url)('ws') as typeof WS;
type WebSocket = WS;
export default WebSocket;
