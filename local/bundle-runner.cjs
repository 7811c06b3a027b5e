// Runs the deployable bundle's handler once, as Lambda would: plain Node.js, no TypeScript loader,
// only the environment the parent passes. The event and the time left arrive over IPC; the answer
// (or the error the function threw) goes back the same way.
const { handler } = require(process.argv[2]);

process.once('message', async ({ event, remainingMs }) => {
  const deadline = Date.now() + remainingMs;
  const context = {
    functionName: 'workmail-rewrite-rule-bundle',
    awsRequestId: `replay-${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let reply;
  try {
    reply = { response: await handler(event, context) };
  } catch (error) {
    reply = { error: { name: error.name, message: error.message } };
  }
  process.send(reply, () => process.disconnect());
});
