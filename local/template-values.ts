import { UsageError } from './policy-file';

/** What a template's expressions stand for here: references and attributes by name. */
export interface TemplateBindings {
  /** `Ref` targets: pseudo parameters (`AWS::Region`) and logical ids. */
  refs: Record<string, string>;
  /** `Fn::GetAtt` targets as `LogicalId.Attribute`. */
  attributes: Record<string, string>;
}

/**
 * Resolves the CloudFormation expressions CDK writes into policies (`Ref`, `Fn::GetAtt`,
 * `Fn::Join`) with `bindings`, recursively. An expression it cannot resolve is an error naming
 * it: a guessed value could make a policy look right that is not.
 */
export function resolveTemplateValue(value: unknown, bindings: TemplateBindings): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveTemplateValue(item, bindings));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return resolveIntrinsic(first[0], first[1], bindings);
  }
  return Object.fromEntries(
    entries.map(([key, item]) => [key, resolveTemplateValue(item, bindings)]),
  );
}

function resolveIntrinsic(name: string, argument: unknown, bindings: TemplateBindings): string {
  if (name === 'Ref' && typeof argument === 'string' && argument in bindings.refs) {
    return bindings.refs[argument] as string;
  }
  if (name === 'Fn::GetAtt' && Array.isArray(argument)) {
    const attribute = argument.join('.');
    if (attribute in bindings.attributes) return bindings.attributes[attribute] as string;
  }
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    const [separator, parts] = argument as [string, unknown[]];
    return parts.map((part) => String(resolveTemplateValue(part, bindings))).join(separator);
  }
  throw new UsageError(
    `the template's ${JSON.stringify({ [name]: argument })} cannot be resolved locally`,
  );
}
