// One table of allowed transitions per aggregate (Server, ImageTemplate, Operation). Each
// aggregate's module applies its transitions with one conditional UPDATE (status among the
// states that may move to the target), so a transition is atomic and an illegal one changes
// nothing; no other code writes a status.
import { ConflictError } from "./errors.ts";

export class StateMachine<S extends string> {
  /** How messages name the aggregate, e.g. "server". */
  readonly aggregate: string;
  readonly transitions: { readonly [From in S]: readonly S[] };
  constructor(
    aggregate: string,
    transitions: { readonly [From in S]: readonly S[] },
  ) {
    this.aggregate = aggregate;
    this.transitions = transitions;
  }

  get states(): S[] {
    return Object.keys(this.transitions) as S[];
  }

  allows(from: S, to: S): boolean {
    return this.transitions[from]?.includes(to) ?? false;
  }

  /** The states from which `to` may be entered, narrowed to `from` when given. */
  sources(to: S, from?: readonly S[]): S[] {
    return (from ?? this.states).filter((state) => this.allows(state, to));
  }

  /** The typed refusal of a transition from `current` (null when the object is gone). */
  refusal(name: string, current: S | null, to: S): ConflictError {
    return current === null
      ? new ConflictError(`${this.aggregate} ${name} no longer exists`, "DELETED")
      : new ConflictError(`${this.aggregate} ${name} is ${current}; it cannot become ${to}`, current);
  }
}
