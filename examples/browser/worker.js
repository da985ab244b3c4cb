// The same producer and consumer as the page, in a module worker. Workers do not see the page's
// import map, so this imports the installed package by its file path. Lines go to the page.
import { connect } from "/node_modules/switchyard/browser.js";

const log = (line) => postMessage(line);

// receive.js
async function receive() {
  const connection = await connect();
  const channel = await connection.createChannel();
  const queue = "hello";
  await channel.assertQueue(queue, { durable: false });
  await channel.consume(queue, (message) => {
    if (message) log(` [x] Received '${new TextDecoder().decode(message.content)}'`);
  }, { noAck: true });
  log(" [*] Waiting for messages.");
}

// send.js
async function send(from) {
  const connection = await connect();
  const channel = await connection.createChannel();
  const queue = "hello";
  await channel.assertQueue(queue, { durable: false });
  for (let i = 0; i < 5; i++) {
    const text = `Hello World ${i} from the ${from}`;
    channel.sendToQueue(queue, new TextEncoder().encode(text));
    log(` [x] Sent '${text}'`);
  }
  await channel.close();
  await connection.close();
}

try {
  await receive();
  await send("worker");
} catch (error) {
  log(`error: ${error}`);
}
