import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag writes a CloudFormation value inside a finding id: references become
 * `<LogicalId.Attribute>` or `<AWS::Region>`, joins are concatenated.
 */
function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return `<${String(object.Ref)}>`;
  if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(nagText).join(separator);
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges one AwsSolutions-IAM5 finding (a wildcard in a resource), which cdk-nag reports per
 * resource string: a plain `AwsSolutions-IAM5` acknowledgement does not cover it.
 */
export function acknowledgeWildcardResource(
  scope: IConstruct,
  resource: string,
  reason: string,
): void {
  const id = `AwsSolutions::AwsSolutions-IAM5[Resource::${nagText(Stack.of(scope).resolve(resource))}]`;
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges a whole AwsSolutions rule on one construct. */
export function acknowledgeRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
