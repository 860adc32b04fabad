/**
 * The agent's OTel resource: service.name, service.version, host.name, plus
 * whatever OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say (the env
 * detector), which wins over the defaults as the spec asks.
 */
import { hostname } from 'node:os';
import { envDetector, detectResources, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { SERVICE_NAME } from './names.ts';

/** host.name is still "incubating" in semconv; the docs advise copying such constants. */
const ATTR_HOST_NAME = 'host.name';

export function agentResource(version: string): Resource {
  const base = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: SERVICE_NAME,
    [ATTR_SERVICE_VERSION]: version,
    [ATTR_HOST_NAME]: hostname(),
  });
  return base.merge(detectResources({ detectors: [envDetector] }));
}
