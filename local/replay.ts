/**
 * `npm run replay -- [event.json] [--message file.eml] [--policy file.json] [--out dir] [--json]
 *   [--simulate frozen|rejected|not-found|throttled|slow] [--bundle cdk.out] [--preview] [--aws]`
 *
 * The command only: what it does is `replayCommand` (local/replay-run.ts), which tests call
 * in-process.
 */
import { replayCommand } from './replay-run';

// Lambda runs Node 22 or 24; this notice only concerns the Node 20 used locally.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

replayCommand(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
