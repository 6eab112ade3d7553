// A trusted module function for `sluice serve --trusted-functions examples/udfs` (docs/models.md):
//   CREATE FUNCTION norm(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript WITH (module = 'norm.mjs', export = 'norm');
// It runs as host code, one call per row. Squashes any amount into (0, 1).
export function norm(x) {
  return x === null ? null : x / (1 + Math.abs(x));
}
