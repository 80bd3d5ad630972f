// One worker thread of the parallel check (parallel.ts): builds the check's targets once and
// answers the engine's requests with its FrontierPart.
import { parentPort, workerData } from "node:worker_threads";
import { check_targets } from "./exhaustive.js";
import { FrontierPart } from "./frontier_part.js";
import type { WorkerMessage, WorkerRequest, WorkerSetup } from "./parallel.js";

const setup = workerData as WorkerSetup;
const part = new FrontierPart(check_targets(setup.config, setup.bounds, setup.only));
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);
port.on("message", ({ req, notes }: WorkerRequest) =>
  send({ kind: "answer", answer: part.answer(req, notes ? (note) => send({ kind: "note", note }) : undefined) }));
