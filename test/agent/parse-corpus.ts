/**
 * A corpus of realistic model replies (well-formed and malformed) with the action each must
 * parse to. Styles are drawn from what code agents see in practice: GPT/Claude-style prose +
 * fence, small local models (Qwen, Llama, Mistral, DeepSeek) with wrong tags, missing fences,
 * reasoning tags and chat-template tokens, smolagents-style `Thought:`/`Code:`, function-call
 * JSON in text, and replies cut off by the output limit.
 */
import type { ParseProblem, Recovery, ReplyFormat } from "../../src/agent/parse-action.js";

/** What a reply must parse to. `code` is compared after trimming each line's end. */
export type Expected =
  | { kind: "code"; code: string; thoughts?: string; recovered?: Recovery[] }
  | { kind: "final"; answer: string; recovered?: Recovery[] }
  | { kind: "invalid"; problem: ParseProblem };

/** One corpus entry. */
export interface ParseCase {
  name: string;
  /** Well-formed replies need no recovery; malformed ones do (or cannot be recovered). */
  shape: "well-formed" | "malformed";
  format?: ReplyFormat;
  /** The reply hit the output limit. */
  truncated?: boolean;
  reply: string;
  expect: Expected;
}

const F = "```";
const code = (c: string, extra: Partial<Extract<Expected, { kind: "code" }>> = {}): Expected => ({ kind: "code", code: c, ...extra });
const final = (answer: string, recovered?: Recovery[]): Expected => ({ kind: "final", answer, ...(recovered ? { recovered } : {}) });
const invalid = (problem: ParseProblem): Expected => ({ kind: "invalid", problem });

const LIST = `const { content } = await filesystem.list_directory({ path: "/data" });
const md = content.split("\\n").filter((l) => l.endsWith(".md"));
console.log(md.length, md.slice(0, 5));`;
const SUM = `const r = await everything.get_sum({ a: 1234, b: 5678 });
console.log(r);`;
const GRAPH = `const graph = await memory.read_graph();
const people = graph.entities.filter((e) => e.entityType === "person");
return people.map((p) => p.name);`;

export const PARSE_CORPUS: ParseCase[] = [
  // ── Well-formed: prose + one ```ts block ──────────────────────────────────────────────────
  { name: "gpt-style thought then ts block", shape: "well-formed", reply: `I'll list the directory and count the markdown files.\n\n${F}ts\n${LIST}\n${F}`, expect: code(LIST, { thoughts: "I'll list the directory" }) },
  { name: "typescript tag", shape: "well-formed", reply: `${F}typescript\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "javascript tag", shape: "well-formed", reply: `Let me add the numbers.\n${F}javascript\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "js tag", shape: "well-formed", reply: `${F}js\n${GRAPH}\n${F}`, expect: code(GRAPH) },
  { name: "capitalised TypeScript tag", shape: "well-formed", reply: `${F}TypeScript\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "tsx tag", shape: "well-formed", reply: `${F}tsx\nreturn await everything.echo({ message: "hi" });\n${F}`, expect: code('return await everything.echo({ message: "hi" });') },
  { name: "prose before and after", shape: "well-formed", reply: `First I need the people in the graph.\n\n${F}ts\n${GRAPH}\n${F}\n\nThis returns the names so I can count them next.`, expect: code(GRAPH, { thoughts: "count them next" }) },
  { name: "search step", shape: "well-formed", reply: `I don't know the tool names yet, so I'll search.\n${F}ts\nconsole.log(await searchTools("list directory"));\n${F}`, expect: code('console.log(await searchTools("list directory"));') },
  { name: "final call in code", shape: "well-formed", reply: `I have everything I need.\n${F}ts\nfinal("There are 3 markdown files: a.md, b.md, c.md");\n${F}`, expect: code('final("There are 3 markdown files: a.md, b.md, c.md");') },
  { name: "return final", shape: "well-formed", reply: `${F}ts\nconst n = (await memory.read_graph()).entities.length;\nreturn final(\`\${n} entities\`);\n${F}`, expect: code("const n = (await memory.read_graph()).entities.length;\nreturn final(`${n} entities`);") },
  { name: "type annotations", shape: "well-formed", reply: `${F}ts\ninterface Entity { name: string; entityType: string }\nconst g = await memory.read_graph() as { entities: Entity[] };\nconsole.log(g.entities.length);\n${F}`, expect: code("interface Entity { name: string; entityType: string }\nconst g = await memory.read_graph() as { entities: Entity[] };\nconsole.log(g.entities.length);") },
  { name: "import from servers", shape: "well-formed", reply: `${F}ts\nimport { read_text_file } from "./servers/filesystem";\nconst t = await read_text_file({ path: "/data/a.md" });\nconsole.log(t.content.slice(0, 200));\n${F}`, expect: code('import { read_text_file } from "./servers/filesystem";\nconst t = await read_text_file({ path: "/data/a.md" });\nconsole.log(t.content.slice(0, 200));') },
  { name: "try/catch ToolError", shape: "well-formed", reply: `The previous call failed; I'll handle the error.\n${F}ts\ntry {\n  await filesystem.read_text_file({ path: "/nope" });\n} catch (e) {\n  console.log(e.code, e.message);\n}\n${F}`, expect: code('try {\n  await filesystem.read_text_file({ path: "/nope" });\n} catch (e) {\n  console.log(e.code, e.message);\n}') },
  { name: "workspace use", shape: "well-formed", reply: `${F}ts\nconst g = await memory.read_graph();\nawait workspace.write("graph.json", g);\nconsole.log("saved", g.entities.length);\n${F}`, expect: code('const g = await memory.read_graph();\nawait workspace.write("graph.json", g);\nconsole.log("saved", g.entities.length);') },
  { name: "code with template literal containing backticks", shape: "well-formed", reply: `${F}ts\nconst name = "x";\nconsole.log(\`name: \${name}\`);\n${F}`, expect: code("const name = \"x\";\nconsole.log(`name: ${name}`);") },
  { name: "claude-style markdown headers", shape: "well-formed", reply: `## Plan\n1. Read the graph\n2. Filter people\n\n## Code\n${F}typescript\n${GRAPH}\n${F}`, expect: code(GRAPH, { thoughts: "Read the graph" }) },
  { name: "bulleted thoughts", shape: "well-formed", reply: `- The sum tool takes a and b\n- I'll call it once\n\n${F}ts\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "tilde fence", shape: "well-formed", reply: `~~~ts\n${SUM}\n~~~`, expect: code(SUM) },
  { name: "four-backtick fence", shape: "well-formed", reply: `\`\`\`\`ts\nconsole.log("${F} inside a string");\n\`\`\`\``, expect: code(`console.log("${F} inside a string");`) },
  { name: "code comments", shape: "well-formed", reply: `${F}ts\n// read the graph once, then filter in code\n${GRAPH}\n${F}`, expect: code(`// read the graph once, then filter in code\n${GRAPH}`) },

  // ── Well-formed: plain-text final answers ─────────────────────────────────────────────────
  { name: "plain answer", shape: "well-formed", reply: "There are 3 markdown files in /data: a.md, b.md and c.md.", expect: final("There are 3 markdown files in /data: a.md, b.md and c.md.") },
  { name: "one word answer", shape: "well-formed", reply: "Paris", expect: final("Paris") },
  { name: "number answer", shape: "well-formed", reply: "6912", expect: final("6912") },
  { name: "multi-line answer with list", shape: "well-formed", reply: "The five largest files are:\n1. big.log (12 KB)\n2. data.csv (9 KB)\n3. notes.md (4 KB)\n4. a.md (2 KB)\n5. b.md (1 KB)", expect: final("The five largest files are:\n1. big.log (12 KB)\n2. data.csv (9 KB)\n3. notes.md (4 KB)\n4. a.md (2 KB)\n5. b.md (1 KB)") },
  { name: "answer mentioning inline code", shape: "well-formed", reply: "The `get_sum` tool returned `The sum of 1234 and 5678 is 6912.`, so the answer is 6912.", expect: final("The `get_sum` tool returned `The sum of 1234 and 5678 is 6912.`, so the answer is 6912.") },
  { name: "answer as markdown table", shape: "well-formed", reply: "| file | size |\n|---|---|\n| a.md | 10 |\n| b.md | 20 |", expect: final("| file | size |\n|---|---|\n| a.md | 10 |\n| b.md | 20 |") },
  { name: "answer with json data block", shape: "well-formed", reply: `Here are the people in the graph:\n${F}json\n["Ada", "Grace", "Linus"]\n${F}`, expect: final(`Here are the people in the graph:\n${F}json\n["Ada", "Grace", "Linus"]\n${F}`) },
  { name: "answer as bare JSON value", shape: "well-formed", reply: '{"count": 3, "files": ["a.md", "b.md", "c.md"]}', expect: final('{"count": 3, "files": ["a.md", "b.md", "c.md"]}') },
  { name: "answer with a text block", shape: "well-formed", reply: `The tool echoed:\n${F}text\nEcho: hello from toolcode\n${F}`, expect: final(`The tool echoed:\n${F}text\nEcho: hello from toolcode\n${F}`) },
  { name: "answer with a sentence starting with a keyword", shape: "well-formed", reply: "For each of the 3 files I found one TODO; return them to the owner if needed.", expect: final("For each of the 3 files I found one TODO; return them to the owner if needed.") },
  { name: "answer mentioning console.log", shape: "well-formed", reply: "console.log printed 42, which is the total number of orders.", expect: final("console.log printed 42, which is the total number of orders.") },

  // ── Well-formed: structured envelope ──────────────────────────────────────────────────────
  { name: "structured envelope", shape: "well-formed", format: "structured", reply: JSON.stringify({ thoughts: "Add the numbers.", code: SUM }), expect: code(SUM, { thoughts: "Add the numbers." }) },
  { name: "structured envelope pretty-printed", shape: "well-formed", format: "structured", reply: JSON.stringify({ thoughts: "Read the graph.", code: GRAPH }, null, 2), expect: code(GRAPH, { thoughts: "Read the graph." }) },
  { name: "structured final via code", shape: "well-formed", format: "structured", reply: JSON.stringify({ thoughts: "Done.", code: 'final("6912")' }), expect: code('final("6912")') },
  { name: "structured code first", shape: "well-formed", format: "structured", reply: JSON.stringify({ code: LIST, thoughts: "List files." }), expect: code(LIST) },
  { name: "structured with unicode", shape: "well-formed", format: "structured", reply: JSON.stringify({ thoughts: "Échos — ünïcode ✓", code: 'console.log(await everything.echo({ message: "héllo ✓" }));' }), expect: code('console.log(await everything.echo({ message: "héllo ✓" }));') },

  // ── Malformed: fences ─────────────────────────────────────────────────────────────────────
  { name: "untagged fence", shape: "malformed", reply: `Here is the code:\n${F}\n${SUM}\n${F}`, expect: code(SUM, { recovered: ["untagged-fence"] }) },
  { name: "python tag on TypeScript", shape: "malformed", reply: `${F}python\n${SUM}\n${F}`, expect: code(SUM, { recovered: ["wrong-language-tag"] }) },
  { name: "py tag on TypeScript (smolagents habit)", shape: "malformed", reply: `Thought: I will add the numbers.\nCode:\n${F}py\n${SUM}\n${F}<end_code>`, expect: code(SUM, { thoughts: "Thought: I will add the numbers.", recovered: ["wrong-language-tag", "special-tokens"] }) },
  { name: "bash tag on TypeScript", shape: "malformed", reply: `${F}bash\nconst r = await everything.echo({ message: "x" });\nconsole.log(r);\n${F}`, expect: code('const r = await everything.echo({ message: "x" });\nconsole.log(r);', { recovered: ["wrong-language-tag"] }) },
  { name: "json tag on TypeScript", shape: "malformed", reply: `${F}json\nconsole.log(await memory.read_graph());\n${F}`, expect: code("console.log(await memory.read_graph());", { recovered: ["wrong-language-tag"] }) },
  { name: "rust tag on TypeScript", shape: "malformed", reply: `${F}rust\nconst x = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(x);\n${F}`, expect: code("const x = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(x);", { recovered: ["wrong-language-tag"] }) },
  { name: "typescript:run info string", shape: "malformed", reply: `${F}typescript:run\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "pandoc-style {.ts} info", shape: "malformed", reply: `${F}{.ts}\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "info string with attributes", shape: "malformed", reply: `${F}ts title="step.ts"\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "unterminated fence", shape: "malformed", reply: `Let me check.\n${F}ts\n${GRAPH}`, expect: code(GRAPH, { recovered: ["unterminated-fence"] }) },
  { name: "unterminated fence with trailing blank lines", shape: "malformed", reply: `${F}ts\n${SUM}\n\n\n`, expect: code(SUM) },
  { name: "fence glued to prose", shape: "malformed", reply: `Running it now: ${F}ts\n${SUM}\n${F}`, expect: code(SUM, { recovered: ["glued-fence"] }) },
  { name: "closing fence glued to code", shape: "malformed", reply: `${F}ts\nconst r = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(r);${F}`, expect: code("const r = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(r);") },
  { name: "fence with code on the same line", shape: "malformed", reply: `${F}ts return await everything.echo({ message: "one line" });${F}`, expect: code('return await everything.echo({ message: "one line" });') },
  { name: "untagged one-line fence", shape: "malformed", reply: `${F}console.log(await memory.read_graph())${F}`, expect: code("console.log(await memory.read_graph())") },
  { name: "indented fence in a list", shape: "malformed", reply: `1. Read the graph:\n   ${F}ts\n   const g = await memory.read_graph();\n   console.log(g.entities.length);\n   ${F}`, expect: code("const g = await memory.read_graph();\nconsole.log(g.entities.length);") },
  { name: "CRLF line endings", shape: "malformed", reply: `Adding.\r\n${F}ts\r\nconst r = await everything.get_sum({ a: 2, b: 3 });\r\nconsole.log(r);\r\n${F}\r\n`, expect: code("const r = await everything.get_sum({ a: 2, b: 3 });\nconsole.log(r);") },
  { name: "empty fence", shape: "malformed", reply: `I'll run this:\n${F}ts\n${F}`, expect: invalid("empty-code") },
  { name: "fence with only whitespace", shape: "malformed", reply: `${F}typescript\n   \n\n${F}`, expect: invalid("empty-code") },

  // ── Malformed: several blocks ─────────────────────────────────────────────────────────────
  { name: "two sequential blocks are joined", shape: "malformed", reply: `First read the graph:\n${F}ts\nconst g = await memory.read_graph();\n${F}\nThen print the names:\n${F}ts\nconsole.log(g.entities.map((e) => e.name));\n${F}`, expect: code("const g = await memory.read_graph();\n\nconsole.log(g.entities.map((e) => e.name));", { recovered: ["several-blocks"] }) },
  { name: "code block then expected output block", shape: "malformed", reply: `${F}ts\n${SUM}\n${F}\nExpected output:\n${F}\nThe sum of 1234 and 5678 is 6912.\n${F}`, expect: code(SUM, { recovered: ["data-blocks-skipped"] }) },
  { name: "code block then output-tagged block", shape: "malformed", reply: `${F}ts\n${SUM}\n${F}\n${F}output\nThe sum of 1234 and 5678 is 6912.\n${F}`, expect: code(SUM, { recovered: ["data-blocks-skipped"] }) },
  { name: "alternatives redeclaring the same name: last wins", shape: "malformed", reply: `${F}ts\nconst g = await memory.read_graph();\nconsole.log(g);\n${F}\nActually, print only the count:\n${F}ts\nconst g = await memory.read_graph();\nconsole.log(g.entities.length);\n${F}`, expect: code("const g = await memory.read_graph();\nconsole.log(g.entities.length);", { recovered: ["alternative-blocks"] }) },
  { name: "duplicate block", shape: "malformed", reply: `${F}ts\n${SUM}\n${F}\n\nAgain, the code:\n${F}ts\n${SUM}\n${F}`, expect: code(SUM, { recovered: ["duplicate-blocks"] }) },
  { name: "shell block then ts block", shape: "malformed", reply: `You could run \n${F}bash\nnpx toolcode search sum\n${F}\nbut here it is in code:\n${F}ts\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "json data block then ts block", shape: "malformed", reply: `The schema is\n${F}json\n{"a": "number", "b": "number"}\n${F}\n${F}ts\n${SUM}\n${F}`, expect: code(SUM) },
  { name: "three blocks, middle one a declaration reminder", shape: "malformed", reply: `${F}ts\nconst a = await everything.get_sum({ a: 1, b: 2 });\n${F}\n${F}ts\nconst b = await everything.get_sum({ a: 3, b: 4 });\n${F}\n${F}ts\nconsole.log(a, b);\n${F}`, expect: code("const a = await everything.get_sum({ a: 1, b: 2 });\n\nconst b = await everything.get_sum({ a: 3, b: 4 });\n\nconsole.log(a, b);", { recovered: ["several-blocks"] }) },

  // ── Malformed: tags ───────────────────────────────────────────────────────────────────────
  { name: "<code> tags", shape: "malformed", reply: `Thought: add them.\n<code>\n${SUM}\n</code>`, expect: code(SUM, { recovered: ["xml-tags"] }) },
  { name: "<execute> tags", shape: "malformed", reply: `<execute>\n${GRAPH}\n</execute>`, expect: code(GRAPH, { recovered: ["xml-tags"] }) },
  { name: "<code> on one line", shape: "malformed", reply: `<code>console.log(await everything.echo({ message: "x" }))</code>`, expect: code('console.log(await everything.echo({ message: "x" }))') },
  { name: "<tool_code> (gemma style)", shape: "malformed", reply: `<tool_code>\n${SUM}\n</tool_code>`, expect: code(SUM) },
  { name: "fence inside <code>", shape: "malformed", reply: `<code>\n${F}ts\n${SUM}\n${F}\n</code>`, expect: code(SUM) },
  { name: "<think> reasoning then block", shape: "malformed", reply: `<think>\nThe user wants the sum. I should call get_sum.\n${F}ts\nconsole.log("draft")\n${F}\n</think>\n\n${F}ts\n${SUM}\n${F}`, expect: code(SUM, { thoughts: "The user wants the sum", recovered: ["think-tags"] }) },
  { name: "orphan </think> (template opened it)", shape: "malformed", reply: `Okay, so I need the graph first.\n</think>\n${F}ts\n${GRAPH}\n${F}`, expect: code(GRAPH, { thoughts: "I need the graph", recovered: ["think-tags"] }) },
  { name: "<think> then plain answer", shape: "malformed", reply: "<think>The sum was 6912 in the last output.</think>\n\nThe sum is 6912.", expect: final("The sum is 6912.") },
  { name: "only reasoning", shape: "malformed", reply: "<think>\nI should list the files first, then...\n</think>", expect: invalid("empty") },
  { name: "unclosed <think> cut off", shape: "malformed", truncated: true, reply: "<think>\nLet me think about which tool lists files. There is list_directory and", expect: invalid("truncated") },
  { name: "chat template tokens", shape: "malformed", reply: `${F}ts\n${SUM}\n${F}<|im_end|>`, expect: code(SUM, { recovered: ["special-tokens"] }) },
  { name: "llama eot token after answer", shape: "malformed", reply: "The answer is 6912.<|eot_id|>", expect: final("The answer is 6912.") },
  { name: "python_tag prefix", shape: "malformed", reply: `<|python_tag|>${SUM}`, expect: code(SUM) },
  { name: "llama header tokens before a block", shape: "malformed", reply: `<|start_header_id|>assistant<|end_header_id|>\n\n${F}ts\n${SUM}\n${F}<|eot_id|>`, expect: code(SUM, { recovered: ["special-tokens"] }) },
  { name: "hermes <tool_call> JSON", shape: "malformed", reply: `<tool_call>\n${JSON.stringify({ name: "execute", arguments: { code: GRAPH } })}\n</tool_call>`, expect: code(GRAPH, { recovered: ["function-call-json"] }) },
  { name: "mistral [TOOL_CALLS] list", shape: "malformed", reply: `[TOOL_CALLS][${JSON.stringify({ name: "execute", arguments: { code: SUM } })}]`, expect: code(SUM, { recovered: ["function-call-json"] }) },
  { name: "gemma tool_code fence", shape: "malformed", reply: `${F}tool_code\n${SUM}\n${F}`, expect: code(SUM, { recovered: ["wrong-language-tag"] }) },
  { name: "answer that is a JSON list", shape: "well-formed", reply: '["a.md", "b.md", "c.md"]', expect: final('["a.md", "b.md", "c.md"]') },

  // ── Malformed: no fences ──────────────────────────────────────────────────────────────────
  { name: "bare code", shape: "malformed", reply: SUM, expect: code(SUM, { recovered: ["unfenced"] }) },
  { name: "bare code with return", shape: "malformed", reply: GRAPH, expect: code(GRAPH) },
  { name: "prose then bare code", shape: "malformed", reply: `I'll add the two numbers with the sum tool.\n\n${SUM}`, expect: code(SUM, { thoughts: "add the two numbers", recovered: ["unfenced", "prose-around-code"] }) },
  { name: "bare code then prose", shape: "malformed", reply: `${SUM}\n\nThis prints the sum.`, expect: code(SUM, { recovered: ["prose-around-code"] }) },
  { name: "Thought/Code without fences", shape: "malformed", reply: `Thought: the graph holds the people.\nCode:\n${GRAPH}`, expect: code(GRAPH) },
  { name: "bare multi-line object literal", shape: "malformed", reply: `await memory.search_nodes({\n  query: "Ada",\n});\nconsole.log("done");`, expect: code('await memory.search_nodes({\n  query: "Ada",\n});\nconsole.log("done");') },
  { name: "bare final call", shape: "malformed", reply: 'final("There are 3 files.")', expect: code('final("There are 3 files.")') },
  { name: "bare single tool call without await", shape: "malformed", reply: 'everything.echo({ message: "hi" })', expect: code('everything.echo({ message: "hi" })') },
  { name: "inline code span only", shape: "malformed", reply: "`console.log(await everything.get_sum({ a: 1, b: 2 }))`", expect: code("console.log(await everything.get_sum({ a: 1, b: 2 }))", { recovered: ["inline-code"] }) },
  { name: "bare code with a syntax error stays code (the sandbox reports the line)", shape: "malformed", reply: "const x = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(x;", expect: code("const x = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(x;") },
  { name: "final answer prefix", shape: "malformed", reply: "Thought: I now know the answer.\nFinal Answer: 6912", expect: final("6912", ["final-prefix"]) },
  { name: "bold final answer prefix", shape: "malformed", reply: "**Final answer:** the graph has 4 people.", expect: final("the graph has 4 people.") },
  { name: "final_answer prefix", shape: "malformed", reply: "final_answer: Echo: hello", expect: final("Echo: hello") },
  { name: "announced code, none sent", shape: "malformed", reply: "Let me list the directory first:", expect: invalid("no-code") },
  { name: "announced code after prose, none sent", shape: "malformed", reply: "The graph has entities and relations. I'll read it now with this code:", expect: invalid("no-code") },
  { name: "empty reply", shape: "malformed", reply: "", expect: invalid("empty") },
  { name: "whitespace reply", shape: "malformed", reply: "  \n\n ", expect: invalid("empty") },
  { name: "cut-off prose", shape: "malformed", truncated: true, reply: "The five largest files are big.log, data.csv, notes", expect: invalid("truncated") },

  // ── Malformed: other languages ────────────────────────────────────────────────────────────
  { name: "real python block", shape: "malformed", reply: `${F}python\nresult = everything.get_sum(a=1234, b=5678)\nprint(result)\n${F}`, expect: invalid("not-typescript") },
  { name: "python with def", shape: "malformed", reply: `${F}py\ndef count(files):\n    return len([f for f in files if f.endswith(".md")])\nprint(count(filesystem.list_directory(path="/data")))\n${F}`, expect: invalid("not-typescript") },
  { name: "python in a ts-tagged block", shape: "malformed", reply: `${F}ts\nimport os\nfor f in os.listdir("/data"):\n    print(f)\n${F}`, expect: invalid("not-typescript") },
  { name: "untagged python", shape: "malformed", reply: `${F}\nfor name in names:\n    print(name)\n${F}`, expect: invalid("not-typescript") },
  { name: "shell commands", shape: "malformed", reply: `${F}bash\nls -la /data | grep .md | wc -l\n${F}`, expect: invalid("not-typescript") },
  { name: "untagged shell", shape: "malformed", reply: `Run this:\n${F}\nnpx toolcode search "sum"\n${F}`, expect: invalid("not-typescript") },
  { name: "sql block", shape: "malformed", reply: `${F}sql\nSELECT count(*) FROM orders;\n${F}`, expect: invalid("not-typescript") },

  // ── Malformed: JSON envelope in code format, JSON repairs ─────────────────────────────────
  { name: "envelope in code format", shape: "malformed", reply: JSON.stringify({ thoughts: "sum", code: SUM }), expect: code(SUM, { recovered: ["json-envelope"] }) },
  { name: "envelope in a json fence", shape: "malformed", reply: `${F}json\n${JSON.stringify({ thoughts: "read", code: GRAPH }, null, 2)}\n${F}`, expect: code(GRAPH, { recovered: ["json-in-markdown"] }) },
  { name: "envelope in a json fence with prose", shape: "malformed", format: "structured", reply: `Sure! Here is my response:\n\n${F}json\n${JSON.stringify({ thoughts: "read", code: GRAPH })}\n${F}`, expect: code(GRAPH, { recovered: ["json-in-markdown"] }) },
  { name: "envelope with prose around (structured)", shape: "malformed", format: "structured", reply: `Here you go: ${JSON.stringify({ thoughts: "add", code: SUM })} Let me know!`, expect: code(SUM) },
  { name: "raw newlines inside the code string", shape: "malformed", format: "structured", reply: `{"thoughts": "add", "code": "const r = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(r);"}`, expect: code("const r = await everything.get_sum({ a: 1, b: 2 });\nconsole.log(r);", { recovered: ["repaired-json"] }) },
  { name: "unescaped quotes inside the code string", shape: "malformed", format: "structured", reply: `{"thoughts": "echo", "code": "console.log(await everything.echo({ message: "hi" }));"}`, expect: code('console.log(await everything.echo({ message: "hi" }));') },
  { name: "trailing comma", shape: "malformed", format: "structured", reply: `{"thoughts": "sum", "code": "return 1 + 1;",}`, expect: code("return 1 + 1;") },
  { name: "truncated after the code string", shape: "malformed", format: "structured", truncated: true, reply: `{"code": "console.log(await memory.read_graph());", "thoughts": "read the gr`, expect: code("console.log(await memory.read_graph());", { recovered: ["truncated-json"] }) },
  { name: "truncated: closing brace missing", shape: "malformed", format: "structured", reply: `{"thoughts": "sum", "code": "return 2 + 2;"`, expect: code("return 2 + 2;", { recovered: ["truncated-json"] }) },
  { name: "truncated inside the code, complete statements so far", shape: "malformed", format: "structured", truncated: true, reply: `{"thoughts": "x", "code": "const g = await memory.read_graph();\\nconsole.log(g.entities.len`, expect: invalid("truncated") },
  { name: "truncated inside the code mid-statement", shape: "malformed", format: "structured", truncated: true, reply: `{"thoughts": "list", "code": "const { content } = await filesystem.list_directory({ path: \\"/da`, expect: invalid("truncated") },
  { name: "fenced code inside the JSON string", shape: "malformed", format: "structured", reply: JSON.stringify({ thoughts: "sum", code: `${F}ts\n${SUM}\n${F}` }), expect: code(SUM) },
  { name: "thought (singular) key", shape: "malformed", format: "structured", reply: JSON.stringify({ thought: "sum it", code: SUM }), expect: code(SUM, { thoughts: "sum it" }) },
  { name: "script key", shape: "malformed", format: "structured", reply: JSON.stringify({ reasoning: "list", script: LIST }), expect: code(LIST) },
  { name: "function-call JSON in text", shape: "malformed", reply: JSON.stringify({ name: "execute", arguments: { code: SUM } }), expect: code(SUM, { recovered: ["function-call-json"] }) },
  { name: "function-call JSON with stringified arguments", shape: "malformed", reply: JSON.stringify({ name: "execute", arguments: JSON.stringify({ code: GRAPH }) }), expect: code(GRAPH, { recovered: ["function-call-json"] }) },
  { name: "langchain action JSON: code", shape: "malformed", reply: JSON.stringify({ action: "execute_typescript", action_input: SUM }), expect: code(SUM) },
  { name: "langchain action JSON: final answer", shape: "malformed", reply: `${F}json\n${JSON.stringify({ action: "Final Answer", action_input: "6912" })}\n${F}`, expect: final("6912") },
  { name: "structured: answer key instead of code", shape: "malformed", format: "structured", reply: JSON.stringify({ thoughts: "I know it.", answer: "There are 3 files." }), expect: final("There are 3 files.") },
  { name: "structured: final_answer key with object", shape: "malformed", format: "structured", reply: JSON.stringify({ thoughts: "done", code: "", final_answer: { files: 3 } }), expect: final('{"files":3}') },
  { name: "structured: empty code, no answer", shape: "malformed", format: "structured", reply: JSON.stringify({ thoughts: "I should look at the files.", code: "" }), expect: invalid("no-code") },
  { name: "structured: thoughts only", shape: "malformed", format: "structured", reply: JSON.stringify({ thoughts: "Let me think about it." }), expect: invalid("no-code") },
  { name: "structured: plain fenced reply instead of JSON", shape: "malformed", format: "structured", reply: `I'll add them.\n${F}ts\n${SUM}\n${F}`, expect: code(SUM, { recovered: ["not-json"] }) },
  { name: "structured: plain answer instead of JSON", shape: "malformed", format: "structured", reply: "The sum is 6912.", expect: final("The sum is 6912.") },
  { name: "structured: hopeless JSON", shape: "malformed", format: "structured", reply: "{ this is : not [ json", expect: invalid("invalid-json") },
  { name: "structured: single-quoted keys are not recovered", shape: "malformed", format: "structured", reply: "{'thoughts': 'sum', 'code': 'return 1'}", expect: invalid("invalid-json") },
  { name: "structured: envelope wrapped in <think>", shape: "malformed", format: "structured", reply: `<think>Need the sum.</think>${JSON.stringify({ thoughts: "sum", code: SUM })}`, expect: code(SUM, { thoughts: "Need the sum." }) },
  { name: "structured: envelope with im_end", shape: "malformed", format: "structured", reply: `${JSON.stringify({ thoughts: "sum", code: SUM })}<|im_end|>`, expect: code(SUM) },
  { name: "structured: truncated, nothing usable", shape: "malformed", format: "structured", truncated: true, reply: `{"thoughts": "I will now`, expect: invalid("truncated") },

  // ── Cut off in code format ────────────────────────────────────────────────────────────────
  { name: "cut off inside a fence", shape: "malformed", truncated: true, reply: `${F}ts\nconst g = await memory.read_graph();\nconst names = g.entities.map((e) => e.na`, expect: invalid("truncated") },
  { name: "cut off after complete statements (runs what is there)", shape: "malformed", truncated: true, reply: `${F}ts\nconst g = await memory.read_graph();\nconsole.log(g.entities.length);\n`, expect: code("const g = await memory.read_graph();\nconsole.log(g.entities.length);") },
];
