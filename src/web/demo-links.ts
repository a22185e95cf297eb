/**
 * The ready-to-open demo URLs `npm start` prints: the demo merchant page with a demo subscriber
 * preselected, and an advisor console per demo merchant with its key in the URL fragment (a
 * fragment never reaches a server log). The ids and keys come from the demo credentials file;
 * without it (a database seeded elsewhere) the URLs say what to fill in.
 */
import { z } from 'zod';

const credentialsFile = z.object({
  apiKeys: z.array(z.object({ role: z.string(), scopeId: z.string(), label: z.string(), secret: z.string() })),
  subscribers: z.array(z.object({ id: z.string(), label: z.string(), status: z.string() })),
});

/** The subscriber the demo page starts with: the first active one (Alice, Orange, in the shipped data set). */
function demoSubscriber(subscribers: z.infer<typeof credentialsFile>['subscribers']): { id: string; label: string } | null {
  return subscribers.find((subscriber) => subscriber.status === 'active') ?? null;
}

function parseCredentials(text: string | null): z.infer<typeof credentialsFile> | null {
  if (text === null) return null;
  try {
    const result = credentialsFile.safeParse(JSON.parse(text));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/**
 * Lines to print after the server's URL: the demo merchant page and the advisor consoles.
 *
 * @param baseUrl the server's URL, `http://127.0.0.1:8080`
 * @param credentialsJson the demo credentials file's text, or null when it cannot be read
 * @param credentialsPath where that file is, to name it
 * @example demoLinks('http://127.0.0.1:8080', text, 'data/demo-credentials.json')[0]
 * // "  Demo merchant   http://127.0.0.1:8080/demo/?subscriber=sub_01… (Alice, Orange)"
 */
export function demoLinks(baseUrl: string, credentialsJson: string | null, credentialsPath: string): string[] {
  const parsed = parseCredentials(credentialsJson);
  const subscriber = parsed === null ? null : demoSubscriber(parsed.subscribers);
  const merchants = parsed?.apiKeys.filter((key) => key.role === 'merchant') ?? [];
  const lines = [
    subscriber === null
      ? `  Demo merchant   ${baseUrl}/demo/  (add ?subscriber=<id>; the demo subscribers' ids are in ${credentialsPath})`
      : `  Demo merchant   ${baseUrl}/demo/?subscriber=${encodeURIComponent(subscriber.id)}  (${subscriber.label})`,
  ];
  if (merchants.length === 0) {
    lines.push(`  Advisor console ${baseUrl}/demo/console#key=<a merchant API key from ${credentialsPath}>`);
    return lines;
  }
  merchants.forEach((key, index) => {
    lines.push(`  ${index === 0 ? 'Advisor console' : '               '} ${baseUrl}/demo/console#key=${encodeURIComponent(key.secret)}  (${key.label})`);
  });
  return lines;
}
