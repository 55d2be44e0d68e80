import type { Scope } from '../../../../core/access/scopes.js';
import type { MethodContext } from '../context.js';
import type { ErrorContext } from '../errors.js';
import type { Child } from '../render/node.js';

/** One `limelm.*` method: the scopes its token needs, how its failures read, and what it does. */
export interface LimeLmMethod {
  /** Every scope is needed; none means any valid key (test.echo). */
  scopes: Scope[];
  errors?: ErrorContext;
  /** The payload of `<rsp stat="ok">`; empty for "an empty success response". */
  run(ctx: MethodContext): Promise<Child[]>;
}
