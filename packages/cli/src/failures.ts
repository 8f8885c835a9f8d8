/** Failures reported once every output is written: the command ends with exit code 3. */
export class FailuresAfterOutputs extends Error {}

/** `--fail-on-candidate-error`: failed candidates end the run with exit code 3 (outputs are written). */
export class CandidateFailures extends FailuresAfterOutputs {
  override readonly name = 'CandidateFailures';
}

/** Failed sweep cells (their errors are in the leaderboard and the report): exit code 3. */
export class CellFailures extends FailuresAfterOutputs {
  override readonly name = 'CellFailures';
}

export function failOnCandidateErrors(
  o: { failOnCandidateError?: boolean },
  evaluated: readonly { config: { name: string }; family: { name: string }; error?: string }[],
): void {
  const failed = evaluated.filter((c) => c.error !== undefined);
  if (!o.failOnCandidateError || failed.length === 0) return;
  const first = failed[0];
  throw new CandidateFailures(
    `${failed.length} of ${evaluated.length} candidates failed (--fail-on-candidate-error); first: ${first.error?.startsWith('family ') ? first.error : `family ${first.family.name}, candidate ${first.config.name}: ${first.error}`}`,
  );
}
