// The run options' schemas are defined once, in @step4/core.
export * from '@step4/core/run-option-schemas';
