//! Bounds every operation before it is validated or run, on HTTP and WebSocket alike: the
//! size of the document once its fragments are expanded (counted with one memo per fragment,
//! so `fragment F1 { ...F0 ...F0 }` chains are refused in linear time), fragment cycles,
//! directives per selection, depth and complexity. Parse and validation errors get an
//! `extensions.code`. (async-graphql's own directive and nesting checks expand fragments without
//! a memo, so this check runs first, and the directive limit is enforced here.)

use super::errors::{GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};
use std::collections::HashMap;
use std::sync::Arc;

/// The bounds one operation must keep.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Most selections (fields, counted once per place they are expanded into).
    pub max_expanded_selections: u64,
    /// Deepest chain of fragments spreading fragments.
    pub max_fragment_nesting: usize,
    /// Most directives on one selection.
    pub max_directives: usize,
    /// Deepest selection.
    pub max_depth: usize,
    /// Highest complexity.
    pub max_complexity: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    /// Parses the document once and checks its expansion before async-graphql's own checks
    /// run (they expand fragments without a memo).
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A document that does not parse is reported by the parse step.
        if let Ok(document) = request.parsed_query() {
            self.check_expansion(document)?;
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|error| with_code(error, GRAPHQL_PARSE_FAILED))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| with_code(error, GRAPHQL_VALIDATION_FAILED))
                .collect::<Vec<_>>()
        })?;
        if result.depth > self.max_depth {
            return Err(vec![too_complex(
                format!(
                    "the query is nested {} deep, more than the limit of {}",
                    result.depth, self.max_depth
                ),
                "depth",
                self.max_depth,
                result.depth,
            )]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![too_complex(
                format!(
                    "the query's complexity is {}, more than the limit of {}",
                    result.complexity, self.max_complexity
                ),
                "complexity",
                self.max_complexity,
                result.complexity,
            )]);
        }
        Ok(result)
    }
}

impl QueryLimits {
    fn check_expansion(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let mut counter = ExpansionCounter {
            document,
            limits: self,
            memo: HashMap::new(),
        };
        let mut total: u64 = 0;
        for (_, operation) in document.operations.iter() {
            let size = counter.selection_set(&operation.node.selection_set.node, 0)?;
            total = total.saturating_add(size);
        }
        if total > self.max_expanded_selections {
            return Err(too_many_selections(self.max_expanded_selections, total));
        }
        Ok(())
    }
}

/// A fragment being counted (a spread of it meanwhile is a cycle) or its counted size.
#[derive(Clone, Copy)]
enum FragmentSize {
    Counting,
    Counted(u64),
}

struct ExpansionCounter<'a> {
    document: &'a ExecutableDocument,
    limits: &'a QueryLimits,
    memo: HashMap<&'a str, FragmentSize>,
}

impl<'a> ExpansionCounter<'a> {
    /// The expanded size of `set`, `nesting` fragments deep; saturates instead of overflowing
    /// and stops as soon as the limit is passed.
    fn selection_set(&mut self, set: &'a SelectionSet, nesting: usize) -> ServerResult<u64> {
        let mut size: u64 = 0;
        for item in &set.items {
            let directives = match &item.node {
                Selection::Field(field) => field.node.directives.len(),
                Selection::InlineFragment(fragment) => fragment.node.directives.len(),
                Selection::FragmentSpread(spread) => spread.node.directives.len(),
            };
            if directives > self.limits.max_directives {
                return Err(coded_error(
                    format!(
                        "more than {} directives on one selection",
                        self.limits.max_directives
                    ),
                    GRAPHQL_VALIDATION_FAILED,
                ));
            }
            let added = match &item.node {
                Selection::Field(field) => {
                    1 + self.selection_set(&field.node.selection_set.node, nesting)?
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node, nesting)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), nesting + 1)?
                }
            };
            size = size.saturating_add(added);
            if size > self.limits.max_expanded_selections {
                return Err(too_many_selections(
                    self.limits.max_expanded_selections,
                    size,
                ));
            }
        }
        Ok(size)
    }

    fn fragment(&mut self, name: &'a str, nesting: usize) -> ServerResult<u64> {
        match self.memo.get(name) {
            Some(FragmentSize::Counted(size)) => return Ok(*size),
            Some(FragmentSize::Counting) => {
                return Err(coded_error(
                    format!("fragment {name} spreads itself"),
                    GRAPHQL_VALIDATION_FAILED,
                ));
            }
            None => {}
        }
        if nesting > self.limits.max_fragment_nesting {
            return Err(coded_error(
                format!(
                    "fragments are nested more than {} deep",
                    self.limits.max_fragment_nesting
                ),
                GRAPHQL_VALIDATION_FAILED,
            ));
        }
        // An unknown fragment is reported by validation.
        let Some((known, definition)) = self.document.fragments.get_key_value(name) else {
            return Ok(0);
        };
        self.memo.insert(known.as_str(), FragmentSize::Counting);
        let size = self.selection_set(&definition.node.selection_set.node, nesting)?;
        self.memo
            .insert(known.as_str(), FragmentSize::Counted(size));
        Ok(size)
    }
}

fn coded_error(message: String, code: &'static str) -> ServerError {
    with_code(ServerError::new(message, None), code)
}

fn with_code(mut error: ServerError, code: &'static str) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
    error
}

fn too_complex(message: String, measure: &str, limit: usize, actual: usize) -> ServerError {
    let mut error = coded_error(message, QUERY_TOO_COMPLEX);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("measure", measure);
    extensions.set("limit", limit as u64);
    extensions.set("actual", actual as u64);
    error
}

fn too_many_selections(limit: u64, actual: u64) -> ServerError {
    let mut error = coded_error(
        format!("the query expands to more than {limit} selections once its fragments are spread"),
        QUERY_TOO_COMPLEX,
    );
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("measure", "selections");
    extensions.set("limit", limit);
    extensions.set("actual", actual);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: QueryLimits = QueryLimits {
        max_expanded_selections: 1_000,
        max_fragment_nesting: 8,
        max_directives: 2,
        max_depth: 16,
        max_complexity: 2_000,
    };

    fn check(query: &str) -> Result<(), String> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        LIMITS.check_expansion(&document).map_err(|e| e.message)
    }

    #[test]
    fn doubling_fragments_are_refused_without_expanding_them() {
        let mut query = String::from("{ health { ...F40 } } fragment F0 on Health { heartbeat }");
        for n in 1..=40 {
            query.push_str(&format!(
                " fragment F{n} on Health {{ ...F{m} ...F{m} }}",
                m = n - 1
            ));
        }
        let started = std::time::Instant::now();
        let error = check(&query).unwrap_err();
        assert!(error.contains("more than 8 deep"), "{error}");
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }

    #[test]
    fn sizes_count_every_expansion() {
        // F3 expands to 8 heartbeats, used twice: 16 fields plus `health` twice.
        let query = "{ a: health { ...F3 } b: health { ...F3 } } \
            fragment F0 on Health { heartbeat } fragment F1 on Health { ...F0 ...F0 } \
            fragment F2 on Health { ...F1 ...F1 } fragment F3 on Health { ...F2 ...F2 }";
        assert!(check(query).is_ok());
        let wide = format!("{{ {} }}", "health { heartbeat } ".repeat(501));
        assert!(
            check(&wide)
                .unwrap_err()
                .contains("more than 1000 selections")
        );
    }

    #[test]
    fn directives_are_counted() {
        assert!(check("{ health @skip(if: false) @include(if: true) { heartbeat } }").is_ok());
        let error =
            check("{ health { ...F } } fragment F on Health { heartbeat @a @b @c }").unwrap_err();
        assert!(error.contains("more than 2 directives"), "{error}");
    }

    #[test]
    fn cycles_are_refused() {
        let error = check(
            "{ health { ...A } } fragment A on Health { ...B } fragment B on Health { ...A }",
        )
        .unwrap_err();
        assert!(error.contains("spreads itself"), "{error}");
    }
}
