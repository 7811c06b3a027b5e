/**
 * `npm run replay -- [event.json] [options]` (see `--help`)
 *
 * The command only: what it does is `replayCommand` (local/replay-run.ts), which tests call
 * in-process. stdout carries the report (or `--json`'s one object) alone: the function's log and
 * metric lines, which it writes to stdout as in Lambda, go to stderr.
 */
import { reserveStdout } from './cli';
import { replayCommand } from './replay-run';

// Lambda runs Node 22 or 24; this notice only concerns the Node 20 used locally.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

replayCommand(process.argv.slice(2), {
  out: reserveStdout(),
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
