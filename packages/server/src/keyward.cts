#!/usr/bin/env node
/**
 * The `keyward` command's entry point. libuv sizes its thread pool (where signatures, file reads and DNS
 * lookups run) from UV_THREADPOOL_SIZE once, when the pool first starts, and loading ES modules starts it; so
 * this entry is CommonJS and sets the size before anything else is loaded. Default: one thread per core but
 * one, which stays with the event loop. libuv's own default of four threads, all signing RSA on a two-core
 * machine, preempted the event loop and cost Cryptolens GetKey a fifth of its throughput (docs/benchmarks.md).
 */
import os = require('node:os');

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(1, os.availableParallelism() - 1));
void import('./cli.js');
