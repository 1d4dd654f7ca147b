// A vitest reporter that keeps each failing test's diff (expected against received). The JSON
// reporter keeps only the message, whose head is the whole received object; tools/test.mjs
// prints the changed lines from this file in its summary, so a cut CI log still shows them.
import { appendFileSync } from "node:fs";
import process from "node:process";

export default class FailureDiffs {
  onTestCaseResult(testCase) {
    const path = process.env.IPCKIT_FAILURE_DIFFS;
    const result = testCase.result();
    if (!path || result.state !== "failed") return;
    for (const error of result.errors ?? []) {
      const record = {
        file: testCase.module.moduleId,
        suite: testCase.parent?.name ?? "",
        title: testCase.name,
        diff: error.diff ?? "",
      };
      appendFileSync(path, JSON.stringify(record) + "\n");
    }
  }
}
