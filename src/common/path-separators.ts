/**
 * The separators of DuckDB's path functions (PARSE_PATH and its kin), by the name their optional
 * argument gives: 'both_slash' (the default) splits at either slash; 'system' is '/' here.
 */
export const PATH_SEPARATORS: Readonly<Record<string, readonly string[]>> = {
  both_slash: ['/', '\\'],
  forward_slash: ['/'],
  backslash: ['\\'],
  system: ['/'],
};
