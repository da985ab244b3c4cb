// agent.js in a dedicated or a shared module worker: agent-worker.js?bus=NAME&label=LABEL.
// Commands arrive as { id, cmd, args } (from context.html's sy.in) and are answered on the same
// port with { id, ok } or { id, error }. The handlers are installed before anything is imported:
// a worker whose handlers wait on a module load loses what arrives meanwhile (the first message,
// or a shared worker's `connect` event).
const params = new URL(self.location.href).searchParams;
const loading = import("./agent.js").then(({ createAgent, errorInfo }) => ({
  agent: createAgent({ bus: params.get("bus"), label: params.get("label") }),
  errorInfo,
}));

function serve(port) {
  port.onmessage = async ({ data: { id, cmd, args } }) => {
    let loaded;
    try {
      loaded = await loading;
      port.postMessage({ id, ok: await loaded.agent.call(cmd, args) });
    } catch (error) {
      const info = loaded ? loaded.errorInfo(error) : { name: error?.name, message: String(error?.message ?? error) };
      port.postMessage({ id, error: info });
    }
  };
}

if (typeof SharedWorkerGlobalScope === "function" && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (event) => serve(event.ports[0]);
} else {
  serve(self);
}
