/** Builds the web console into `outdir` (default dist/console); answers the files written. */
export function buildConsole(opts?: { outdir?: string; minify?: boolean }): Promise<string[]>;
