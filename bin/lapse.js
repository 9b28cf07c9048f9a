#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/cli.js';

main(process.argv.slice(2));
