// Not part of RabbitMQ's tutorials: each tutorial here runs its producer and consumers in one
// process, and this waits until the given queues are drained (nothing ready, unacked or delayed,
// from switchyard's stats()) so the program can stop its consumers the way Ctrl+C would.
import amqp from "switchyard";

export async function drained(...queues) {
  const connection = await amqp.connect();
  const channel = await connection.createChannel();
  for (;;) {
    const stats = await Promise.all(queues.map((queue) => channel.stats(queue)));
    if (stats.every((s) => s.messages + s.unacked + s.delayed === 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await connection.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
