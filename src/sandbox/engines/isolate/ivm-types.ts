/**
 * The parts of `isolated-vm` (an optional dependency) this engine uses, typed here so the
 * project type-checks and builds where the package could not be installed.
 *
 * @module
 */

/** `ivm.Reference`: a handle on a value inside an isolate. */
export interface IvmReference {
  apply(receiver: undefined, args: unknown[], options?: { result?: { reference?: boolean; copy?: boolean }; timeout?: number }): Promise<unknown>;
  get(property: string, options?: { reference: true }): Promise<IvmReference>;
  derefInto(): unknown;
  release(): void;
}

/** `ivm.Script`: compiled code bound to its isolate. */
export interface IvmScript {
  run(context: IvmContext, options: { reference: true; timeout?: number }): Promise<IvmReference>;
  release(): void;
}

/** `ivm.Context`. */
export interface IvmContext {
  release(): void;
}

/** `ivm.Isolate`. */
export interface IvmIsolate {
  readonly isDisposed: boolean;
  createContext(): Promise<IvmContext>;
  compileScript(code: string, info?: { filename?: string; cachedData?: unknown; produceCachedData?: boolean }): Promise<IvmScript & { cachedData?: unknown }>;
  getHeapStatisticsSync(): { used_heap_size: number; total_heap_size: number; externally_allocated_size?: number };
  dispose(): void;
}

/** The module object. */
export interface IvmModule {
  Isolate: new (options: { memoryLimit: number; onCatastrophicError?: (message: string) => void }) => IvmIsolate;
  Callback: new (fn: (...args: never[]) => unknown, options?: { sync?: true; async?: true; ignored?: true }) => object;
}
