/**
 * The parts of Pyodide's API this engine uses, typed here so the engine builds without the
 * optional `pyodide` package (as ../isolate/ivm-types.ts does for isolated-vm).
 *
 * @module
 */

/** A Python object held from JavaScript (callable ones are called like functions). */
export interface PyProxyLike {
  (...args: unknown[]): unknown;
  get(key: unknown): unknown;
  destroy(): void;
}

/** A loaded Pyodide interpreter. */
export interface PyodideLike {
  runPython(code: string): unknown;
  globals: { get(name: string): unknown; delete(name: string): void };
  setInterruptBuffer(buffer: Int32Array): void;
  unregisterJsModule(name: string): void;
  setStdout(options: { batched: (line: string) => void }): void;
  setStderr(options: { batched: (line: string) => void }): void;
}

/** Options of `loadPyodide` this engine passes. */
export interface LoadPyodideOptions {
  jsglobals: object;
  env: Record<string, string>;
  args: string[];
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  enableRunUntilComplete: boolean;
  checkAPIVersion: boolean;
  _loadSnapshot?: Uint8Array;
  _makeSnapshot?: boolean;
}

/** The `pyodide` package's module namespace. */
export interface PyodideModule {
  loadPyodide(options: LoadPyodideOptions): Promise<PyodideLike>;
  version: string;
}
