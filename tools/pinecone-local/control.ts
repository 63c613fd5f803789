import { ApiError, badRequest, notFound } from './errors.ts';
import { LIMITS, IndexData } from './store.ts';
import type { Metric } from './metrics.ts';

/** The `IndexModel` the control plane returns (serverless indexes only). */
export interface IndexModel {
  name: string;
  dimension: number;
  metric: Metric;
  host: string;
  deletion_protection: 'enabled' | 'disabled';
  tags?: Record<string, string>;
  spec: {
    serverless: {
      cloud: string;
      region: string;
      read_capacity: { mode: 'OnDemand'; status: { state: 'Ready' } };
    };
  };
  status: { ready: boolean; state: 'Ready' };
  vector_type: 'dense';
}

export interface EmulatedIndex {
  model: IndexModel;
  data: IndexData;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,43}[a-z0-9])?$/;
const METRICS: readonly Metric[] = ['cosine', 'dotproduct', 'euclidean'];
const CLOUDS = ['aws', 'gcp', 'azure'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function missingField(field: string): ApiError {
  return new ApiError(
    422,
    'UNPROCESSABLE_ENTITY',
    `Failed to deserialize the JSON body into the target type: missing field \`${field}\``,
  );
}

function checkTags(tags: unknown): Record<string, string> {
  if (!isObject(tags) || !Object.values(tags).every((v) => typeof v === 'string')) {
    throw badRequest('tags must be an object of string values');
  }
  for (const [key, value] of Object.entries(tags as Record<string, string>)) {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(key)) throw badRequest(`Invalid tag key "${key}"`);
    if (!/^[A-Za-z0-9;@_\-.+ ]{0,120}$/.test(value))
      throw badRequest(`Invalid tag value "${value}"`);
  }
  return tags as Record<string, string>;
}

function checkProtection(value: unknown): 'enabled' | 'disabled' {
  if (value !== 'enabled' && value !== 'disabled') {
    throw badRequest('deletion_protection must be "enabled" or "disabled"');
  }
  return value;
}

/** The project's indexes; `hostFor` gives the data-plane URL the emulator serves an index on. */
export class ControlPlane {
  readonly indexes = new Map<string, EmulatedIndex>();
  constructor(private readonly hostFor: (name: string) => string) {}

  get(name: string): EmulatedIndex {
    const index = this.indexes.get(name);
    if (!index) throw notFound(`Index ${name} not found.`);
    return index;
  }

  list(): { indexes: IndexModel[] } {
    return { indexes: [...this.indexes.values()].map((i) => i.model) };
  }

  create(body: unknown): IndexModel {
    if (!isObject(body))
      throw new ApiError(422, 'UNPROCESSABLE_ENTITY', 'Body must be a JSON object');
    if (body.name === undefined) throw missingField('name');
    if (body.spec === undefined) throw missingField('spec');
    const name = body.name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw badRequest(
        "Resource name must be 1-45 characters long, start and end with an alphanumeric character, and consist only of lower case alphanumeric characters or '-'.",
      );
    }
    const vectorType = body.vector_type ?? 'dense';
    if (vectorType !== 'dense') {
      throw badRequest('The emulator supports dense indexes only (vector_type "dense").');
    }
    const dimension = body.dimension;
    if (typeof dimension !== 'number' || !Number.isInteger(dimension)) {
      throw badRequest('Dimension must be specified for dense indexes.');
    }
    if (dimension < 1 || dimension > LIMITS.maxDimension) {
      throw badRequest(`Dimension must be between 1 and ${LIMITS.maxDimension}.`);
    }
    const metric = body.metric ?? 'cosine';
    if (!METRICS.includes(metric as Metric)) {
      throw badRequest(`Metric must be one of ${METRICS.join(', ')}.`);
    }
    const spec = body.spec;
    if (!isObject(spec) || !isObject(spec.serverless)) {
      throw badRequest('The emulator supports serverless indexes only (spec.serverless).');
    }
    const { cloud, region } = spec.serverless;
    if (typeof cloud !== 'string' || typeof region !== 'string') {
      throw missingField(typeof cloud !== 'string' ? 'cloud' : 'region');
    }
    if (!CLOUDS.includes(cloud)) {
      throw notFound(`Resource cloud: ${cloud} region: ${region} not found.`);
    }
    if (this.indexes.has(name))
      throw new ApiError(409, 'ALREADY_EXISTS', 'Resource already exists.');
    const model: IndexModel = {
      name,
      dimension,
      metric: metric as Metric,
      host: this.hostFor(name),
      deletion_protection:
        body.deletion_protection === undefined
          ? 'disabled'
          : checkProtection(body.deletion_protection),
      ...(body.tags === undefined ? {} : { tags: checkTags(body.tags) }),
      spec: {
        serverless: {
          cloud,
          region,
          read_capacity: { mode: 'OnDemand', status: { state: 'Ready' } },
        },
      },
      status: { ready: true, state: 'Ready' },
      vector_type: 'dense',
    };
    this.indexes.set(name, { model, data: new IndexData(dimension, model.metric) });
    return model;
  }

  configure(name: string, body: unknown): IndexModel {
    const index = this.get(name);
    if (!isObject(body))
      throw new ApiError(422, 'UNPROCESSABLE_ENTITY', 'Body must be a JSON object');
    if (body.spec !== undefined || body.embed !== undefined) {
      throw badRequest('The emulator can configure deletion_protection and tags only.');
    }
    if (body.deletion_protection !== undefined) {
      index.model.deletion_protection = checkProtection(body.deletion_protection);
    }
    if (body.tags !== undefined) {
      const merged = Object.fromEntries(
        // An empty value unsets the tag, as the spec describes.
        Object.entries({ ...index.model.tags, ...checkTags(body.tags) }).filter(
          ([, v]) => v !== '',
        ),
      );
      index.model.tags = merged;
    }
    return index.model;
  }

  delete(name: string): void {
    const index = this.get(name);
    if (index.model.deletion_protection === 'enabled') {
      throw new ApiError(
        403,
        'FORBIDDEN',
        'Deletion protection is enabled for this index. Disable deletion protection before retrying.',
      );
    }
    this.indexes.delete(name);
  }
}
