export declare function buildWindowsPeers(): Record<string, string>;
