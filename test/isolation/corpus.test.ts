/**
 * The hostile-code corpus (test/security/corpus-suite.ts) on every isolation host. Sandboxes
 * are shared between runs here (`reuse: "shared"`), so the probes after each attack run in the
 * same sandboxes the attack ran in and would see what it left behind.
 */
import { defineCorpusSuite } from "../security/corpus-suite.js";
import { hostCases } from "./hosts.js";

// Under TCG a microVM run takes seconds: the corpus (~200 runs) would take half an hour.
const microvmSkip = process.env.TOOLCODE_TEST_MICROVM_CORPUS === "1"
  ? undefined
  : "the hostile corpus on microVMs takes ~30 min under TCG emulation; set TOOLCODE_TEST_MICROVM_CORPUS=1 to run it";

defineCorpusSuite(hostCases({ reuse: "shared" }, microvmSkip));
