/** The script editor: CodeMirror 6 with TypeScript (or Python) highlighting. */
import { javascript } from "@codemirror/lang-javascript";
import { python } from "@codemirror/lang-python";
import { EditorView, basicSetup } from "codemirror";
import { useEffect, useRef } from "preact/hooks";

/** Props of {@link Editor}. */
export interface EditorProps {
  initial: string;
  /** `javascript` (TypeScript) or `python`. */
  language: string;
  /** Receives the view once, so the parent can read the text. */
  onView: (view: EditorView) => void;
  /** Ctrl/Cmd+Enter. */
  onRun: () => void;
}

/** A CodeMirror editor; remounts when the language changes. */
export function Editor({ initial, language, onView, onRun }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const run = useRef(onRun);
  run.current = onRun;
  useEffect(() => {
    if (!host.current) return;
    const keys = EditorView.domEventHandlers({
      keydown: (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          run.current();
          return true;
        }
        return false;
      },
    });
    const view = new EditorView({ doc: initial, extensions: [basicSetup, language === "python" ? python() : javascript({ typescript: true }), keys], parent: host.current });
    onView(view);
    return () => view.destroy();
  }, [language]);
  return <div class="editor" ref={host} data-testid="editor" />;
}
