/**
 * Error bodies as the 2026-04 specs define them: the control plane answers `ErrorResponse`
 * (`{ error: { code, message }, status }`), the data plane answers `rpcStatus`
 * (`{ code, message, details }` with a gRPC status number).
 */

export type ControlErrorCode =
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'FORBIDDEN'
  | 'UNPROCESSABLE_ENTITY';

/** gRPC status numbers the data plane puts in `rpcStatus.code`. */
export const GRPC = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface ControlErrorBody {
  error: { code: ControlErrorCode; message: string };
  status: number;
}

export interface DataErrorBody {
  code: number;
  message: string;
  details: unknown[];
}

/** An error a handler throws; the router renders it in the plane's error shape. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly controlCode: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string): ApiError =>
  new ApiError(400, 'INVALID_ARGUMENT', message);
export const notFound = (message: string): ApiError => new ApiError(404, 'NOT_FOUND', message);

const GRPC_BY_CONTROL: Record<ControlErrorCode, number> = {
  UNKNOWN: GRPC.UNKNOWN,
  INVALID_ARGUMENT: GRPC.INVALID_ARGUMENT,
  NOT_FOUND: GRPC.NOT_FOUND,
  ALREADY_EXISTS: 6,
  UNAUTHENTICATED: GRPC.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: GRPC.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GRPC.UNAVAILABLE,
  FORBIDDEN: 7,
  UNPROCESSABLE_ENTITY: GRPC.INVALID_ARGUMENT,
};

export function controlErrorBody(error: ApiError): ControlErrorBody {
  return { error: { code: error.controlCode, message: error.message }, status: error.status };
}

export function dataErrorBody(error: ApiError): DataErrorBody {
  return { code: GRPC_BY_CONTROL[error.controlCode], message: error.message, details: [] };
}
