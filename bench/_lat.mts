import { createToolcode } from "../src/execute/create-toolcode.js";
const tc = await createToolcode({ config: { mcpServers: {}, sandbox: { poolSize: 4 } } });
for (let i = 0; i < 5; i++) await tc.execute("return 1");
for (let r = 0; r < 3; r++) {
  const t = performance.now(); const lat: number[] = [];
  await Promise.all(Array.from({ length: 40 }, async () => { const s = performance.now(); const x = await tc.execute("return 1"); lat.push(performance.now() - s); if (x.error) console.log(x.error.code); }));
  lat.sort((a, b) => a - b);
  console.log("40 parallel:", (performance.now() - t).toFixed(0), "ms; p50", lat[20]?.toFixed(0), "max", lat[39]?.toFixed(0));
}
const t = performance.now(); for (let i = 0; i < 40; i++) await tc.execute("return 1"); console.log("40 sequential:", (performance.now() - t).toFixed(0));
await tc.close();
