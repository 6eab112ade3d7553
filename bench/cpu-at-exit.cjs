// Preloaded (NODE_OPTIONS=--require) into the commands the start-up benchmark times: writes the
// process's CPU time (user + system, ms) to $SLUICE_BENCH_CPU_FILE when it exits.
'use strict';
const { writeFileSync } = require('node:fs');
const file = process.env.SLUICE_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    writeFileSync(file, String((u.user + u.system) / 1000));
  });
}
