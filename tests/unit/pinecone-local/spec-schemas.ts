import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { sharedDir } from '../../support/shared-data.ts';

/**
 * Validators for the responses the 2026-04 OpenAPI specs declare. The specs are OpenAPI 3.0.3
 * without `nullable`; their schemas are JSON Schema apart from annotation keywords (`example`,
 * `x-enum`, `discriminator`) and OpenAPI formats (`int32`, `float`), which Ajv is told to ignore.
 */
const SPEC_DIR = join(sharedDir, 'specs/pinecone');

interface OpenApi {
  paths: Record<
    string,
    Record<string, { operationId?: string; responses?: Record<string, Response> }>
  >;
  components: unknown;
}
interface Response {
  content?: { 'application/json'?: { schema?: object } };
}

const specs = {
  control: parse(readFileSync(`${SPEC_DIR}/db_control_2026-04.oas.yaml`, 'utf8')) as OpenApi,
  data: parse(readFileSync(`${SPEC_DIR}/db_data_2026-04.oas.yaml`, 'utf8')) as OpenApi,
};
export type Plane = keyof typeof specs;

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, logger: false });
for (const [id, spec] of Object.entries(specs)) {
  // Only the components go in, so `#/components/...` references resolve against their spec.
  ajv.addSchema({ $id: id, components: spec.components });
}

function rewriteRefs(schema: unknown, plane: Plane): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rewriteRefs(s, plane));
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#')
        ? `${plane}${value}`
        : rewriteRefs(value, plane),
    ]),
  );
}

/** The validator for an operation's JSON response with the given HTTP status. */
export function responseValidator(
  plane: Plane,
  operationId: string,
  status: number,
): ValidateFunction {
  for (const methods of Object.values(specs[plane].paths)) {
    for (const operation of Object.values(methods)) {
      if (operation.operationId !== operationId) continue;
      const responses = operation.responses ?? {};
      const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
      const schema = response?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`${operationId} declares no JSON body for status ${status}`);
      return ajv.compile(rewriteRefs(schema, plane) as object);
    }
  }
  throw new Error(`no operation ${operationId} in the ${plane} spec`);
}

/** Throws with Ajv's messages when `body` does not match the declared response schema. */
export function assertMatchesSpec(
  plane: Plane,
  operationId: string,
  status: number,
  body: unknown,
): void {
  const validate = responseValidator(plane, operationId, status);
  if (!validate(body)) {
    throw new Error(
      `${operationId} ${status} response does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }
}
