/** Where a zod issue is, named without repeating the caller's text. */
import { z } from 'zod';

/**
 * The part of an issue path that the schema itself names: object fields and array indexes. A
 * key of a record (credential or config field names, say) is the caller's text and is shown as
 * `*`; where the schema cannot be followed (a union), the path stops.
 */
export function declaredPath(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const out: string[] = [];
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    if (current instanceof z.ZodObject && typeof segment === 'string' && Object.hasOwn(current.shape, segment)) {
      out.push(segment);
      current = current.shape[segment] as z.ZodType;
    } else if (current instanceof z.ZodArray && typeof segment === 'number') {
      out.push(String(segment));
      current = current.element as z.ZodType;
    } else if (current instanceof z.ZodRecord) {
      out.push('*');
      current = current.valueType as z.ZodType;
    } else {
      break;
    }
  }
  return out;
}
