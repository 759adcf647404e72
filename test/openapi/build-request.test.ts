/**
 * Request building: parameter styles, and properties that must hold for any input — the generic
 * `request` tool never leaves the base URL, path parameters never escape their segment.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ToolError } from "../../src/errors.js";
import { buildGenericRequest, buildOperationRequest } from "../../src/sources/openapi/build-request.js";
import type { OperationPlan, ParamPlan } from "../../src/sources/openapi/operation-plan.js";

const BASE = new URL("http://127.0.0.1:1/api/v1?tenant=t1");

function op(params: ParamPlan[], extra: Partial<OperationPlan> = {}): OperationPlan {
  return { name: "op", method: "GET", path: "/items", tags: [], params, response: "json", inputSchema: {}, inputRefs: [], outputRefs: [], ...extra };
}

function param(name: string, location: ParamPlan["in"], style: ParamPlan["style"], explode: boolean, extra: Partial<ParamPlan> = {}): ParamPlan {
  return { prop: name, name, in: location, required: false, style, explode, ...extra };
}

describe("parameter styles", () => {
  it("serializes query parameters per style and explode", () => {
    const plan = op([
      param("pipes", "query", "pipeDelimited", false),
      param("spaces", "query", "spaceDelimited", false),
      param("tabs", "query", "tabDelimited", false),
      param("flat", "query", "form", false),
      param("spread", "query", "form", true),
      param("deep", "query", "deepObject", true),
      param("doc", "query", "form", true, { json: true }),
      param("skip", "query", "form", true),
    ]);
    const request = buildOperationRequest(
      plan,
      {
        pipes: ["a", "b"],
        spaces: [1, 2],
        tabs: ["x", "y"],
        flat: { role: "admin", id: 5 },
        spread: { color: "red" },
        deep: { created: { gte: 10 }, ids: ["a", "b"] },
        doc: { q: 1 },
        skip: null,
      },
      BASE,
    );
    expect(request.url.pathname).toBe("/api/v1/items");
    expect([...request.url.searchParams]).toEqual([
      ["tenant", "t1"],
      ["pipes", "a|b"],
      ["spaces", "1 2"],
      ["tabs", "x\ty"],
      ["flat", "role,admin,id,5"],
      ["color", "red"],
      ["deep[created][gte]", "10"],
      ["deep[ids][0]", "a"],
      ["deep[ids][1]", "b"],
      ["doc", '{"q":1}'],
    ]);
  });

  it("serializes path (simple, label, matrix) and header parameters", () => {
    const plan = op(
      [
        param("a", "path", "simple", false, { required: true }),
        param("b", "path", "label", false, { required: true }),
        param("c", "path", "matrix", true, { required: true }),
        param("X-Ids", "header", "simple", false),
        param("X-Obj", "header", "simple", true),
      ],
      { path: "/x/{a}/{b}/{c}" },
    );
    const request = buildOperationRequest(plan, { a: [1, 2], b: "v", c: "w z", "X-Ids": [3, 4], "X-Obj": { k: "v", n: 1 } }, BASE);
    expect(request.url.pathname).toBe("/api/v1/x/1,2/.v/;c=w%20z");
    expect(request.headers).toMatchObject({ "x-ids": "3,4", "x-obj": "k=v,n=1" });
  });

  it("encodes form bodies with repeated keys and brackets, JSON where the encoding says so", () => {
    const plan = op([], {
      method: "POST",
      body: { mediaType: "application/x-www-form-urlencoded", kind: "form", required: true, encoding: { meta: { contentType: "application/json" }, list: { style: "form", explode: false } } },
    });
    const request = buildOperationRequest(plan, { body: { name: "a b", tags: ["x", "y"], items: [{ price: "p1", qty: 2 }], meta: { k: 1 }, list: [1, 2] } }, BASE);
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(decodeURIComponent(String(request.body))).toBe('name=a b&tags=x&tags=y&items[0][price]=p1&items[0][qty]=2&meta={"k":1}&list=1,2');
  });
});

describe("properties", () => {
  const pathChars = fc.constantFrom("/", ".", "%", "2", "e", "E", "f", "F", "5", "c", "C", "\\", ":", "?", "#", "@", "a", "z", "~", " ", "&", "=");
  const anyPath = fc.array(pathChars, { maxLength: 24 }).map((chars) => chars.join(""));

  it("the generic request tool never leaves the base URL", () => {
    fc.assert(
      fc.property(fc.oneof(anyPath, anyPath.map((p) => `/${p}`), fc.string()), (path) => {
        let url: URL;
        try {
          url = buildGenericRequest("request", { method: "GET", path }, BASE, new Set()).url;
        } catch (error) {
          expect(error).toBeInstanceOf(ToolError);
          expect((error as ToolError).code).toBe("INVALID_ARGUMENTS");
          return;
        }
        expect(url.origin).toBe(BASE.origin);
        expect(url.pathname === "/api/v1" || url.pathname.startsWith("/api/v1/")).toBe(true);
        expect(url.pathname.split("/")).not.toContain("..");
      }),
      { numRuns: 2000 },
    );
  });

  it("a path parameter stays one segment and decodes back to its value", () => {
    const plan = op([param("id", "path", "simple", false, { required: true })], { path: "/items/{id}/detail" });
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (value) => {
        let url: URL;
        try {
          url = buildOperationRequest(plan, { id: value }, BASE).url;
        } catch (error) {
          expect((error as ToolError).code).toBe("INVALID_ARGUMENTS");
          expect([".", ".."]).toContain(value);
          return;
        }
        const segments = url.pathname.split("/");
        expect(segments).toHaveLength(6); // "", api, v1, items, <id>, detail
        expect(segments[5]).toBe("detail");
        expect(decodeURIComponent(segments[4]!)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });
});
