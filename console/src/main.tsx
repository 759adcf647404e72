/** The toolcode web console: sign-in, the session bar, the views, live updates. */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, follow, setToken, token } from "./api.js";
import type { Approval, ExecutionRecord, Overview, SessionSummary } from "./types.js";
import { ApprovalsView, RunView, SearchView, SkillsView, SourcesView, TimelineView, TokensView, WorkspaceView } from "./views.js";

const VIEWS = ["run", "timeline", "approvals", "tokens", "sources", "search", "skills", "workspace"] as const;
type View = (typeof VIEWS)[number];
const LABELS: Record<View, string> = { run: "Editor", timeline: "Timeline", approvals: "Approvals", tokens: "Tokens", sources: "Sources", search: "Search", skills: "Skills", workspace: "Workspace" };

function SignIn({ onDone, failed }: { onDone: () => void; failed: boolean }) {
  const [value, setValue] = useState("");
  return (
    <form
      class="signin"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        onDone();
      }}
    >
      <h2>toolcode console</h2>
      <p>This server has users: paste your bearer token (kept in this tab only).</p>
      {failed && <p class="bad">That token was not accepted.</p>}
      <input type="password" name="token" autoComplete="off" placeholder="bearer token" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
    </form>
  );
}

function App() {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [auth, setAuth] = useState<"unknown" | "needed" | "rejected" | "ok">("unknown");
  const [view, setView] = useState<View>((location.hash.slice(1) as View) || "run");
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  const [current, setCurrent] = useState<string | null>(null);
  const [executions, setExecutions] = useState<ExecutionRecord[]>([]);
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [live, setLive] = useState(false);
  const [version, setVersion] = useState(0);
  const currentRef = useRef<string | null>(null);
  currentRef.current = current;

  const connect = useCallback(async () => {
    try {
      setOverview(await api<Overview>("overview"));
      setAuth("ok");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setAuth(token() ? "rejected" : "needed");
      else throw error;
    }
  }, []);
  useEffect(() => void connect(), []);

  const loadSessions = useCallback(async () => {
    const { sessions: list } = await api<{ sessions: SessionSummary[] }>("sessions");
    setSessions(list);
    if (currentRef.current === null || !list.some((s) => s.id === currentRef.current)) {
      const pick = list[0]?.id ?? (await api<{ id: string }>("sessions", {})).id;
      setCurrent(pick);
    }
  }, []);

  const loadSession = useCallback(async () => {
    const id = currentRef.current;
    if (id === null) return;
    const [detail, pending] = await Promise.all([
      api<{ executions: ExecutionRecord[] }>(`sessions/${encodeURIComponent(id)}`),
      api<{ approvals: Approval[] }>(`sessions/${encodeURIComponent(id)}/approvals`).catch(() => ({ approvals: [] })),
    ]);
    if (currentRef.current !== id) return;
    setExecutions(detail.executions);
    setApprovals(pending.approvals);
    setVersion((v) => v + 1);
  }, []);

  useEffect(() => {
    if (auth === "ok") void loadSessions();
  }, [auth]);
  useEffect(() => void loadSession(), [current]);

  // Live: refresh what changed, at most every 250 ms.
  useEffect(() => {
    if (auth !== "ok") return;
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const dirty = { list: false, session: false };
    const flush = (): void => {
      timer = undefined;
      if (dirty.list) void loadSessions();
      if (dirty.session) void loadSession();
      dirty.list = dirty.session = false;
    };
    void follow(
      (event) => {
        dirty.list = true;
        if (event.sessionId === currentRef.current) dirty.session = true;
        timer ??= setTimeout(flush, 250);
      },
      setLive,
      stop.signal,
    );
    return () => {
      stop.abort();
      if (timer) clearTimeout(timer);
    };
  }, [auth]);

  useEffect(() => {
    location.hash = view;
  }, [view]);

  if (auth === "needed" || auth === "rejected") return <SignIn failed={auth === "rejected"} onDone={() => void connect()} />;
  if (overview === null || current === null) return <p class="pane muted">Connecting…</p>;
  const newSession = async (): Promise<void> => {
    const { id } = await api<{ id: string }>("sessions", {});
    setCurrent(id);
    await loadSessions();
  };
  return (
    <div class="app">
      <header>
        <h1>toolcode</h1>
        <span class={`live ${live ? "on" : ""}`} data-testid="live">
          {live ? "● live" : "○ offline"}
        </span>
        <label>
          session{" "}
          <select value={current} onChange={(e) => setCurrent((e.target as HTMLSelectElement).value)} data-testid="session">
            {sessions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id.slice(0, 8)} · {s.executions} runs{s.running ? ` · ${s.running} running` : ""}
              </option>
            ))}
          </select>
        </label>
        <button class="secondary" onClick={() => void newSession()}>
          New session
        </button>
        <span class="spacer" />
        <span class="muted">
          {overview.user ? `signed in as ${overview.user}` : "no users (loopback)"} · engine {overview.engine}
        </span>
        {overview.authRequired && (
          <button
            class="secondary"
            onClick={() => {
              setToken(null);
              location.reload();
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <nav>
        {VIEWS.map((v) => (
          <button key={v} class={v === view ? "tab active" : "tab"} onClick={() => setView(v)} data-testid={`tab-${v}`}>
            {LABELS[v]}
            {v === "approvals" && approvals.length > 0 ? <span class="count">{approvals.length}</span> : null}
          </button>
        ))}
      </nav>
      <main>
        {view === "run" && <RunView sessionId={current} overview={overview} onRan={() => void loadSession()} />}
        {view === "timeline" && <TimelineView executions={executions} />}
        {view === "approvals" && <ApprovalsView sessionId={current} approvals={approvals} onChange={() => void loadSession()} />}
        {view === "tokens" && <TokensView executions={executions} />}
        {view === "sources" && <SourcesView overview={overview} />}
        {view === "search" && <SearchView />}
        {view === "skills" && <SkillsView />}
        {view === "workspace" && <WorkspaceView sessionId={current} version={version} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
