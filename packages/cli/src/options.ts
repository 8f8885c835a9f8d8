import { type Command, Option } from 'commander';
import { type RunCommandName, type RunOptionDef, RUN_OPTIONS, defaultOf } from '@step4/core/run-options';

// The run options are defined once, in @step4/core (the sweep uses them too); the CLI adds their flags.
export * from '@step4/core/run-options';

/** Turns a flag's string into the option's value, or throws an InputError naming the flag. */
export type FlagParser = (def: RunOptionDef, raw: string) => number | string;

/** The commander options of every run option, with the command's defaults. */
export function addRunOptions(cmd: Command, command: RunCommandName, parseFlag: FlagParser): Command {
  for (const def of RUN_OPTIONS as readonly RunOptionDef[]) {
    if (def.kind === 'boolean') {
      // `--no-<name>`: commander defaults the value to true and sets false when the flag is given;
      // `--<name>`: false unless given.
      const option = new Option(def.flag, def.description);
      if (!def.flag.startsWith('--no-')) option.default(defaultOf(def, command));
      cmd.addOption(option);
      continue;
    }
    const option = new Option(`${def.flag} ${def.valueName}`, def.description);
    // The choices are listed in the help; the value is still checked by the schema (one message).
    if (def.kind === 'choice') option.choices(def.choices);
    option.argParser((raw: string) => parseFlag(def, raw));
    const dflt = defaultOf(def, command);
    if (dflt !== undefined) option.default(dflt);
    cmd.addOption(option);
  }
  return cmd;
}
