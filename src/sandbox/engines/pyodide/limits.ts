/**
 * The values the Pyodide engine chooses itself (shared defaults and messages are in
 * ../../limits.ts).
 *
 * @module
 */

/** The exact Pyodide release this engine is written and tested against (`npm install pyodide@…`). */
export const PYODIDE_VERSION = "314.0.8";

/**
 * Cap of a Python worker's WebAssembly heap, in MiB: the interpreter (about 30 MiB after loading)
 * plus the guest's objects. Set per worker process with V8's `--wasm-max-mem-pages`; a guest that
 * allocates more gets `MemoryError` (SANDBOX_MEMORY). `sandbox.memoryMb` caps the JavaScript
 * engines' heaps; Python guests get this fixed heap.
 */
export const PYODIDE_HEAP_MB = 384;

/** How often the interrupt thread raises KeyboardInterrupt again once the deadline passed (a guest may catch one). */
export const INTERRUPT_REPEAT_MS = 20;

/** Python recursion limit of a guest (frames), below what the WebAssembly stack holds. */
export const PYTHON_RECURSION_LIMIT = 800;
