import { describe, expect, it } from "vitest";
import { recipeModule } from "../../dsl/build_grammar.ts";
import { readRel } from "./_harness.ts";

describe("precompiled grammar", () => {
  it("dsl/ipc.ohm-recipe.ts matches dsl/ipc.ohm (run `bun dsl/build_grammar.ts` after editing the grammar)", () => {
    expect(readRel("dsl/ipc.ohm-recipe.ts")).toBe(recipeModule(readRel("dsl/ipc.ohm")));
  });
});
