/**
 * How each window table function is called (docs/sql.md, "Window table functions"), for hints
 * to users who write a window as another engine does: `FROM TUMBLE(s, ts, ...)`, or Flink's
 * `GROUP BY TUMBLE(ts, ...)`.
 */
const WINDOW_CALLS: Readonly<Record<string, string>> = {
  TUMBLE: "TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE)",
  HOP: "HOP(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTES)",
  SESSION: "SESSION(TABLE s, DESCRIPTOR(ts), INTERVAL '30' SECONDS)",
};

/** An example call of the window table function `name` (any case), or undefined for another name. */
export function windowCallExample(name: string): string | undefined {
  return WINDOW_CALLS[name.toUpperCase()];
}
