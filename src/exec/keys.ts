/** Key strings of tables, views and keyed state: see src/common/keys.ts (kept here for exec imports). */
export { keyOf } from '../common/keys.js';
