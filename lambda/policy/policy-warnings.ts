import type { Conditions, Policy, PolicyRule } from './schema';

/** Conditions on what a sender writes: anyone can meet them. */
const FORGEABLE: Partial<Record<keyof Conditions, string>> = {
  senders: 'the envelope sender is not authenticated',
  subjectContains: 'the sender writes the subject',
  headerContains: 'the sender writes the headers',
};

/** A live rule that warns about mail that may come from outside: a banner or a subject tag. */
function warns(rule: PolicyRule): boolean {
  return (
    !rule.audit &&
    rule.when?.direction !== 'OUTBOUND' &&
    rule.when?.sender !== 'internal' &&
    Boolean(rule.actions.banner || rule.actions.subjectTag)
  );
}

function forgeable(conditions: Conditions | undefined): [keyof Conditions, string][] {
  return Object.keys(conditions ?? {}).flatMap((key) => {
    const why = FORGEABLE[key as keyof Conditions];
    return why ? [[key as keyof Conditions, why]] : [];
  });
}

/**
 * What a valid policy may still get wrong: a warning that a stranger can switch off. Each line
 * names the rule and the condition. An `unless` on a warning rule, or a `stop` rule before it
 * whose `when` rests on a forgeable condition (and not on `sender: internal` or
 * `authenticatedFrom`, which the receiving service proves), exempts whoever writes that signal.
 */
export function policyWarnings(policy: Policy): string[] {
  const warnings: string[] = [];
  policy.rules.forEach((rule, i) => {
    if (!warns(rule)) return;
    for (const [key, why] of forgeable(rule.unless)) {
      warnings.push(
        `rules[${i}].unless.${key}: a stranger can forge this exemption from the warning "${rule.name}" (${why}); use authenticatedFrom`,
      );
    }
    policy.rules.slice(0, i).forEach((earlier, j) => {
      const proven = earlier.when?.sender === 'internal' || earlier.when?.authenticatedFrom;
      // A rule that bounces or drops the mail for everyone lets nothing through unwarned.
      const deliver = earlier.actions.deliver;
      const refuses = deliver && !deliver.recipients && ['BOUNCE', 'DROP'].includes(deliver.action);
      if (!earlier.stop || earlier.audit || proven || refuses || warns(earlier)) return;
      for (const [key, why] of forgeable(earlier.when)) {
        warnings.push(
          `rules[${j}].when.${key}: this stop rule comes before the warning "${rule.name}", so a stranger who forges it skips the warning (${why}); use authenticatedFrom`,
        );
      }
    });
  });
  return warnings;
}
