/**
 * "Same shape" as a documented example: every key the example has, the answer has too, with
 * the same JSON type; arrays are compared element by element against the example's first
 * element. Extra keys in the answer are fine (the docs say fields may be added at any time).
 * A `field_value`'s type depends on its field, so only its presence is compared.
 */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function shapeMismatches(actual: unknown, documented: unknown, path = '$'): string[] {
  const want = kind(documented);
  const got = kind(actual);
  if (want === 'null' || path.endsWith('.field_value')) return [];
  if (want !== got) return [`${path}: documented ${want}, got ${got}`];
  if (want === 'array') {
    const [first] = documented as unknown[];
    if (first === undefined) return [];
    return (actual as unknown[]).flatMap((item, i) => shapeMismatches(item, first, `${path}[${i}]`));
  }
  if (want === 'object') {
    return Object.entries(documented as Record<string, unknown>).flatMap(([key, value]) =>
      key in (actual as Record<string, unknown>)
        ? shapeMismatches((actual as Record<string, unknown>)[key], value, `${path}.${key}`)
        : [`${path}.${key}: missing`],
    );
  }
  return [];
}
