// The analysts' playground: GraphiQL (docs explorer with an introduction, autocompletion,
// history) with a login helper and the example queries served by peba at
// /playground/examples.json. Every asset is served by peba itself.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';
import { exampleTabs, loadExamples, refreshKeptTabs } from './examples.js';
import { addIntroToDocs } from './intro.jsx';
import { authorizationHeaders, loginPlugin, LoginStatus } from './login.jsx';
import { withMatchingOperationName } from './operation-name.js';

const base = new URL('.', window.location.href);
const endpoint = new URL('/graphql', base).toString();
const subscriptions = endpoint.replace(/^http/, 'ws') + '/ws';
const graphiqlFetcher = createGraphiQLFetcher({ url: endpoint, subscriptionUrl: subscriptions });

/** Every request: the login's header (unless the headers tab sets its own) and an operation
 * name the sent document defines. */
function fetcher(params, options) {
  const headers = { ...authorizationHeaders(), ...options?.headers };
  return graphiqlFetcher(withMatchingOperationName(params), { ...options, headers });
}

const plugins = [loginPlugin(endpoint)];
addIntroToDocs();

loadExamples(base).then((examples) => {
  const tabs = exampleTabs(examples);
  refreshKeptTabs(tabs);
  createRoot(document.getElementById('playground')).render(
    <GraphiQL
      fetcher={fetcher}
      plugins={plugins}
      defaultTabs={tabs.length ? tabs : undefined}
      defaultEditorToolsVisibility="variables"
      shouldPersistHeaders
    >
      <GraphiQL.Logo>
        <LoginStatus />
      </GraphiQL.Logo>
    </GraphiQL>,
  );
});
