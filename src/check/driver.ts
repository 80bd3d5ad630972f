// A driver connects one lifecycle machine to the simulated kernel: a small fixed setup holding
// the object the machine describes, the kernel calls each machine event stands for, and the
// model's abstraction of that object. The path replayer runs machine paths through it.
import type { AnyStateMachine } from "xstate";
import type { World } from "../kernel/index.js";

/** What an abstraction reports for one object: a machine state value and context. */
export interface Observed {
  value: unknown;
  context: unknown;
}

export interface Driver<H> {
  /** The machine's name in reports. */
  name: string;
  machine: AnyStateMachine;
  /** A fresh world with the fixed setup, and the handle naming the object under watch. */
  setup(): { w: World; h: H };
  /** Make the kernel calls the event stands for. The handle may learn ids the calls hand out. */
  step(w: World, h: H, event: string): void;
  /** The model's abstraction of the object, read from the world. */
  observe(w: World, h: H): Observed;
}
