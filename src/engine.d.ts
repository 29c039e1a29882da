/**
 * Timers, console, Buffer and require as board code may meet them (Espruino, Node, JerryScript hosts).
 * Only the board tsconfig reads this file; the Node-side config has @types/node instead.
 */
declare function setInterval(fn: () => void, ms: number): any;
declare function clearInterval(id: any): void;
declare function setTimeout(fn: () => void, ms: number): any;
declare var Buffer: any;
declare var console: { log(...a: any[]): void };
declare function require(name: string): any;
