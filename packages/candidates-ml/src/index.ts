/**
 * Machine-learning candidate families (ml_lr, ml_rf, ml_dual_ridge).
 *
 * Not implemented yet: this package exports no family, and the CLI registers
 * none from it, so nothing pretends to work.
 */
export const families = [] as const;
