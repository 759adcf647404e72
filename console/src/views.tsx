/** The console's views: sources, search, editor, timeline, approvals, skills, workspace, tokens. */
import type { EditorView } from "codemirror";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { TokenChart } from "./chart.js";
import { Editor } from "./editor.js";
import type { Approval, ExecutionRecord, Overview, RunResult, SkillReport, ToolCallRecord, WorkspaceEntry } from "./types.js";

/** Sources and the `servers/` virtual tree; a file's declarations on the right. */
export function SourcesView({ overview }: { overview: Overview }) {
  const [paths, setPaths] = useState<string[]>([]);
  const [open, setOpen] = useState<{ path: string; text: string } | null>(null);
  useEffect(() => {
    void api<{ paths: string[] }>("tree").then((r) => setPaths(r.paths));
  }, []);
  const show = (path: string): void => void api<{ path: string; text: string }>(`file?path=${encodeURIComponent(path)}`).then(setOpen);
  return (
    <div class="split">
      <div class="pane list">
        <h3>Sources</h3>
        <ul class="sources">
          {overview.sources.map((s) => (
            <li key={s.server}>
              <b>{s.server}</b> <span class="muted">{s.tools} tools</span>
            </li>
          ))}
          {overview.failures.map((f) => (
            <li key={f.server} class="bad">
              <b>{f.server}</b> {f.message}
            </li>
          ))}
        </ul>
        <h3>servers/</h3>
        <ul class="tree" data-testid="tree">
          {paths.map((p) => (
            <li key={p} class={open?.path === p ? "active" : ""} style={{ paddingLeft: `${(p.split("/").length - 2) * 12}px` }}>
              <a href="#" onClick={(e) => (e.preventDefault(), show(p))}>
                {p}
              </a>
            </li>
          ))}
        </ul>
      </div>
      <div class="pane">
        {open ? (
          <>
            <h3>{open.path}</h3>
            <pre class="code" data-testid="file">{open.text}</pre>
          </>
        ) : (
          <p class="muted">Pick a file of the tree to read its signatures, as the model does.</p>
        )}
      </div>
    </div>
  );
}

/** Search the catalog as the model does. */
export function SearchView() {
  const [query, setQuery] = useState("");
  const [text, setText] = useState<string | null>(null);
  const run = (event: Event): void => {
    event.preventDefault();
    void api<{ text: string }>(`search?q=${encodeURIComponent(query)}`).then((r) => setText(r.text));
  };
  return (
    <div class="pane">
      <form onSubmit={run} class="row">
        <input name="q" placeholder="what the model would search for, e.g. add numbers" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      {text !== null && <pre class="code" data-testid="search-results">{text}</pre>}
    </div>
  );
}

const SAMPLES: Record<string, string> = {
  python: `# Tools are async functions with keyword arguments; only what you print or return reaches the model.
total = await everything.get_sum(a=2, b=3)
print("sum", total)
return total
`,
  javascript: `// Tools are typed functions; only what you print or return reaches the model.
const sum = await everything.get_sum({ a: 2, b: 3 });
console.log("sum", sum);
return sum;
`,
};

/** The editor: runs a script in the current session and shows what the model would read. */
export function RunView({ sessionId, overview, onRan }: { sessionId: string; overview: Overview; onRan: () => void }) {
  const view = useRef<EditorView | null>(null);
  const [language, setLanguage] = useState("javascript");
  const [result, setResult] = useState<RunResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const run = async (): Promise<void> => {
    const code = view.current?.state.doc.toString() ?? "";
    setBusy(true);
    setFailure(null);
    try {
      setResult(await api<RunResult>(`sessions/${encodeURIComponent(sessionId)}/execute`, { code, language }));
      onRan();
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="pane">
      <div class="row">
        <button onClick={() => void run()} disabled={busy} data-testid="run">
          {busy ? "Running…" : "Run (Ctrl+Enter)"}
        </button>
        {overview.languages.length > 1 && (
          <select value={language} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value)} data-testid="language" aria-label="language">
            {overview.languages.map((l) => (
              <option key={l} value={l}>
                {l === "javascript" ? "TypeScript" : "Python"}
              </option>
            ))}
          </select>
        )}
        <span class="muted">session {sessionId.slice(0, 8)}</span>
      </div>
      <Editor initial={SAMPLES[language] ?? ""} language={language} onView={(v) => (view.current = v)} onRun={() => void run()} />
      {failure && <p class="bad">{failure}</p>}
      {result && (
        <>
          <h3>
            What the model reads{" "}
            <span class="muted">
              {result.metadata.tokens.output} tokens · {result.metadata.toolCalls} tool calls · {Math.round(result.metadata.durationMs)} ms
              {result.metadata.truncated ? " · truncated" : ""}
            </span>
          </h3>
          <pre class={`code ${result.error ? "bad" : ""}`} data-testid="output">
            {result.text}
          </pre>
        </>
      )}
    </div>
  );
}

function Call({ call }: { call: ToolCallRecord }) {
  return (
    <li class={`call ${call.error ? "failed" : ""}`} data-testid="tool-call">
      <div class="call-head">
        <span class="seq">#{call.seq}</span> <b>{call.tool}</b> <span class={`badge ${call.decision}`}>{call.decision}</span> <span class="badge kind">{call.kind}</span>
        {call.replayed && <span class="badge">replayed</span>}
        <span class="muted">{call.durationMs !== undefined ? `${call.durationMs} ms` : "running…"}</span>
      </div>
      <div class="kv">
        <span>args</span>
        <code>{call.arguments}</code>
      </div>
      {call.result !== undefined && (
        <div class="kv">
          <span>result</span>
          <code>{call.result}</code>
        </div>
      )}
      {call.error && (
        <div class="kv bad">
          <span>error</span>
          <code>
            {call.error.code}: {call.error.message}
          </code>
        </div>
      )}
    </li>
  );
}

/** The session's executions, newest first, each with its tool calls nested. */
export function TimelineView({ executions }: { executions: ExecutionRecord[] }) {
  if (executions.length === 0) return <p class="pane muted">No executions in this session yet: run a script, or connect an MCP client.</p>;
  return (
    <ol class="pane timeline" data-testid="timeline">
      {[...executions].reverse().map((e) => (
        <li key={e.id} class={`execution ${e.error ? "failed" : ""}`} data-testid="execution">
          <div class="exec-head">
            <b>execute</b> <span class="muted">{new Date(e.startedAt).toLocaleTimeString()}</span>{" "}
            {e.running ? <span class="badge approve">running</span> : <span class="muted">{Math.round(e.durationMs ?? 0)} ms</span>}
            {e.approve && <span class="badge">resumes {e.approve.slice(0, 10)}…</span>}
            {e.error && <span class="badge deny">{e.error.code}</span>}
            {e.tokens && (
              <span class="muted">
                {" "}
                · read {e.tokens.output} tok · tool results {e.tokens.toolResults} tok · stayed {e.tokens.saved} tok
              </span>
            )}
          </div>
          <details>
            <summary>code</summary>
            <pre class="code">{e.code}</pre>
          </details>
          <ul class="calls">
            {e.calls.map((c) => (
              <Call key={c.seq} call={c} />
            ))}
            {e.droppedCalls > 0 && <li class="muted">… {e.droppedCalls} more calls not kept (console history bounds)</li>}
          </ul>
          {e.text !== undefined && (
            <details open={e.calls.length === 0}>
              <summary>what the model read</summary>
              <pre class="code">{e.text}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}

/** Pending approvals of the session, to approve (the script resumes) or reject. */
export function ApprovalsView({ sessionId, approvals, onChange }: { sessionId: string; approvals: Approval[]; onChange: () => void }) {
  const [last, setLast] = useState<string | null>(null);
  const act = async (id: string, action: "approve" | "reject"): Promise<void> => {
    try {
      const answer = await api<RunResult | { rejected: string }>(`sessions/${encodeURIComponent(sessionId)}/approvals/${encodeURIComponent(id)}/${action}`, {});
      setLast("text" in answer ? answer.text : `Rejected ${answer.rejected}.`);
    } catch (error) {
      setLast((error as Error).message);
    }
    onChange();
  };
  return (
    <div class="pane">
      {approvals.length === 0 && <p class="muted">Nothing waits for approval in this session.</p>}
      <ul class="approvals">
        {approvals.map((a) => (
          <li key={a.id} data-testid="approval">
            <div>
              <b>{a.tool}</b> <span class="muted">{a.reason} · expires {new Date(a.expiresAt).toLocaleTimeString()}</span>
            </div>
            <pre class="code">{JSON.stringify(a.arguments, null, 2)}</pre>
            <button onClick={() => void act(a.id, "approve")} data-testid="approve">
              Approve and resume
            </button>{" "}
            <button class="secondary" onClick={() => void act(a.id, "reject")} data-testid="reject">
              Reject
            </button>
          </li>
        ))}
      </ul>
      {last !== null && (
        <>
          <h3>Result</h3>
          <pre class="code" data-testid="approval-result">{last}</pre>
        </>
      )}
    </div>
  );
}

/** Skills with their usage. */
export function SkillsView() {
  const [skills, setSkills] = useState<SkillReport[] | null>(null);
  useEffect(() => void api<{ skills: SkillReport[] }>("skills").then((r) => setSkills(r.skills)), []);
  if (skills === null) return <p class="pane muted">Loading…</p>;
  if (skills.length === 0) return <p class="pane muted">No skills saved yet (a script saves one with skills.save).</p>;
  return (
    <table class="pane grid" data-testid="skills">
      <thead>
        <tr>
          <th>skill</th>
          <th>functions</th>
          <th>imports</th>
          <th>calls</th>
          <th>failures</th>
          <th>last used</th>
        </tr>
      </thead>
      <tbody>
        {skills.map((s) => (
          <tr key={s.name}>
            <td>
              <b>{s.name}</b> v{s.version}
              <div class="muted">{s.description}</div>
            </td>
            <td>
              <code>{s.signatures.join("\n")}</code>
            </td>
            <td>{s.usage.imports}</td>
            <td>{s.usage.calls}</td>
            <td>{s.usage.failures}</td>
            <td>{s.usage.lastUsed ? new Date(s.usage.lastUsed).toLocaleString() : "never"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The session's workspace files. */
export function WorkspaceView({ sessionId, version }: { sessionId: string; version: number }) {
  const [files, setFiles] = useState<WorkspaceEntry[] | null>(null);
  useEffect(() => void api<{ files: WorkspaceEntry[] }>(`sessions/${encodeURIComponent(sessionId)}/workspace`).then((r) => setFiles(r.files), () => setFiles([])), [sessionId, version]);
  if (files === null) return <p class="pane muted">Loading…</p>;
  if (files.length === 0) return <p class="pane muted">The workspace is empty (scripts write with workspace.write; cut output is spilled here).</p>;
  return (
    <table class="pane grid" data-testid="workspace">
      <thead>
        <tr>
          <th>path</th>
          <th>bytes</th>
          <th>modified</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.path}>
            <td>
              <code>{f.path}</code>
            </td>
            <td>{f.bytes}</td>
            <td>{new Date(f.modified).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The token chart of the session. */
export function TokensView({ executions }: { executions: ExecutionRecord[] }) {
  return (
    <div class="pane">
      <TokenChart executions={executions} />
    </div>
  );
}
