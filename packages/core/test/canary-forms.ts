/** Shared by the storage canary suite and the API leak suite. */

/** The byte patterns a value could be rendered or stored as. */
export function needles(c: string): Array<{ form: string; bytes: Buffer }> {
  const utf8 = Buffer.from(c, 'utf8');
  const forms: Array<[string, string]> = [
    ['utf8', c],
    ['lower', c.toLowerCase()],
    ['hex', utf8.toString('hex')],
    ['HEX', utf8.toString('hex').toUpperCase()],
    ['base64', utf8.toString('base64').replace(/=+$/, '')],
    ['base64url', utf8.toString('base64url')],
  ];
  // base64 of the value at the two other alignments inside a longer text (edges dropped)
  for (const pad of [1, 2]) {
    const b = Buffer.concat([Buffer.alloc(pad, 0x20), utf8]).toString('base64');
    forms.push([`base64+${pad}`, b.slice(4, -4)]);
  }
  const out = forms.map(([form, text]) => ({ form, bytes: Buffer.from(text, 'utf8') }));
  out.push({ form: 'utf16le', bytes: Buffer.from(c, 'utf16le') });
  return out;
}
