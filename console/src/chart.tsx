/** Tokens the model read vs tokens that stayed in the sandbox, per execution and cumulative (uPlot). */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { ExecutionRecord } from "./types.js";

/** Props of {@link TokenChart}. */
export interface TokenChartProps {
  executions: ExecutionRecord[];
}

/** Bars per execution (read / stayed), lines for the running totals. */
export function TokenChart({ executions }: TokenChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const done = executions.filter((e) => e.tokens !== undefined);
  useEffect(() => {
    if (!host.current || done.length === 0) return;
    const x = done.map((_, i) => i + 1);
    const read = done.map((e) => e.tokens?.output ?? 0);
    const stayed = done.map((e) => e.tokens?.saved ?? 0);
    let sumRead = 0;
    let sumStayed = 0;
    const cumRead = read.map((v) => (sumRead += v));
    const cumStayed = stayed.map((v) => (sumStayed += v));
    const bars = uPlot.paths.bars?.({ size: [0.35, 40], align: 1 });
    const bars2 = uPlot.paths.bars?.({ size: [0.35, 40], align: -1 });
    const plot = new uPlot(
      {
        width: Math.max(360, host.current.clientWidth - 8),
        height: 280,
        scales: { x: { time: false, range: [0.3, done.length + 0.7] } },
        axes: [{ label: "execution", incrs: [1] }, { label: "tokens", size: 60 }],
        series: [
          {},
          { label: "read by the model", fill: "rgba(37,99,235,0.55)", stroke: "#2563eb", paths: bars, points: { show: false } },
          { label: "stayed in the sandbox", fill: "rgba(22,163,74,0.45)", stroke: "#16a34a", paths: bars2, points: { show: false } },
          { label: "read, cumulative", stroke: "#1e40af", width: 2, dash: [6, 4] },
          { label: "stayed, cumulative", stroke: "#15803d", width: 2, dash: [6, 4] },
        ],
      },
      [x, read, stayed, cumRead, cumStayed],
      host.current,
    );
    return () => plot.destroy();
  }, [done.map((e) => `${e.id}:${e.tokens?.output}`).join(",")]);
  if (done.length === 0) return <p class="muted">No finished executions in this session yet.</p>;
  const total = done.reduce((acc, e) => ({ read: acc.read + (e.tokens?.output ?? 0), pool: acc.pool + (e.tokens?.toolResults ?? 0), saved: acc.saved + (e.tokens?.saved ?? 0) }), { read: 0, pool: 0, saved: 0 });
  return (
    <div>
      <p class="summary" data-testid="token-summary">
        {done.length} executions: the model read <b>{total.read}</b> tokens; tool results in the sandbox: <b>{total.pool}</b>; stayed out of the context: <b>{total.saved}</b>
        {total.pool > 0 ? ` (${Math.round((100 * total.saved) / total.pool)}%)` : ""}.
      </p>
      <div ref={host} class="chart" data-testid="token-chart" />
    </div>
  );
}
