#!/usr/bin/env node
/**
 * Executable entry of the `toolcode` bin. All logic lives in {@link ./program.ts}.
 *
 * @module
 */
import { main } from "./program.js";

await main();
