// peba's GraphQL API as the map uses it: the documents of queries.graphql over HTTP
// (`/graphql`) and the live feed over one WebSocket (`/graphql/ws`) that reconnects by itself.
import { createClient } from 'graphql-ws';
import documents from './queries.graphql';

/** An answer with GraphQL errors (`codes` holds their `extensions.code`). */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.codes = errors.map((e) => e.extensions?.code).filter(Boolean);
  }
}

/** Runs the named operation of queries.graphql; resolves to its `data`. */
export async function request(operationName, variables, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch('/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: documents, operationName, variables }),
  });
  const answer = await response.json();
  if (answer.errors?.length) throw new ApiError(answer.errors);
  return answer.data;
}

function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/graphql/ws`;
}

/**
 * Subscribes to new alerts; `onAlert` gets each one, `onStatus` one of `connecting`,
 * `live`, `reconnecting`. Returns a function that closes the socket.
 */
export function subscribeAlerts({ domain, token, onAlert, onStatus }) {
  let everConnected = false;
  const client = createClient({
    url: socketUrl(),
    lazy: false,
    keepAlive: 15_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** retries))),
    connectionParams: () => (token ? { Authorization: `Bearer ${token}` } : {}),
    on: {
      connecting: () => onStatus(everConnected ? 'reconnecting' : 'connecting'),
      connected: () => {
        everConnected = true;
        onStatus('live');
      },
      closed: () => onStatus(everConnected ? 'reconnecting' : 'connecting'),
    },
  });
  const stop = client.subscribe(
    {
      query: documents,
      operationName: 'MapAlertAdded',
      variables: { domain, withAddresses: Boolean(token) },
    },
    {
      next: (message) => {
        if (message.data?.alertAdded) onAlert(message.data.alertAdded);
      },
      error: () => onStatus('reconnecting'),
      complete: () => {},
    },
  );
  return () => {
    stop();
    client.dispose();
  };
}
