// The example tabs: fetched from peba at page load, with "today" variables set to the
// current UTC date of the browser (peba reads dates as UTC).

// GraphiQL's storage: the kept tabs, and the editors' text of the tab shown last (matched
// against the kept tabs at load).
const TAB_STATE_KEY = 'graphiql:tabState';
const QUERY_KEY = 'graphiql:query';
const VARIABLES_KEY = 'graphiql:variables';

/** Today's date in UTC, `YYYY-MM-DD`. */
export function todayUtc(now = new Date()) {
  return now.toISOString().slice(0, 10);
}

/** The examples peba serves, or none when they cannot be loaded. */
export async function loadExamples(base) {
  try {
    const response = await fetch(new URL('/playground/examples.json', base));
    if (!response.ok) return [];
    return await response.json();
  } catch {
    return [];
  }
}

/** One GraphiQL tab (query and variables text) per example. */
export function exampleTabs(examples, today = todayUtc()) {
  return examples.map((example) => {
    const variables = { ...example.variables };
    for (const name of example.todayVariables ?? []) variables[name] = today;
    return {
      query: `# ${example.title}\n${example.query}`,
      variables: example.variables ? JSON.stringify(variables, null, 2) : undefined,
    };
  });
}

/**
 * Example tabs GraphiQL kept from an earlier visit still hold that visit's date: refreshes the
 * variables of every kept tab whose query is an example's, unedited.
 */
export function refreshKeptTabs(tabs, storage = window.localStorage) {
  const kept = storage.getItem(TAB_STATE_KEY);
  if (!kept) return;
  try {
    const state = JSON.parse(kept);
    for (const tab of state.tabs ?? []) {
      const example = tabs.find((candidate) => candidate.query === tab.query);
      if (example?.variables !== undefined) tab.variables = example.variables;
    }
    storage.setItem(TAB_STATE_KEY, JSON.stringify(state));
    const shown = tabs.find((candidate) => candidate.query === storage.getItem(QUERY_KEY));
    if (shown?.variables) storage.setItem(VARIABLES_KEY, shown.variables);
  } catch {
    storage.removeItem(TAB_STATE_KEY);
  }
}
