// A stand-alone proxyless gRPC application, for behaviour that only shows in a process of its own (a crash
// takes the whole application down). Usage, with GRPC_XDS_BOOTSTRAP_CONFIG set:
//   node lib/rpc-app.mjs <service> <milliseconds>
// Makes RPCs to xds:///<service> for that long and prints the outcome tally as one JSON line.
import { processWideClients, startTraffic } from './clients.mjs';

const [service, ms] = process.argv.slice(2);
const client = processWideClients().client(service);
const traffic = startTraffic(client, { concurrency: 2, deadlineMs: 3000 });
await new Promise((resolve) => setTimeout(resolve, Number(ms)));
const tally = await traffic.stop();
process.stdout.write(`${JSON.stringify({ by: tally.by, total: tally.total })}\n`);
process.exit(0);
