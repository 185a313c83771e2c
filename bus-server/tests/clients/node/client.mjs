// node-redis against a Redis server (bus serve in the tests): publish in the bus's wire format (fields `id`,
// the canonical UUID, then `payload`, the JSON), read it through a consumer group, acknowledge it, and print
// what happened as one JSON line. Usage: node client.mjs <redis url> <topic>
import { randomUUID } from "node:crypto";
import { createClient } from "redis";

const [url, topic] = process.argv.slice(2);
const client = createClient({ url });
client.on("error", (err) => {
  console.error(err);
  process.exit(2);
});
await client.connect();

try {
  await client.xGroupCreate(topic, "g1", "0", { MKSTREAM: true });
} catch (err) {
  if (!String(err).includes("BUSYGROUP")) throw err;
}
const id = randomUUID();
const entryId = await client.xAdd(topic, "*", { id, payload: JSON.stringify({ content: "hello" }) });
const replies = await client.xReadGroup("g1", "c1", { key: topic, id: ">" }, { COUNT: 10, BLOCK: 0 });
const read = [];
let acked = 0;
for (const { messages } of replies ?? []) {
  for (const { id: readId, message } of messages) {
    read.push({ entry_id: readId, id: message.id, payload: JSON.parse(message.payload) });
    acked += await client.xAck(topic, "g1", readId);
  }
}
const pending = await client.xPending(topic, "g1");
console.log(JSON.stringify({ entry_id: entryId, id, read, acked, pending: pending.pending }));
await client.quit();
