#!/usr/bin/env node
// The CLI's JavaScript entry point (npm run build writes dist/). The installed command,
// bin/lapse, execs node on this file with V8's heap limit set; run directly as
// `node bin/lapse.js`, node's default limit applies (lapse warns if maxmemory needs more).
import { main } from '../dist/cli.js';

main(process.argv.slice(2));
