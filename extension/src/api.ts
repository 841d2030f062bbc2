/**
 * The Glue API as the lab sees it: POST <base>/gluelab/api with `X-Amz-Target: AWSGlue.<Action>`,
 * authenticated by the Jupyter server (token or cookie, XSRF), answered as `gluelab serve` answers.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Glue error: `code` is Glue's error type (EntityNotFoundException ...), `message` says why. */
export class GlueError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

export function apiUrl(...parts: string[]): string {
  return URLExt.join(ServerConnection.makeSettings().baseUrl, 'gluelab', ...parts);
}

export async function glue(action: string, request: Json = {}): Promise<Json> {
  const settings = ServerConnection.makeSettings();
  const response = await ServerConnection.makeRequest(
    apiUrl('api'),
    {
      method: 'POST',
      body: JSON.stringify(request),
      headers: {
        'X-Amz-Target': `AWSGlue.${action}`,
        'Content-Type': 'application/x-amz-json-1.1'
      }
    },
    settings
  );
  const text = await response.text();
  let body: Json = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new GlueError('InternalServiceException', `${action}: the server answered ${response.status}`);
  }
  if (!response.ok) {
    const code = String(body.__type || response.headers.get('x-amzn-ErrorType') || 'Error');
    throw new GlueError(code.split('#').pop() || code, body.message || body.Message || response.statusText);
  }
  return body;
}

/** Every page of a paginated Glue list action, concatenated. */
export async function glueAll(action: string, request: Json, key: string): Promise<Json[]> {
  const items: Json[] = [];
  let token: string | undefined;
  do {
    const page = await glue(action, token ? { ...request, NextToken: token } : request);
    items.push(...(page[key] || []));
    token = page.NextToken;
  } while (token);
  return items;
}

/** Glue timestamps arrive as epoch seconds. */
export function when(value: number | undefined | null): string {
  if (value === undefined || value === null) {
    return '';
  }
  const date = new Date(value * 1000);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function seconds(value: number | undefined | null): string {
  if (value === undefined || value === null) {
    return '';
  }
  return value < 60 ? `${value.toFixed(0)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}
