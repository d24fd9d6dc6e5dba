// The analysts' playground: GraphiQL (docs explorer, autocompletion, history) with example
// queries served by peba at /playground/examples.json. Every asset is served by peba itself.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';

const base = new URL('.', window.location.href);
const endpoint = new URL('/graphql', base).toString();
const subscriptions = endpoint.replace(/^http/, 'ws') + '/ws';
const fetcher = createGraphiQLFetcher({ url: endpoint, subscriptionUrl: subscriptions });

async function loadExamples() {
  try {
    const response = await fetch(new URL('/playground/examples.json', base));
    if (!response.ok) return [];
    return await response.json();
  } catch {
    return [];
  }
}

loadExamples().then((examples) => {
  const tabs = examples.map((example) => ({
    query: `# ${example.title}\n${example.query}`,
    variables: example.variables ? JSON.stringify(example.variables, null, 2) : undefined,
  }));
  createRoot(document.getElementById('playground')).render(
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={tabs.length ? tabs : undefined}
      defaultEditorToolsVisibility="variables"
      shouldPersistHeaders
    />,
  );
});
