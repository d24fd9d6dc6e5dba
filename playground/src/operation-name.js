// The operation name a request carries must name an operation of the document it sends.
// GraphiQL remembers the name of the tab it showed last, so a run right after a tab switch
// could send the previous tab's name with the new tab's document; this keeps the name only
// when the document defines it, and otherwise names the document's single operation (or none).
import { Kind, parse } from 'graphql';

/** The names of the operations `query` defines, or `null` when it does not parse. */
function operationNames(query) {
  try {
    return parse(query)
      .definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION)
      .map((definition) => definition.name?.value);
  } catch {
    return null;
  }
}

/** `params` with an operation name its document defines (or none). */
export function withMatchingOperationName(params) {
  const names = operationNames(params.query ?? '');
  if (names === null || names.includes(params.operationName)) return params;
  const only = names.length === 1 ? names[0] : undefined;
  const { operationName: _stale, ...rest } = params;
  return only ? { ...rest, operationName: only } : rest;
}
