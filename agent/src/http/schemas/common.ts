/**
 * Shapes shared by every route. 64-bit quantities travel as strings: JSON
 * numbers lose precision past 2^53 and agent ids, addresses and sizes use
 * the whole 64-bit range. Patterns reject what cannot be a u64; the range
 * check past 20 digits happens in parse.ts.
 */
import Type from 'typebox';

export const U64 = Type.String({
  pattern: '^(0|[1-9][0-9]{0,19})$',
  description: 'unsigned 64-bit integer, decimal string',
  examples: ['17179869184'],
});

/** Addresses and masks: decimal or 0x-hex. */
export const U64OrHex = Type.String({
  pattern: '^(0|[1-9][0-9]{0,19}|0[xX][0-9a-fA-F]{1,16})$',
  description: 'unsigned 64-bit integer, decimal or 0x-hex string',
  examples: ['0x100000', '1048576'],
});

export const AgentId = Type.String({
  pattern: '^[1-9][0-9]{0,19}$',
  description: 'agent id: nonzero unsigned 64-bit integer, decimal string',
  examples: ['1001'],
});

export const DeviceIndex = Type.Integer({ minimum: 0, maximum: 63, description: 'device index' });

// An enum, not a union of literals: a wrong mode is then one error ("must be one of r, w, rw"), not one per literal.
export const Mode = Type.Enum(['r', 'w', 'rw'], {
  description: 'DMA access mode: r (read), w (write) or rw',
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable error code, e.g. QUOTA_EXCEEDED' }),
      message: Type.String(),
      errno: Type.Optional(Type.String({ description: 'errno name from the core, e.g. EDQUOT' })),
    }),
  },
  { $id: 'Error', description: 'every error response' },
);

/** The errors a route may answer with, for its schema and the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

export const AgentParams = Type.Object({ id: AgentId }, { additionalProperties: false });

export const Empty = Type.Null({ description: 'no content' });

export const Security = [{ bearer: [] as string[] }];
