/** Equipment ids: 1–64 of `A-Z a-z 0-9 . _ : -`, starting with a letter or digit; case-sensitive. */

export const EQUIPMENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const EQUIPMENT_ID_MAX_LENGTH = 64;

/** Returns why `id` is not a valid equipment id, or undefined when it is. */
export function equipmentIdProblem(id: string): string | undefined {
  if (id.length === 0) return "equipmentId is empty";
  if (id.length > EQUIPMENT_ID_MAX_LENGTH) {
    return `equipmentId is ${id.length} characters long; the limit is ${EQUIPMENT_ID_MAX_LENGTH}`;
  }
  if (!/^[A-Za-z0-9]/.test(id)) {
    // The whole code point, not charAt(0): an id starting with an emoji would otherwise show half of it.
    const first = String.fromCodePoint(id.codePointAt(0) ?? 0);
    return `equipmentId must start with a letter or digit, not ${JSON.stringify(first)}`;
  }
  const bad = /[^A-Za-z0-9._:-]/u.exec(id);
  if (bad) {
    const shown = JSON.stringify(bad[0]);
    return `equipmentId contains ${shown} at position ${bad.index + 1}; allowed are A-Z a-z 0-9 . _ : -`;
  }
  return undefined;
}
