/**
 * QuickJS WebAssembly modules with a hard memory cap, one live module per worker.
 *
 * QuickJS's own `setMemoryLimit` does not bound large typed arrays, so each module gets its own
 * `WebAssembly.Memory` with a `maximum`: the guest can never grow linear memory beyond it. The
 * compiled `WebAssembly.Module` is shared; instantiating a new capped module takes a few ms.
 * A module is reused across runs (fresh runtime and context each time) until a run aborts it,
 * exhausts its memory, or asks for a different memory cap.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import * as releaseSyncModule from "@jitl/quickjs-wasmfile-release-sync";
import { WASM_BASE_MEMORY_MB } from "./limits.js";

const PAGE_BYTES = 65_536;
const MIB = 1_048_576;

/** The parts of `WebAssembly.Memory` used here (this project compiles without DOM typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The parts of the `WebAssembly` global used here. */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<object>;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * The variant object, whichever way the module system wrapped it (ESM default export, or a
 * CommonJS `exports.default` seen through a namespace import).
 */
function releaseSyncVariant(): QuickJSSyncVariant {
  let candidate: unknown = releaseSyncModule;
  for (let depth = 0; depth < 3; depth++) {
    if (typeof candidate === "object" && candidate !== null && "type" in candidate && candidate.type === "sync") {
      return candidate as QuickJSSyncVariant;
    }
    candidate = typeof candidate === "object" && candidate !== null && "default" in candidate ? candidate.default : undefined;
  }
  throw new Error("@jitl/quickjs-wasmfile-release-sync did not export a QuickJS variant");
}

/** A QuickJS module and the capped linear memory it runs in. */
export interface CappedModule {
  module: QuickJSWASMModule;
  memory: WasmMemory;
  /** The guest memory cap this module was made for (`limits.memoryMb`). */
  memoryMb: number;
  /** Hard cap of the linear memory, in bytes. */
  maxBytes: number;
}

/** Hands out a capped module for a memory limit, replacing it when told to. */
export class QuickJsModuleCache {
  private compiled: Promise<object> | undefined;
  private current: CappedModule | undefined;

  /** A module capped for `memoryMb` (reused when the cap matches and nothing went wrong). */
  async get(memoryMb: number): Promise<CappedModule> {
    if (this.current !== undefined && this.current.memoryMb === memoryMb) return this.current;
    this.current = undefined;
    const compiled = await this.compile();
    const maxPages = Math.ceil(((WASM_BASE_MEMORY_MB + memoryMb) * MIB) / PAGE_BYTES);
    const initialPages = (WASM_BASE_MEMORY_MB * MIB) / PAGE_BYTES;
    const memory = new wasm.Memory({ initial: initialPages, maximum: maxPages });
    const silent = (): void => {};
    // print/printErr are read by the Emscripten glue but missing from its typings. Without them
    // an abort would print to the process's stdout/stderr (stdout may be an MCP stdio channel).
    const emscriptenModule = { wasmMemory: memory, print: silent, printErr: silent };
    const variant = newVariant(releaseSyncVariant(), { wasmModule: compiled, wasmMemory: memory, emscriptenModule });
    const module = await newQuickJSWASMModuleFromVariant(variant);
    this.current = { module, memory, memoryMb, maxBytes: maxPages * PAGE_BYTES };
    return this.current;
  }

  /** Forgets the current module (after an abort or memory exhaustion); the next `get` makes a new one. */
  discard(module: CappedModule): void {
    if (this.current === module) this.current = undefined;
  }

  private compile(): Promise<object> {
    this.compiled ??= (async () => {
      const require = createRequire(import.meta.url);
      const bytes = await readFile(require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm"));
      return wasm.compile(bytes);
    })();
    return this.compiled;
  }
}
