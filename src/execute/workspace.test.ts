import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { ToolcodeError } from "../errors.js";
import { SessionStore } from "./sessions.js";
import { Workspace } from "./workspace.js";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ToolcodeError) return error.code;
    throw error;
  }
  return "no error";
}

describe("Workspace", () => {
  it("writes and reads JSON and text, lists and removes", async () => {
    const ws = await Workspace.open(path.join(tempDir(), "ws"), { maxBytes: 10_000 });
    expect(await ws.write("data/users.json", [{ id: 1 }])).toEqual({ path: "data/users.json", bytes: Buffer.byteLength(JSON.stringify([{ id: 1 }], null, 2)) });
    await ws.write("note.txt", "hello");
    expect(await ws.read("data/users.json")).toEqual([{ id: 1 }]);
    expect(await ws.read("note.txt")).toBe("hello");
    expect((await ws.list()).map((e) => e.path)).toEqual(["data/users.json", "note.txt"]);
    expect(await ws.remove("note.txt")).toBe(true);
    expect(await ws.remove("note.txt")).toBe(false);
    expect(await codeOf(ws.read("note.txt"))).toBe("WORKSPACE_NOT_FOUND");
  });

  it("refuses paths that leave the directory: .., absolute, symlinks", async () => {
    const root = tempDir();
    const outside = path.join(root, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "secret.txt"), "secret");
    const ws = await Workspace.open(path.join(root, "ws"), { maxBytes: 10_000 });
    symlinkSync(outside, path.join(ws.root, "link"));
    symlinkSync(path.join(outside, "secret.txt"), path.join(ws.root, "file-link"));
    expect(await codeOf(ws.read("../outside/secret.txt"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(ws.read(path.join(outside, "secret.txt")))).toBe("WORKSPACE_PATH");
    expect(await codeOf(ws.read("link/secret.txt"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(ws.read("file-link"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(ws.write("link/new.txt", "x"))).toBe("WORKSPACE_PATH");
    expect(await codeOf(ws.remove("."))).toBe("WORKSPACE_PATH");
    expect(await codeOf(ws.read(""))).toBe("INVALID_ARGUMENTS");
  });

  it("enforces the quota, counting replaced files once", async () => {
    const ws = await Workspace.open(path.join(tempDir(), "ws"), { maxBytes: 100 });
    await ws.write("a.txt", "x".repeat(60));
    await ws.write("a.txt", "y".repeat(90));
    expect(await codeOf(ws.write("b.txt", "z".repeat(20)))).toBe("WORKSPACE_QUOTA");
    expect(await ws.read("a.txt")).toBe("y".repeat(90));
    expect(await codeOf(ws.read("b.txt"))).toBe("WORKSPACE_NOT_FOUND");
  });
});

describe("SessionStore", () => {
  it("gives each session its own workspace and removes idle ones", async () => {
    const store = new SessionStore({ root: tempDir(), maxBytes: 1000, idleMs: 1000 });
    const a = await store.get("a");
    const b = await store.get("b");
    expect((a.workspace as Workspace).root).not.toBe((b.workspace as Workspace).root);
    await a.workspace.write("x.txt", "1");
    expect(await codeOf(b.workspace.read("x.txt"))).toBe("WORKSPACE_NOT_FOUND");
    expect(await store.sweep(Date.now() + 5000)).toEqual(["a", "b"]);
    const again = await store.get("a");
    expect(await again.workspace.list()).toEqual([]);
    expect(await codeOf(store.get("../evil"))).toBe("INVALID_ARGUMENTS");
    await store.close();
  });
});
