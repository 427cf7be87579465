// Logical ids that do not move when resources are grouped into constructs.
//
// CloudFormation identifies a resource by its logical id, and CDK derives that
// id from the construct path. Moving the table, the user pool or a function
// one level down (into `Data`, `Identity`, `Functions`) would give it a new id,
// and a deploy would create a new resource and delete (or orphan, when
// retained) the old one: a new table, a new pool whose clients all lose their
// credentials, a new direct-invoke function whose ARN callers were given.
// So the stack allocates ids as if the grouping constructs (`FlatScope`s) were
// not on the path: the ids stay the ones the single-scope stack had. The price
// is that two resources of the same id in different groups would collide; the
// stack refuses that at synth rather than letting one overwrite the other.
import { createHash } from 'node:crypto';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** A construct that groups resources without appearing in their logical ids. */
export class FlatScope extends Construct {}

/**
 * CDK's own algorithm (aws-cdk-lib core/lib/private/uniqueid.ts, not exported):
 * the path's components without `Default`, alphanumerics only, without
 * `Resource` and repeated suffixes, then the first 8 hex digits of the MD5 of
 * the path. One component alone is its alphanumerics.
 */
export function makeUniqueId(components: readonly string[]): string {
  const parts = components.filter((c) => c !== 'Default');
  if (parts.length === 0) throw new Error('a logical id needs at least one path component');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (parts.length === 1 && alphanumeric(parts[0]!).length <= 255) return alphanumeric(parts[0]!);
  const hash = createHash('md5').update(parts.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const part of parts) if (human.length === 0 || !human[human.length - 1]!.endsWith(part)) human.push(part);
  return human.filter((c) => c !== 'Resource').map(alphanumeric).join('').slice(0, 240) + hash;
}

/** The path components of `element` below `stack`, FlatScopes left out. */
export function flatPath(stack: Stack, element: CfnElement): string[] {
  const scopes = element.node.scopes;
  return scopes
    .slice(scopes.indexOf(stack) + 1)
    .filter((scope) => !(scope instanceof FlatScope))
    .map((scope) => scope.node.id);
}

/** Remembers which construct path took which id, and refuses a second path for one id. */
export class LogicalIdRegistry {
  private readonly owners = new Map<string, string>();

  allocate(stack: Stack, element: CfnElement): string {
    const id = makeUniqueId(flatPath(stack, element));
    const owner = this.owners.get(id);
    if (owner !== undefined && owner !== element.node.path) {
      throw new Error(`logical id ${id} of ${element.node.path} is already ${owner}'s: give one of them another construct id`);
    }
    this.owners.set(id, element.node.path);
    return id;
  }
}
