/**
 * The API's routes found by one lookup instead of express's walk. Registered one by one on the
 * application, each route is a layer that express tries in turn (its path's regular expression,
 * then its method) after every layer before it: a POST to `/v1/sessions/{id}/end` passed some
 * forty layers. Here the routes are grouped by their number of path segments, and a request is
 * compared, segment by segment, with the few routes of its group only.
 *
 * It matches as express's router does with its default options, so that no request is answered
 * differently: the first route declared that matches the path and handles the method; literal
 * text compared without regard to case; one trailing slash allowed; a parameter any non-empty run
 * of a segment (`{id}.csv`: a parameter, then literal text); parameters percent-decoded, a segment
 * that is not valid percent-encoding failing as the router's does (a URIError with status 400,
 * raised by the first route declared whose path matches, whatever its method);
 * HEAD answered by the GET route. `find` also tells a path no route has (404) from a path whose
 * routes take other methods (405, with the methods for `Allow`).
 */
import type { Route } from './route.ts';

/** A segment of a route's path: literal text, or a parameter followed by literal text (lower case). */
type SegmentPattern = { readonly literal: string } | { readonly parameter: string; readonly suffix: string };

interface TableRoute<T> {
  readonly segments: readonly SegmentPattern[];
  /** 'GET' or 'POST'. */
  readonly method: string;
  readonly value: T;
}

/** What a request's method and path find. */
export type Found<T> =
  | { readonly kind: 'route'; readonly value: T; readonly params: Record<string, string> }
  /** The path is a route's, for other methods only (in declaration order; HEAD beside GET). */
  | { readonly kind: 'other_methods'; readonly allow: readonly string[] }
  | { readonly kind: 'none' }
  /** A parameter of the first route whose path matches is not valid percent-encoding (a URIError with status 400). */
  | { readonly kind: 'bad_parameter'; readonly error: unknown };

/** The segments of a path after its leading slash, a trailing slash dropped (one). */
function segmentsOf(path: string): string[] {
  const parts = path.split('/').slice(1);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function patternOf(part: string): SegmentPattern {
  const parameter = /^\{([A-Za-z]+)\}(.*)$/.exec(part);
  if (parameter === null) return { literal: part.toLowerCase() };
  const [, name = '', suffix = ''] = parameter;
  if (suffix.includes('{')) throw new Error(`route segment ${part}: one parameter a segment, at its start`);
  return { parameter: name, suffix: suffix.toLowerCase() };
}

/** `decodeURIComponent`, failing as express's router does (status 400). */
function decodeParameter(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch (error) {
    if (error instanceof URIError) Object.assign(error, { message: `Failed to decode param '${value}'`, status: 400 });
    throw error;
  }
}

/** The parameters of `parts` if they match `route`'s segments, else null. */
function match(route: TableRoute<unknown>, parts: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 1) {
    const pattern = route.segments[i] as SegmentPattern;
    const part = parts[i] as string;
    if ('literal' in pattern) {
      if (part.toLowerCase() !== pattern.literal) return null;
    } else {
      const valueLength = part.length - pattern.suffix.length;
      if (valueLength < 1 || (pattern.suffix !== '' && part.slice(valueLength).toLowerCase() !== pattern.suffix)) return null;
      params[pattern.parameter] = part.slice(0, valueLength);
    }
  }
  return params;
}

/** Routes grouped by their number of path segments, each with its value (its handler, say). */
export class RouteTable<T> {
  private readonly bySegments = new Map<number, TableRoute<T>[]>();

  constructor(routes: readonly Route[], valueOf: (route: Route) => T) {
    for (const route of routes) {
      const segments = segmentsOf(route.path).map(patternOf);
      const method = route.method.toUpperCase();
      this.bySegments.set(segments.length, [...(this.bySegments.get(segments.length) ?? []), { segments, method, value: valueOf(route) }]);
    }
  }

  /** The route for `method` and `path` (as express's `req.path`: no query string). */
  find(requestMethod: string, path: string): Found<T> {
    const parts = segmentsOf(path);
    const method = requestMethod === 'HEAD' ? 'GET' : requestMethod;
    const allow: string[] = [];
    for (const route of this.bySegments.get(parts.length) ?? []) {
      const params = match(route, parts);
      if (params === null) continue;
      // As the router: a route whose path matches decodes its parameters, whatever its method.
      try {
        for (const name of Object.keys(params)) params[name] = decodeParameter(params[name] as string);
      } catch (error) {
        return { kind: 'bad_parameter', error };
      }
      if (route.method === method) return { kind: 'route', value: route.value, params };
      for (const allowed of route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]) if (!allow.includes(allowed)) allow.push(allowed);
    }
    return allow.length > 0 ? { kind: 'other_methods', allow } : { kind: 'none' };
  }
}
