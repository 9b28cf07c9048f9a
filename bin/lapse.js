#!/usr/bin/env node
// The CLI's JavaScript entry point (npm run build writes dist/). The installed command,
// bin/lapse, execs node on this file with V8's heap limit set; run directly as
// `node bin/lapse.js`, node's default limit applies (lapse warns if maxmemory needs more).
// It runs the CLI's one-file bundle (scripts/bundle.mjs: the server starts ~70 ms sooner
// than from dist/'s ~180 modules).
import { main } from '../dist/bundle/cli.js';

main(process.argv.slice(2));
