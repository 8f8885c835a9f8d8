/** The first line of a message, trimmed: errors and table cells of one line. */
export function oneLine(text: string): string {
  return String(text).split('\n')[0].trim();
}
