import type { ChildProcess, SpawnOptions } from "node:child_process";
export declare const CELLS: readonly string[];
export declare const PROJECT: string;
export declare const WINE_CACHE: string;
export declare function provisionWine(): void;
export declare function provisionWineAsync(): Promise<void>;
export declare function provisionLinux(): void;
export declare function windowsCellProblem(): string | null;
export declare function windowsPathOf(hostPath: string): string;
export declare function runInCell(
  cell: string,
  script: string,
  args?: readonly string[],
  options?: SpawnOptions & { env?: Record<string, string> },
): ChildProcess;
export declare const WINE_NOISE: readonly RegExp[];
export declare function startWineserver(shard?: string): Promise<void>;
export declare function stopWineserver(shard?: string): void;
