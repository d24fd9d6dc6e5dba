// What the documentation explorer shows above the schema at its root: what peba is, whose
// data a request sees, how to log in, and where the other interfaces and the manual are.
import React from 'react';
import { DOC_EXPLORER_PLUGIN, DocExplorer, useExplorerContext } from '@graphiql/react';

function Intro() {
  return (
    <section className="peba-intro" aria-label="About peba">
      <h2>peba</h2>
      <p>
        peba collects the attacks T-Pot honeypots report (ewsposter's EWS messages) and answers
        dashboards and analysts. This API models them as alerts: when and where they were
        received, the sensor, the source and target endpoints with country, AS and location,
        the request, credentials and session. Counts, rankings, timelines, attacker addresses,
        IP reports and a live feed (<code>subscription alertAdded</code>) are built on them.
      </p>
      <h3>Data domains</h3>
      <p>
        Every data field takes <code>domain</code>: <code>COMMUNITY</code> (the default: alerts
        of the public T-Pot community account), <code>PRIVATE</code> (alerts of your own users)
        or <code>ALL</code>. Anonymous requests see community data only, without addresses.
      </p>
      <h3>Authentication</h3>
      <p>
        Log in with the key icon on the left (the <code>login</code> mutation with a user name
        and token): the token then goes as <code>Authorization: Bearer …</code> with every
        request, which unlocks private data, addresses, <code>attackers</code> and{' '}
        <code>ipReport</code>.
      </p>
      <h3>Beyond GraphQL</h3>
      <ul>
        <li>
          <a href="/map">Live attack map</a>
        </li>
        <li>
          Attacker feeds (token in the <code>Authorization</code> header):{' '}
          <a href="/feeds/attackers.txt?hours=24">text</a>,{' '}
          <a href="/feeds/attackers.csv?hours=24">CSV</a>,{' '}
          <a href="/feeds/attackers.json?hours=24">JSON</a>,{' '}
          <a href="/feeds/attackers.stix.json?hours=24">STIX 2.1</a>
        </li>
        <li>
          Alert exports (token as well): <a href="/export/alerts.csv">CSV</a>,{' '}
          <a href="/export/alerts.ndjson">NDJSON</a>
        </li>
        <li>
          Service health: <a href="/heartbeat">/heartbeat</a>
        </li>
      </ul>
      <p>
        The manual is peba's <code>README.md</code>: sections <em>GraphQL</em> (filters, limits,
        subscriptions), <em>Authentication</em>, <em>Exports and threat feeds</em>,{' '}
        <em>Legacy route → GraphQL</em> and <em>Attack map</em>. The reference follows below.
      </p>
    </section>
  );
}

function DocsWithIntro() {
  const explorer = useExplorerContext();
  const atRoot = (explorer?.explorerNavStack.length ?? 1) <= 1;
  return (
    <div className="peba-docs">
      {atRoot && <Intro />}
      <DocExplorer />
    </div>
  );
}

/** Shows the introduction at the root of GraphiQL's documentation explorer. */
export function addIntroToDocs() {
  DOC_EXPLORER_PLUGIN.content = DocsWithIntro;
}
