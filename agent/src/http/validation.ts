/**
 * Request validation with two Ajv instances: path and query strings are
 * coerced (`?limit=7` is an integer), bodies are not. Coercing a body would
 * turn a JSON number into the string the schema wants, and a 64-bit id sent
 * as a number has already lost precision by then: a body must send strings.
 */
import { Ajv, type Options } from 'ajv';
import type { FastifyInstance, FastifySchema } from 'fastify';

const common: Options = {
  removeAdditional: false, // unknown fields are an error, not silently dropped
  useDefaults: true,
  allErrors: false,
  strict: false, // TypeBox adds annotations (examples, descriptions) Ajv need not know
  addUsedSchema: false,
};

export function installValidators(app: FastifyInstance): void {
  const strictBodies = new Ajv({ ...common, coerceTypes: false });
  const coercing = new Ajv({ ...common, coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strictBodies : coercing).compile(schema as FastifySchema & object),
  );
}
