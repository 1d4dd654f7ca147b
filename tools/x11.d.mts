export function x11Problem(): string | null;
export function provisionX11(): void;
export function startXvfb(): Promise<{
  display: string;
  socket: string;
  pid: number;
  stop(): Promise<unknown>;
}>;
