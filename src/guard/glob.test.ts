import { describe, expect, it } from "vitest";
import { GlobList, globToRegExp, nameGlob } from "./glob.js";

describe("tool globs", () => {
  it("matches <source>.<tool> with * and ?", () => {
    expect(globToRegExp("files.write_file").test("files.write_file")).toBe(true);
    expect(globToRegExp("files.write_file").test("files.write_files")).toBe(false);
    expect(globToRegExp("github.issues_*").test("github.issues_create")).toBe(true);
    expect(globToRegExp("github.issues_*").test("github.pulls_create")).toBe(false);
    expect(globToRegExp("*.delete*").test("memory.delete_entities")).toBe(true);
    expect(globToRegExp("*.delete*").test("memory.read_graph")).toBe(false);
    expect(globToRegExp("*").test("anything.at_all")).toBe(true);
    expect(globToRegExp("fs.read_?ile").test("fs.read_file")).toBe(true);
    expect(globToRegExp("fs.read_?ile").test("fs.read_mfile")).toBe(false);
  });

  it("a pattern without a dot names a whole source", () => {
    expect(globToRegExp("files").test("files.write_file")).toBe(true);
    expect(globToRegExp("files").test("filesystem.write_file")).toBe(false);
  });

  it("treats regex metacharacters and $ literally and is case-sensitive", () => {
    expect(globToRegExp("a$b.c").test("a$b.c")).toBe(true);
    expect(globToRegExp("a.b").test("aXb")).toBe(false);
    expect(globToRegExp("fs.Read").test("fs.read")).toBe(false);
  });

  it("GlobList reports the first matching pattern and its index", () => {
    const list = new GlobList(["fs.read*", "*.delete*"]);
    expect(list.match("memory.delete_entities")).toEqual({ pattern: "*.delete*", index: 1 });
    expect(list.match("memory.read_graph")).toBeUndefined();
  });

  it("field-name globs are case-insensitive", () => {
    expect(nameGlob("name").test("Name")).toBe(true);
    expect(nameGlob("*_address").test("home_ADDRESS")).toBe(true);
    expect(nameGlob("name").test("username")).toBe(false);
  });
});
