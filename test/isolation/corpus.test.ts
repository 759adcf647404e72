/**
 * The hostile-code corpus (test/security/corpus-suite.ts) on every isolation host. Sandboxes
 * are shared between runs here (`reuse: "shared"`), so the probes after each attack run in the
 * same sandboxes the attack ran in and would see what it left behind.
 */
import { defineCorpusSuite } from "../security/corpus-suite.js";
import { hostCases } from "./hosts.js";

defineCorpusSuite(hostCases({ reuse: "shared" }));
